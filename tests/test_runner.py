"""The run loop without Prefect or a model: what is recomputed, what is reused, and the order of rows."""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd

from pipeline import runner, store
from pipeline.types import Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, Sentence, Token

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
KEYS = runner.RunKeys(model="m1", rules="r1")


def _raw(doc_id: str, text: str = "Arvomme ovat rohkeus.", status: str = "ok") -> RawDocument:
    ok = status == "ok"
    return RawDocument(doc_id, f"{doc_id}.txt", f"sha-{doc_id}-{text}", status, None if ok else "empty file",
                       text if ok else None, "utf-8", "fi")


def _analysis(raw: RawDocument, model: str = "m1") -> Analysis:
    """A stand-in for the model: one token per whitespace-separated word, one sentence."""
    text, tokens, pos = raw.text or "", [], 0
    for i, word in enumerate(text.split()):
        start = text.index(word, pos)
        pos = start + len(word)
        tokens.append(Token(i, 0, word, word.lower(), "NOUN", start, pos))
    return Analysis(raw.doc_id, text, (Sentence(0, 0, pos, 0, len(tokens)),), tuple(tokens), model)


def _extract(analysis: Analysis) -> tuple[DocumentMetadata, tuple[Extraction, ...]]:
    last = analysis.tokens[-1]
    return DocumentMetadata(region="Testin alue"), (
        Extraction(analysis.doc_id, "value", 1, last.text, last.lemma, last.start, last.end, 0, "test.last", 0.9),)


class Model:
    """`submit` for process_run: records each batch; batches can be made to finish in reverse order."""

    def __init__(self, model: str = "m1"):
        self.model = model
        self.batches: list[list[str]] = []
        self.outstanding = 0
        self.max_outstanding = 0

    def submit(self, docs: list[RawDocument]) -> Future:
        self.batches.append([d.doc_id for d in docs])
        self.outstanding += 1
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        model = self

        class Handle:
            def result(self) -> list[DocumentResult]:
                model.outstanding -= 1
                return [DocumentResult(d, _analysis(d, model.model), *_extract(_analysis(d, model.model)))
                        for d in docs]

        return Handle()


def _run(out, raws, model: Model, keys=KEYS, extract=_extract, batch_size=2, in_flight=2, now=NOW):
    with store.open_run(out) as (writer, previous):
        work = runner.process_run(raws, previous, writer, keys, submit=model.submit, extract=extract,
                                  batch_size=batch_size, in_flight=in_flight, now=now)
        writer.commit({"model": keys.model, "rules_version": keys.rules})
    return work, store.run_info(store.resolve_run(out))["counts"], store.load(out)


def test_process_run_new_documents_analyzed_in_bounded_batches_rows_in_doc_id_order(tmp_path):
    raws = [_raw(d) for d in ("e", "a", "d", "b", "c")] + [_raw("x", status="rejected")]
    model = Model()
    work, counts, tables = _run(tmp_path, raws, model, batch_size=2, in_flight=2)
    assert model.batches == [["a", "b"], ["c", "d"], ["e"]]
    assert model.max_outstanding <= 2
    assert [(w.raw.doc_id, w.action, w.reason) for w in work] == [(d, "analyze", "new") for d in "abcde"]
    assert counts["analyzed"] == 5 and counts["rejected"] == 1
    assert tables["documents"]["doc_id"].tolist() == ["a", "b", "c", "d", "e", "x"]
    assert tables["extractions"]["doc_id"].tolist() == list("abcde")
    assert tables["tokens"].drop_duplicates("doc_id")["doc_id"].tolist() == list("abcde")


def test_process_run_unchanged_documents_reused_without_model_or_extractor(tmp_path):
    raws = [_raw("a"), _raw("b", "Arvo on avoimuus.")]
    _, _, first = _run(tmp_path, raws, Model())

    def no_extract(analysis):
        raise AssertionError("an unchanged document must not be extracted again")

    model = Model()
    work, counts, again = _run(tmp_path, raws, model, extract=no_extract)
    assert model.batches == [] and [w.action for w in work] == ["reuse_all", "reuse_all"]
    assert counts["reused_analysis"] == 2 and "reextracted_rules_or_code" not in counts
    for name in ("documents", "tokens", "extractions", "strategies", "values"):
        # Identical but for the run_id column, which names the run the tables belong to.
        pd.testing.assert_frame_equal(again[name].drop(columns="run_id", errors="ignore"),
                                      first[name].drop(columns="run_id", errors="ignore"), obj=name)
    assert again["documents"]["run_id"].nunique() == 1 and set(again["documents"]["run_id"]) != set(
        first["documents"]["run_id"])


