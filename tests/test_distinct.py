"""Stanza's per-word networks run once per distinct word of a call (pipeline.nlp.distinct)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from pipeline.nlp.distinct import distinct_lemmas_during, distinct_spellings_during  # noqa: E402


def _character_model():
    """A small, untrained Stanza CharacterModel: what the tagger has, with random weights."""
    from stanza.models.common.char_model import CharacterModel

    torch.manual_seed(0)
    args = {"char_emb_dim": 8, "char_hidden_dim": 6, "char_num_layers": 1, "char_rec_dropout": 0, "dropout": 0.5}
    model = CharacterModel(args, {"char": list(range(20))})
    torch.nn.init.normal_(model.char_attn.weight)  # Stanza starts it at zero, which hides the attention
    return model.eval()


def _tagger_batch(sentences: list[list[list[int]]]):
    """The character part of a tagger batch for sentences of words (character ids), as Stanza's
    tagger builds it: words sorted longest first, with the indices that put them back."""
    words = [word for sentence in sentences for word in sentence]
    order = sorted(range(len(words)), key=lambda i: -len(words[i]))
    longest = len(words[order[0]])
    chars = torch.tensor([words[i] + [0] * (longest - len(words[i])) for i in order])
    return chars, chars == 0, order, [len(s) for s in sentences], [len(words[i]) for i in order]


def _counting(model):
    """The number of words each run of the model's LSTM takes."""
    rows: list[int] = []
    model.charlstm.register_forward_hook(lambda module, inputs, output: rows.append(int(inputs[0].batch_sizes[0])))
    return rows


def test_distinct_spellings_during_repeated_words_same_vectors_each_spelling_once():
    model = _character_model()
    # "3 4 5" twice in the first sentence and once in the second; the others once.
    batch = _tagger_batch([[[3, 4, 5], [6, 7], [3, 4, 5]], [[8, 9, 10, 11], [3, 4, 5]]])
    expected = model(*batch)
    pipeline = SimpleNamespace(processors={"pos": SimpleNamespace(trainer=SimpleNamespace(
        model=SimpleNamespace(charmodel=model)))})
    rows = _counting(model)
    with distinct_spellings_during(pipeline):
        shared = model(*batch)
        again = model(*batch)  # a later batch of the same call: nothing new to compute
    assert rows == [3]
    assert torch.allclose(shared.data, expected.data, atol=1e-6)
    assert shared.batch_sizes.tolist() == expected.batch_sizes.tolist()
    assert torch.equal(again.data, shared.data)


def test_distinct_spellings_during_block_ends_model_computes_every_word_again():
    model = _character_model()
    pipeline = SimpleNamespace(processors={"pos": SimpleNamespace(trainer=SimpleNamespace(
        model=SimpleNamespace(charmodel=model)))})
    batch = _tagger_batch([[[3, 4], [3, 4]]])
    with distinct_spellings_during(pipeline):
        model(*batch)
    assert "forward" not in vars(model)  # the class's own forward again: nothing remembered past the call


def test_distinct_spellings_during_pipeline_without_character_model_changes_nothing():
    pipeline = SimpleNamespace(processors={})
    with distinct_spellings_during(pipeline):
        pass


class _Lemmatizer:
    """Stanza's lemmatizer as `distinct_lemmas_during` uses it: a dictionary it looks words up in,
    and a processor that decodes the rest (here: the word in lower case, counting the words)."""

    def __init__(self, known):
        self.pos_dict = {"NOUN": dict(known)}
        self.caseless = False
        self.decoded: list[tuple[str, str]] = []

    def skip_seq2seq(self, pairs):
        return [self.pos_dict.get(upos, {}).get(text) is not None for text, upos in pairs]

    def process(self, document):
        pairs = [(w.text, w.upos) for s in document.sentences for w in s.words]
        self.decoded += pairs
        return SimpleNamespace(get=lambda field: [text.lower() for text, _ in pairs])


def _documents(*sentences):
    return [SimpleNamespace(sentences=[SimpleNamespace(words=[SimpleNamespace(text=t, upos=u) for t, u in s])
                                       for s in sentences])]


def test_distinct_lemmas_during_recurring_unknown_word_decoded_once_dictionary_restored():
    lemmatizer = _Lemmatizer({"talo": "talo"})
    pipeline = SimpleNamespace(processors={"lemma": SimpleNamespace(_trainer=lemmatizer,
                                                                    process=lemmatizer.process)})
    docs = _documents([("Arvot", "NOUN"), ("talo", "NOUN"), ("Arvot", "NOUN")], [("Arvot", "NOUN"), ("Hoiva", "NOUN")])
    with distinct_lemmas_during(pipeline, docs):
        assert lemmatizer.pos_dict["NOUN"] == {"talo": "talo", "Arvot": "arvot", "Hoiva": "hoiva"}
        assert lemmatizer.skip_seq2seq([("Arvot", "NOUN"), ("Hoiva", "NOUN")]) == [True, True]
    assert lemmatizer.decoded == [("Arvot", "NOUN"), ("Hoiva", "NOUN")]
    assert lemmatizer.pos_dict == {"NOUN": {"talo": "talo"}}


def test_distinct_lemmas_during_no_word_recurs_no_second_pass():
    lemmatizer = _Lemmatizer({})
    pipeline = SimpleNamespace(processors={"lemma": SimpleNamespace(_trainer=lemmatizer,
                                                                    process=lemmatizer.process)})
    with distinct_lemmas_during(pipeline, _documents([("Arvot", "NOUN"), ("Hoiva", "NOUN")])):
        pass
    assert lemmatizer.decoded == []
    assert lemmatizer.pos_dict == {"NOUN": {}}
