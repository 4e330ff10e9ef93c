"""The Finnish NLP layer: lemma cleaning, offsets, offline loading and clear errors."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import ModelDownloadError, ModelNotFoundError
from pipeline.nlp.analyzer import Analyzer, build_analysis, clean_lemma, is_degenerate_lemma, locate_model
from pipeline.nlp.conllu_eval import raw_documents

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("word,lemma,upos,expected", [
    ("hyvinvointialueen", "hyvinvointi#alue", "NOUN", "hyvinvointialue"),   # compound mark removed
    ("on", "olla", "AUX", "olla"),                                          # suppletive stays
    ("Keravan", "_", "PROPN", "Keravan"),                                   # placeholder → surface, case kept
    ("palvelut", None, "NOUN", "palvelut"),                                 # missing → surface, lower case
    ("_", "_", "PUNCT", "_"),                                               # a real underscore token
    ("Hyvinvointialuestrategia", "hyvinvointialuestrategiastrategiastrategia", "NOUN", "hyvinvointialuestrategia"),
    ("hyvinvointialue", "hyvinvointialuelue", "NOUN", "hyvinvointialue"),   # invented repeat
    ("strategiaan", "strategia", "NOUN", "strategia"),
    ("Tukholman", "tukholma", "PROPN", "Tukholma"),                         # a name keeps its capital
    ("Strategian", "strategia", "NOUN", "strategia"),                       # sentence-initial noun does not
    ("iPhonen", "iPhone", "PROPN", "iPhone"),                               # lower-case name left as it is
])
def test_clean_lemma_cases_give_sane_base_form(word, lemma, upos, expected):
    assert clean_lemma(word, lemma, upos) == expected


def test_is_degenerate_lemma_much_longer_than_word_true():
    assert is_degenerate_lemma("ja", "jajajajaja")
    assert not is_degenerate_lemma("tavoitteisiin", "tavoite")


def test_build_analysis_line_break_ends_sentence_and_offsets_round_trip():
    text = "Arvot\nRohkeus ja luottamus."
    raw = [("Arvot", 0, 5, "arvo", "NOUN", 0), ("Rohkeus", 6, 13, "rohkeus", "NOUN", 0),
           ("ja", 14, 16, "ja", "CCONJ", 0), ("luottamus", 17, 26, "luottamus", "NOUN", 0), (".", 26, 27, ".", "PUNCT", 0)]
    analysis = build_analysis("d", text, raw, "m")
    assert [text[s.start:s.end] for s in analysis.sentences] == ["Arvot", "Rohkeus ja luottamus."]
    assert all(text[t.start:t.end] == t.text for t in analysis.tokens)


def test_locate_model_empty_folder_names_the_command_that_provides_one(tmp_path):
    with pytest.raises(ModelNotFoundError, match="python -m pipeline models train"):
        locate_model(tmp_path)


def test_locate_model_official_requested_but_absent_names_download(tmp_path):
    with pytest.raises(ModelNotFoundError, match="python -m pipeline models download"):
        locate_model(tmp_path, "official")


def test_raw_documents_respects_newdoc_and_newpar(tmp_path):
    conllu = tmp_path / "x.conllu"
    conllu.write_text("# newdoc id = a\n# newpar\n# text = Yksi.\n1\tYksi\tyksi\tNUM\t_\t_\t0\troot\t_\t_\n\n"
                      "# text = Kaksi.\n1\tKaksi\tkaksi\tNUM\t_\t_\t0\troot\t_\t_\n\n"
                      "# newpar\n# text = Kolme.\n1\tKolme\tkolme\tNUM\t_\t_\t0\troot\t_\t_\n\n"
                      "# newdoc id = b\n# text = Neljä.\n1\tNeljä\tneljä\tNUM\t_\t_\t0\troot\t_\t_\n\n", encoding="utf-8")
    assert raw_documents(conllu) == ["Yksi. Kaksi.\n\nKolme.", "Neljä."]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.model
def test_analyzer_committed_model_loads_without_network_and_offsets_round_trip(no_network):
    text = "Päijät-Hämeen hyvinvointialueen arvot ovat luottamus ja rohkeus.\n\nMissio: Tuemme hyvinvointia."
    analysis = Analyzer(REPO / "models", "compact").analyze("d", text)
    assert len(analysis.sentences) >= 2
    assert all(text[t.start:t.end] == t.text for t in analysis.tokens)
    assert "".join(t.text for t in analysis.tokens) == "".join(text.split())
    assert all("#" not in t.lemma for t in analysis.tokens)


@pytest.mark.model
def test_analyzer_sample_texts_offsets_round_trip():
    analyzer = Analyzer(REPO / "models", "compact")
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((REPO / "raw_texts").glob("*.txt"))]
    for (_doc_id, text), analysis in zip(texts, analyzer.analyze_many(texts)):
        assert analysis.tokens and all(text[t.start:t.end] == t.text for t in analysis.tokens)
        assert [t.index for t in analysis.tokens] == list(range(len(analysis.tokens)))


def test_download_without_network_fails_with_one_line_message(tmp_path, monkeypatch):
    import requests

    def offline(*args, **kwargs):
        raise requests.exceptions.ConnectionError("Failed to resolve host (no network)")

    monkeypatch.setattr(requests, "get", offline)
    monkeypatch.setattr(requests.Session, "get", offline)
    from pipeline.nlp.download import download_official

    with pytest.raises(ModelDownloadError) as err:
        download_official(tmp_path)
    assert "\n" not in str(err.value) and "could not download" in str(err.value)
    assert not (tmp_path / "official").exists() and not list(tmp_path.glob(".official-*"))


def test_cli_missing_model_prints_one_line_and_exits_nonzero(tmp_path):
    (tmp_path / "raw").mkdir()
    result = subprocess.run([sys.executable, "-m", "pipeline", "models", "info", "--models-dir", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "models train" in result.stderr


@pytest.mark.model
def test_analyzer_lexicon_fills_only_words_the_lemmatizer_never_saw():
    analyzer = Analyzer(REPO / "models", "compact")
    analyzer._known = frozenset({"arvoissa"})
    assert analyzer.lemma_for("arvoissa", "arpo", "NOUN") == "arpo"  # seen in training: the model decides
    analyzer._known = frozenset()
    assert analyzer.lemma_for("Arvoissa", "arpo", "NOUN") == "arvo"  # unseen: the lexicon's entry, lower case
    assert analyzer.lemma_for("hyvinvointialueenzz", "hyvinvointialue#enzz", "NOUN") == "hyvinvointialueenzz"
    plain = Analyzer(REPO / "models", "compact", lexicon=False)
    assert plain.lemma_for("arvoissa", "arpo", "NOUN") == "arpo"
    assert "+lexicon@" in analyzer.model_name and "+lexicon@" not in plain.model_name


def test_build_analysis_glued_colon_and_quotes_split_from_words():
    text = "Arvot: ”Rohkeus”, esim."
    raw = [("Arvot:", 0, 6, "arvot:", "NOUN", 0), ("”Rohkeus”,", 7, 17, "rohkeus", "NOUN", 0), ("esim.", 18, 23, "esim.", "ADV", 0)]
    analysis = build_analysis("d", text, raw, "m")
    assert [t.text for t in analysis.tokens] == ["Arvot", ":", "”", "Rohkeus", "”", ",", "esim."]
    assert [t.lemma for t in analysis.tokens][:2] == ["arvot", ":"]
    assert all(text[t.start:t.end] == t.text for t in analysis.tokens)


def test_analyzer_load_called_twice_builds_stanza_pipeline_once(monkeypatch):
    # Stanza and torch are stand-ins: what is checked is that `load()` (public, called by the
    # worker, the benchmark and the evaluation before timing) builds once and returns the pipeline.
    import types

    built = []

    class FakePipeline:
        processors: dict = {}

        def __init__(self, *args, **kwargs):
            built.append(kwargs)

    monkeypatch.setitem(sys.modules, "stanza", types.SimpleNamespace(Pipeline=FakePipeline))
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda n: None))
    analyzer = Analyzer(REPO / "models", "compact", threads=1, lexicon=False)
    first = analyzer.load()
    assert isinstance(first, FakePipeline)
    assert analyzer.load() is first
    assert len(built) == 1 and built[0]["download_method"] is None


def test_spacy_conllu_sentences_and_spacing_written_like_the_analyzers():
    import spacy

    from pipeline.nlp.conllu_eval import spacy_conllu

    nlp = spacy.blank("fi")
    nlp.add_pipe("sentencizer")
    conllu = spacy_conllu([nlp("Arvot: rohkeus. Visio on hyvä.")])
    sentences = [block.splitlines() for block in conllu.strip().split("\n\n")]
    assert [[line.split("\t")[1] for line in s] for s in sentences] == [["Arvot", ":", "rohkeus", "."],
                                                                       ["Visio", "on", "hyvä", "."]]
    assert sentences[0][0].endswith("SpaceAfter=No") and sentences[0][1].endswith("\t_")


@pytest.mark.model
def test_analyzer_domain_words_get_their_base_forms():
    """The words the extraction rules are written over, in the inflected forms strategy texts use."""
    from pipeline.nlp.analyzer import get_analyzer

    text = ("Hyvinvointialueen strategia hyväksyttiin. Sitoudumme strategiaan kymmeneksi vuodeksi. "
            "Hyvinvointialuestrategia ulottuu kymmenen vuotta eteenpäin. Arvomme ohjaavat työtämme. "
            "Panostamme yhdenvertaisuuteen ja oikeudenmukaisuuteen.")
    lemmas = {t.text: t.lemma for t in get_analyzer(REPO / "models").analyze("d", text).tokens}
    assert {w: lemmas[w] for w in ("strategia", "strategiaan", "Hyvinvointialueen", "Hyvinvointialuestrategia",
                                   "vuotta", "Arvomme", "yhdenvertaisuuteen", "oikeudenmukaisuuteen")} == {
        "strategia": "strategia", "strategiaan": "strategia", "Hyvinvointialueen": "hyvinvointialue",
        "Hyvinvointialuestrategia": "hyvinvointialuestrategia", "vuotta": "vuosi", "Arvomme": "arvo",
        "yhdenvertaisuuteen": "yhdenvertaisuus", "oikeudenmukaisuuteen": "oikeudenmukaisuus"}


@pytest.mark.parametrize("word,upos,expected", [
    ("hyvinvointialuestrategiaan", "NOUN", "hyvinvointialuestrategia"),  # last part inflected
    ("sote-palvelujen", "NOUN", "sote-palvelu"),                        # hyphenated compound
    ("strategiaan", "VERB", None),                                       # only nouns and adjectives
    ("xyzqwertyabc", "NOUN", None),                                      # no listed final part
])
def test_compound_lemma_final_part_inflects_first_parts_kept(word, upos, expected):
    from pipeline.nlp.analyzer import compound_lemma

    assert compound_lemma(word, upos) == expected


@pytest.mark.model
def test_analyzer_load_builds_no_optimizer_and_leaves_torch_dynamo_unimported():
    code = ("import sys\n"
            "from pipeline.nlp.analyzer import Analyzer\n"
            f"nlp = Analyzer({str(REPO / 'models')!r}, 'compact').load()\n"
            "import stanza.models.common.utils as u, torch\n"
            "assert nlp.processors['tokenize']._trainer.optimizer is None\n"
            "print('torch._dynamo' in sys.modules)\n"
            "model = nlp.processors['tokenize']._trainer.model  # training code gets optimizers again\n"
            "assert isinstance(u.get_optimizer('adam', model, lr=1e-3), torch.optim.Adam)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == ["False"]