def test_process_run_rules_change_reextracts_from_stored_analysis_and_counts_it(tmp_path):
    raws = [_raw("a"), _raw("b", "Arvo on avoimuus.")]
    _run(tmp_path, raws, Model())
    seen = []

    def first_word(analysis):
        seen.append(analysis.doc_id)
        tok = analysis.tokens[0]
        return DocumentMetadata(), (Extraction(analysis.doc_id, "goal", 1, tok.text, tok.lemma, tok.start, tok.end,
                                               0, "test.first", 0.5),)

    model = Model()
    work, counts, tables = _run(tmp_path, raws, model, keys=runner.RunKeys("m1", "r2"), extract=first_word)
    assert model.batches == [] and seen == ["a", "b"]
    assert counts["reextracted_rules_or_code"] == 2 and counts["reused_analysis"] == 2
    assert tables["extractions"][["doc_id", "field", "text"]].values.tolist() == [["a", "goal", "Arvomme"],
                                                                                  ["b", "goal", "Arvo"]]
    assert tables["documents"]["rules_version"].tolist() == ["r2", "r2"]


def test_process_run_model_change_and_edited_text_reanalyze_only_those(tmp_path):
    _run(tmp_path, [_raw("a"), _raw("b")], Model())
    model = Model("m2")
    work, counts, tables = _run(tmp_path, [_raw("a"), _raw("b", "Visio on rohkea.")], model,
                                keys=runner.RunKeys("m2", "r1"))
    assert {w.raw.doc_id: w.reason for w in work} == {"a": "model", "b": "content"}
    assert counts["analyzed"] == 2 and counts["reanalyzed_model_or_code"] == 1
    assert tables["extractions"]["text"].tolist() == ["rohkeus.", "rohkea."]


def test_process_run_unchanged_rejected_and_skipped_keep_processed_at_changed_ones_renewed(tmp_path):
    skipped = replace(_raw("s"), status="skipped", reason="Swedish text", text=None)
    raws = [_raw("a"), _raw("r", status="rejected"), skipped, _raw("z", status="rejected")]
    _, _, first = _run(tmp_path, raws, Model())
    later = datetime(2026, 2, 1, tzinfo=timezone.utc)
    changed = replace(raws[3], reason="binary file (PDF document), not text")
    _, _, again = _run(tmp_path, raws[:3] + [changed], Model(), now=later)
    stamps = dict(zip(again["documents"].doc_id, again["documents"].processed_at))
    assert stamps["a"] == stamps["r"] == stamps["s"] == pd.Timestamp(NOW)
    assert stamps["z"] == pd.Timestamp(later)
    def rows(docs):  # the documents other than z, without run_id (it names each run)
        return docs[docs.doc_id != "z"].drop(columns="run_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(again["documents"]), rows(first["documents"]))


def test_process_run_same_bytes_twice_later_skipped_as_duplicate_and_extracted_once(tmp_path):
    a = _raw("a")
    copy = replace(a, doc_id="sub/a", source="sub/a.txt")
    model = Model()
    _, counts, tables = _run(tmp_path, [copy, a], model)
    assert model.batches == [["a"]]
    docs = tables["documents"].set_index("doc_id")
    assert docs.loc["sub/a", "status"] == "skipped" and docs.loc["sub/a", "reason"] == "duplicate of a"
    assert tables["extractions"]["doc_id"].tolist() == ["a"] and counts["skipped"] == 1


def test_process_run_renamed_file_reuses_analysis_and_extracts_under_new_id(tmp_path):
    _run(tmp_path, [_raw("a"), _raw("b", "Visio on rohkea.")], Model())
    moved = replace(_raw("a"), doc_id="new/a", source="new/a.txt")
    model, seen = Model(), []

    def counting(analysis):
        seen.append(analysis.doc_id)
        return _extract(analysis)

    work, counts, tables = _run(tmp_path, [moved, _raw("b", "Visio on rohkea.")], model, extract=counting)
    assert model.batches == [] and seen == ["new/a"]
    assert {w.raw.doc_id: (w.action, w.reason) for w in work}["new/a"] == ("reuse_analysis", "moved")
    assert counts["reused_moved"] == 1 and counts["analyzed"] == 0
    assert set(tables["tokens"].doc_id) == {"new/a", "b"}
    assert tables["extractions"].set_index("doc_id").loc["new/a", "text"] == "rohkeus."


def test_flow_discover_transient_error_retried_then_run_succeeds(tmp_path, monkeypatch):
    """The discover task's retries can fire: a listing that fails once with EIO succeeds on the retry."""
    import errno
    import os

    import pipeline.flows as flows
    import pipeline.ingest as ingest

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("Hei maailma.", encoding="utf-8")
    real_walk, calls = os.walk, []

    def flaky_walk(top, onerror=None, followlinks=False):
        calls.append(top)
        if len(calls) == 1:
            onerror(OSError(errno.EIO, "Input/output error", str(top)))
        return real_walk(top, onerror=onerror, followlinks=followlinks)

    monkeypatch.setattr(ingest.os, "walk", flaky_walk)
    sources = flows.discover_task.with_options(retry_delay_seconds=0)(str(raw))
    assert [s.doc_id for s in sources] == ["a"] and len(calls) == 2
