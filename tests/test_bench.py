"""The benchmark's corpus builder: deterministic, N documents, all distinct (no timing here)."""
import hashlib

import pytest

from pipeline.bench import SourceText, build_corpus, source_texts, variant


TEXTS = [SourceText("a", "Strategian visio on hyvä arki.\n"), SourceText("b", "Arvomme ovat avoimuus ja rohkeus.")]


def _digests(paths):
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_corpus_has_n_distinct_documents(tmp_path):
    paths = build_corpus(TEXTS, 7, tmp_path / "c")
    assert len(paths) == 7
    assert sorted(p.name for p in (tmp_path / "c").glob("*.txt")) == sorted(p.name for p in paths)
    assert len(set(_digests(paths))) == 7
    # texts are cycled, each copy keeps its source text and only gains a numbered line
    for i, path in enumerate(paths):
        src = TEXTS[i % 2]
        assert path.name.endswith(f"_{src.name}.txt")
        assert path.read_text(encoding="utf-8").startswith(src.text.rstrip())


def test_corpus_is_deterministic(tmp_path):
    first = build_corpus(TEXTS, 5, tmp_path / "x")
    second = build_corpus(TEXTS, 5, tmp_path / "y")
    assert [p.name for p in first] == [p.name for p in second]
    assert _digests(first) == _digests(second)
    assert variant("x", 0) != variant("x", 1)


def test_source_texts_skips_missing_folders_and_duplicates(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "p.txt").write_text("sama teksti", encoding="utf-8")
    (tmp_path / "two" / "q.txt").write_text("sama teksti", encoding="utf-8")
    (tmp_path / "two" / "r.txt").write_text("toinen teksti", encoding="utf-8")
    texts = source_texts([tmp_path / "one", tmp_path / "missing", tmp_path / "two"])
    assert [t.name for t in texts] == ["p", "r"]
    with pytest.raises(FileNotFoundError):
        source_texts([tmp_path / "missing"])
