"""Invisible characters (zero-width space, soft hyphen) must not hide cue words; offsets index the text as read."""
from __future__ import annotations

import pytest

from pipeline import invisible, worker
from pipeline.types import Analysis, DocumentMetadata, Extraction, RawDocument, Sentence, Token

TEXT = "Vis\u200bio: terve alue."


def _analysis(text: str) -> Analysis:
    tokens, pos = [], 0
    for i, word in enumerate(text.split()):
        start = text.index(word, pos)
        pos = start + len(word)
        tokens.append(Token(i, 0, word, word.lower(), "NOUN", start, pos))
    return Analysis("d", text, (Sentence(0, 0, len(text), 0, len(tokens)),), tuple(tokens), "m")


def _cue_extractor(analysis: Analysis):
    """Finds 'Visio:' in the text and extracts what follows it, as a rule would."""
    at = analysis.text.find("Visio:")
    if at < 0:
        return DocumentMetadata(), ()
    start, end = at + len("Visio: "), len(analysis.text) - 1
    return DocumentMetadata(), (Extraction("d", "vision", 1, analysis.text[start:end], "terve alue",
                                           start, end, 0, "test.cue", 0.9),)


def test_extract_visible_zero_width_space_in_cue_found_offsets_on_original():
    assert _cue_extractor(_analysis(TEXT))[1] == ()  # the cue is hidden to a plain matcher
    _, extractions = invisible.extract_visible(_cue_extractor, _analysis(TEXT))
    (e,) = extractions
    assert e.text == TEXT[e.start:e.end] == "terve alue"


def test_extract_visible_extraction_spanning_soft_hyphen_keeps_it_in_text():
    text = "Visio: ter\u00adve alue."
    _, (e,) = invisible.extract_visible(_cue_extractor, _analysis(text))
    assert e.text == text[e.start:e.end] == "ter\u00adve alue"


def test_analyze_texts_tokens_index_original_text():
    (a,) = invisible.analyze_texts(lambda docs: [_analysis(t) for _, t in docs], [("d", TEXT)])
    assert a.text == TEXT
    assert [t.text for t in a.tokens] == ["Vis\u200bio:", "terve", "alue."]
    assert all(t.text == TEXT[t.start:t.end] for t in a.tokens)
    assert [t.lemma for t in a.tokens][0] == "visio:"


def test_note_names_invisible_characters():
    assert "zero-width space" in (invisible.note(TEXT) or "") and invisible.note("Visio:") is None


@pytest.mark.model
@pytest.mark.parametrize("text", ["Vis\u200bio: Terve ja turvallinen hyvinvointialue.\n",
                                  "Missi\u00adomme on edistää asukkaiden hyvinvointia ja terveyttä.\n"])
def test_analyze_and_extract_invisible_character_in_cue_word_still_extracted(text):
    raw = RawDocument("d", "d.txt", "x", "ok", text=text, language="fi")
    (result,) = worker.analyze_and_extract([raw], "models", "auto", 1)
    assert result.extractions, "the cue word must be found despite the invisible character"
    assert all(e.text == text[e.start:e.end] for e in result.extractions)
    assert result.analysis is not None and all(t.text == text[t.start:t.end] for t in result.analysis.tokens)


def test_analyze_and_extract_worker_that_could_not_set_up_raises_its_reason(tmp_path, monkeypatch):
    from pipeline.errors import ModelNotFoundError

    monkeypatch.setattr(worker, "_INIT_ERROR", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    worker.init_worker(str(tmp_path / "no-models"), "auto", 1)  # a worker process's initializer: must not raise
    raw = RawDocument("d", "d.txt", "x", "ok", text="Arvomme ovat rohkeus.", language="fi")
    with pytest.raises(ModelNotFoundError, match="no-models"):
        worker.analyze_and_extract([raw], str(tmp_path / "no-models"), "auto", 1)
