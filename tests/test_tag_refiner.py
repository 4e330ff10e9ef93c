"""The tag refiner: its features, its confidence rule, its training, and the shipped model's use of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.nlp.tag_refiner import TagRefiner, TaggedWord, features, shape, train_refiner

REPO = Path(__file__).resolve().parents[1]


def _word(text: str, tag: str, lexicon: tuple[str, ...] = (), seen: tuple[str, ...] = ()) -> TaggedWord:
    return TaggedWord(text, tag, tag, lexicon, seen)


@pytest.mark.parametrize("word, expected", [
    ("@kunta", "@@"), ("#sote", "@#"), ("https://t.co/x", "URL"), ("2025", "D"), ("–", "P"),
    ("EU", "U"), ("Vantaa", "T"), ("strategia", "l"), ("#", "P"),
])
def test_tag_refiner_shape_spelling_classes(word, expected):
    assert shape(word) == expected


def test_tag_refiner_features_neighbours_and_sentence_position():
    sentence = [_word("Strategia", "NOUN", ("NOUN",)), _word("ohjaa", "VERB", ("VERB",)),
                _word("Vantaata", "PROPN")]
    first, middle, last = features(sentence)
    assert "BOS|sh=T" in first and "midcap|c=NOUN" not in first
    assert "midcap|c=PROPN" in last and "EOS" in last
    assert {"c-1=NOUN", "c1=PROPN", "w-1=strategia", "w1=vantaata", "has=VERB", "x3=jaa"} <= set(middle)
    assert "c-2=NOUN" in last and "c2=PROPN" in first
    assert features(sentence) == features(list(sentence))  # pure: the same words give the same features


def _toy_corpus(n: int = 40):
    # "Kotka" tagged NOUN by the tagger is a name (PROPN) in every sentence: the CRF learns the change.
    sentences, labels = [], []
    for _ in range(n):
        sentences.append([_word("Kotka", "NOUN"), _word("on", "AUX", ("AUX", "VERB")), _word("kaupunki", "NOUN")])
        labels.append(["PROPN", "AUX", "NOUN"])
        sentences.append([_word("Talo", "NOUN"), _word("on", "AUX", ("AUX", "VERB")), _word("iso", "ADJ")])
        labels.append(["NOUN", "AUX", "ADJ"])
    return sentences, labels


def test_tag_refiner_confident_change_replaces_tag_and_low_confidence_keeps_it(tmp_path):
    sentences, labels = _toy_corpus()
    path = tmp_path / "refiner.crfsuite"
    summary = train_refiner(sentences, labels, path)
    assert summary["sentences"] == 80 and summary["tokens"] == 240 and path.stat().st_size > 0
    sentence = sentences[0]
    assert TagRefiner(path).refine(sentence) == ["PROPN", "AUX", "NOUN"]
    assert TagRefiner(path, confidence=1.01).refine(sentence) == ["NOUN", "AUX", "NOUN"]  # nothing is that sure
    assert TagRefiner(path).refine([]) == []


def test_train_refiner_sentence_of_other_length_skipped(tmp_path):
    sentences, labels = _toy_corpus(5)
    summary = train_refiner(sentences + [[_word("yksi", "NUM")]], labels + [["NUM", "NOUN"]], tmp_path / "r.crfsuite")
    assert summary["skipped"] == 1 and summary["sentences"] == 10


def test_tag_refiner_in_model_without_file_is_none(tmp_path):
    assert TagRefiner.in_model(tmp_path) is None


@pytest.mark.model
def test_analyzer_shipped_model_has_a_refiner_and_model_name_follows_it(tmp_path):
    import shutil

    from pipeline.nlp.analyzer import Analyzer, locate_model

    analyzer = Analyzer(REPO / "models", "compact")
    analyzer.load()
    assert analyzer._refiner is not None
    # The refiner is part of the model: a different refiner file is a different model (outputs redone).
    copy = tmp_path / "compact"
    shutil.copytree(REPO / "models" / "compact", copy)
    before = locate_model(tmp_path, "compact").fingerprint
    (copy / "fi" / "pos" / "refiner.crfsuite").write_bytes(b"retrained")
    assert locate_model(tmp_path, "compact").fingerprint != before


@pytest.mark.parametrize("word, expected", [
    ("sosiaali-", True), ("-palveluja", True), ("EU-", True), ("-", False), ("--", False), ("-5", False),
    ("sote-uudistus", False), ("Keski-Pohjanmaa", False),
])
def test_tag_refiner_is_compound_half_suspended_compound_halves_only(word, expected):
    from pipeline.nlp.tag_refiner import is_compound_half

    assert is_compound_half(word) is expected


def test_tag_refiner_suspended_compound_half_keeps_its_tag_even_when_crf_is_sure(tmp_path):
    # The silver labels make many "data-" halves PROPN; the treebanks tag them NOUN.
    sentence = [_word("data-", "NOUN"), _word("ja", "CCONJ"), _word("tietopalvelut", "NOUN")]
    path = tmp_path / "refiner.crfsuite"
    train_refiner([sentence] * 40, [["PROPN", "CCONJ", "NOUN"]] * 40, path)
    assert TagRefiner(path).refine(sentence) == ["NOUN", "CCONJ", "NOUN"]
    renamed = [_word("Data", "NOUN"), *sentence[1:]]  # the same CRF, a whole word: its change goes through
    train_refiner([renamed] * 40, [["PROPN", "CCONJ", "NOUN"]] * 40, path)
    assert TagRefiner(path).refine(renamed) == ["PROPN", "CCONJ", "NOUN"]
