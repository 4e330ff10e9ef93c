"""The benchmark's corpus builder: deterministic, N documents, all distinct (no timing here)."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import defaults
from pipeline.bench import SourceText, build_corpus, finnish_texts, source_texts, summarize_workers, variant


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


FI = ("Hyvinvointialueen strategia ohjaa toimintaamme vuoteen 2030 asti, ja arvojamme ovat "
      "yhteisöllisyys, avoimuus ja vastuullisuus.\n")
SV = ("Välfärdsområdets strategi styr vår verksamhet fram till år 2030, och våra värderingar är "
      "öppenhet, ansvar och samarbete.\n")


def test_source_texts_cp1252_crlf_and_swedish_read_as_ingest_reads_them(tmp_path):
    # Read through `ingest`, not as UTF-8 with replacement characters: ä/ö survive a cp1252 file,
    # CRLF becomes LF, and a Swedish file stays in the corpus (the pipeline under test skips it).
    (tmp_path / "a.txt").write_bytes(FI.replace("\n", "\r\n").encode("cp1252"))
    (tmp_path / "b.txt").write_text(SV, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / ".hidden.txt").write_text(FI, encoding="utf-8")
    texts = source_texts([tmp_path])
    assert [(t.name, t.text) for t in texts] == [("a", FI), ("b", SV)]


def test_finnish_texts_swedish_and_empty_files_left_out(tmp_path):
    (tmp_path / "a.txt").write_text(FI, encoding="utf-8")
    (tmp_path / "b.txt").write_text(SV, encoding="utf-8")
    (tmp_path / "c.txt").write_bytes(b"")
    assert finnish_texts(tmp_path) == [FI]


def test_summarize_workers_threads_not_given_defaults_share(monkeypatch):
    monkeypatch.setattr(defaults.os, "cpu_count", lambda: 8)
    runs = {w: [{"run_s": s, "tokens": 1000, "peak_tree_rss_mb": 100.0}] for w, s in ((1, 10.0), (2, 5.0))}
    rows = summarize_workers(runs)
    assert [(r["workers"], r["threads_per_worker"], r["speedup_vs_1"]) for r in rows] == [(1, 8, 1.0), (2, 4, 2.0)]
    assert [r["threads_per_worker"] for r in summarize_workers(runs, threads_per_worker=3)] == [3, 3]


def test_bench_child_unknown_role_exits_nonzero_naming_it():
    # `python -m pipeline.bench JSON` is how every measurement child starts: the entry point must exist.
    proc = subprocess.run([sys.executable, "-m", "pipeline.bench", json.dumps({"role": "nonsense"})],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode != 0
    assert "unknown benchmark child role 'nonsense'" in proc.stderr


@pytest.mark.model
def test_raw_analyzer_children_sharing_texts_each_take_every_other_one(tmp_path):
    # The analyzer's two-process figure beside spaCy's n_process=2: two children split the texts.
    from pipeline.bench.processes import Server

    texts = [f"Hyvinvointialueen {n}. visio on terve arki.\n" for n in ("ensimmäinen", "toinen", "kolmas")]
    build_corpus([SourceText(str(i), t) for i, t in enumerate(texts)], 3, tmp_path / "raw")
    common = {"raw_dir": str(tmp_path / "raw"), "models_dir": str(Path(__file__).resolve().parents[1] / "models"),
              "model": "auto", "batch_size": 16, "threads": 1}
    halves = [Server("raw", {**common, "part": [k, 2]}, tmp_path / f"half-{k}.log") for k in (0, 1)]
    try:
        assert [half.ready["documents"] for half in halves] == [2, 1]
        for half in halves:
            half.send(op="pass")
        answers = [half.receive() for half in halves]
    finally:
        for half in halves:
            half.close()
    whole = finnish_texts(tmp_path / "raw")
    assert len(whole) == 3
    assert all(answer["tokens"] > 0 for answer in answers)


def test_spacy_missing_model_not_installed_names_pip_extra(monkeypatch):
    from pipeline.bench import startup

    monkeypatch.setattr(startup, "SPACY_MODEL", "no_such_spacy_model_xyz")
    reason = startup.spacy_missing()
    assert reason is not None and "\n" not in reason
    assert "no_such_spacy_model_xyz is not installed" in reason and "pip install '.[bench]'" in reason


def test_spacy_missing_voikko_library_absent_one_line_with_apt_packages(monkeypatch):
    # The model is installed (the bench extra) but Debian's libvoikko is not: said before any measurement.
    import types

    from pipeline.bench import startup

    def no_library(language):
        raise OSError("libvoikko.so.1: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(startup, "SPACY_MODEL", "json")  # a module that is surely installed
    monkeypatch.setitem(sys.modules, "libvoikko", types.SimpleNamespace(Voikko=no_library))
    reason = startup.spacy_missing()
    assert reason is not None and "\n" not in reason
    assert "libvoikko.so.1" in reason and "apt-get install libvoikko1 voikko-fi" in reason
