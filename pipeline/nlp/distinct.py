"""Stanza's per-word networks, run once per distinct word of a call instead of once per token.

Two of the analyzer's networks look at one word at a time, never at its neighbours:
the tagger's character model (a word's spelling → a vector) and the seq2seq
lemmatizer (a word and its tag → a lemma).  Within one `Analyzer.stanza_documents`
call (a batch of documents) a word recurs: "ja", "palvelut", "hyvinvointialueen".
Computing each distinct one once gives the same results for less: on the 41 texts of
the development corpus in batches of 16, 34 % fewer characters through the character
model, and 35 % fewer words through the lemmatizer's decoder.

What is remembered lives for one call only (`distinct_words_during`): a long run's memory
does not grow with it, and no call's result depends on what came before it.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator

Spelling = tuple[int, ...]  # a word's character ids


def _distinct_spellings_forward(forward: Callable, pad: bool, vectors: dict[Spelling, Any],
                                chars, chars_mask, word_orig_idx, sentlens, wordlens):
    """A Stanza `CharacterModel.forward` (`forward`) that runs the model on the spellings not in
    `vectors` only, and remembers theirs there; takes and returns what `forward` does (the
    tagger's batch: the words' character ids, longest word first, and how to put them back in
    sentence order)."""
    import torch  # here, not at import: the flow process imports this module without running a model
    from stanza.models.common.utils import tensor_unsort
    from torch.nn.utils.rnn import PackedSequence, pack_sequence, pad_packed_sequence

    spellings = [tuple(row[:length]) for row, length in zip(chars.tolist(), wordlens)]
    first_row: dict[Spelling, int] = {}
    for row, spelling in enumerate(spellings):
        if spelling not in vectors:
            first_row.setdefault(spelling, row)
    if first_row:
        rows = list(first_row.values())  # still longest first, as the packed LSTM needs them
        # The new spellings as one "sentence", in their order: the output is their vectors, in order.
        new = forward(chars[rows], chars_mask[rows], list(range(len(rows))), [len(rows)],
                      [wordlens[row] for row in rows])
        vectors.update(zip(first_row, new.data if isinstance(new, PackedSequence) else new[0]))
    ordered = tensor_unsort(torch.stack([vectors[s] for s in spellings]), word_orig_idx)
    packed = pack_sequence(ordered.split(sentlens))
    return pad_packed_sequence(packed, batch_first=True)[0] if pad else packed


@contextlib.contextmanager
def distinct_spellings_during(pipeline: Any) -> Iterator[None]:
    """For the block, the tagger's character model runs once per distinct spelling (see module doc)."""
    processor = pipeline.processors.get("pos")
    model = getattr(getattr(processor, "trainer", None), "model", None)
    character_model = getattr(model, "charmodel", None)
    if character_model is None or not hasattr(character_model, "pad") or "forward" in vars(character_model):
        yield  # no character model (or already shared by an enclosing block): nothing to do
        return
    character_model.forward = functools.partial(_distinct_spellings_forward, character_model.forward,
                                                character_model.pad, {})
    try:
        yield
    finally:
        del character_model.forward  # the class's own again


@contextlib.contextmanager
def distinct_lemmas_during(pipeline: Any, documents: list) -> Iterator[None]:
    """For the block, each distinct (word, tag) of `documents` that the lemmatizer would decode is
    decoded once, up front, and looked up after that; the dictionary is as before afterwards.

    The lemmatizer decodes only what its dictionary lacks, one word at a time (its input is the
    word's characters and its tag).  The distinct ones are decoded here as a document of one-word
    sentences by the same processor, and entered in the dictionary, so that the documents' own
    pass only looks them up.
    """
    processor = pipeline.processors.get("lemma")
    trainer = getattr(processor, "_trainer", None)
    if trainer is None or getattr(trainer, "caseless", False) or not isinstance(getattr(trainer, "pos_dict", None), dict):
        yield
        return
    import stanza

    pairs = [(word.text, word.upos) for document in documents for sentence in document.sentences
             for word in sentence.words if word.text]
    undecided = [pair for pair, known in zip(pairs, trainer.skip_seq2seq(pairs)) if not known]
    distinct = list(dict.fromkeys(undecided))
    entered: list[tuple[str, str]] = []
    if len(distinct) < len(undecided):  # only worth a second pass when some word recurs
        words = stanza.Document([[{"id": 1, "text": text, "upos": upos}] for text, upos in distinct])
        lemmas = processor.process(words).get("lemma")
        for (text, upos), lemma in zip(distinct, lemmas):
            trainer.pos_dict.setdefault(upos, {})[text] = lemma
            entered.append((text, upos))
    try:
        yield
    finally:
        for text, upos in entered:
            trainer.pos_dict[upos].pop(text, None)
