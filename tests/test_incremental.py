"""Planning what a run recomputes, and redoing what a code change invalidated."""
from __future__ import annotations

import pytest

from pipeline.incremental import plan
from pipeline.settings import RunSettings
from pipeline.types import RawDocument


def _raw(doc_id, sha="a", status="ok", text="Teksti."):
    return RawDocument(doc_id, f"{doc_id}.txt", sha, status, text=text if status == "ok" else None)


PREV = {"same": {"status": "ok", "sha256": "a", "model": "m1", "rules_version": "r1", "text": "Teksti."},
        "edited": {"status": "ok", "sha256": "a", "model": "m1", "rules_version": "r1", "text": "Teksti."}}


def test_plan_unchanged_file_reuses_everything_and_edited_file_is_analyzed():
    work = plan([_raw("same"), _raw("edited", sha="b"), _raw("new", sha="c")], PREV, "m1", "r1")
    assert [(w.raw.doc_id, w.action) for w in work] == [("edited", "analyze"), ("new", "analyze"), ("same", "reuse_all")]


def test_plan_rules_change_reextracts_without_reanalysis():
    work = plan([_raw("same")], PREV, "m1", "r2")
    assert [w.action for w in work] == ["reuse_analysis"]


def test_plan_model_change_reanalyzes():
    assert [w.action for w in plan([_raw("same")], PREV, "m2", "r1")] == ["analyze"]


def test_plan_rejected_files_are_not_planned():
    assert plan([_raw("bad", status="rejected")], PREV, "m1", "r1") == []


def test_plan_says_why_a_document_is_recomputed():
    work = plan([_raw("same"), _raw("edited", sha="b"), _raw("new", sha="c")], PREV, "m2", "r2")
    assert {w.raw.doc_id: w.reason for w in work} == {"same": "model", "edited": "content", "new": "new"}
    assert [w.reason for w in plan([_raw("same")], PREV, "m1", "r2")] == ["rules"]
    assert [w.reason for w in plan([_raw("same")], PREV, "m1", "r1")] == [""]


@pytest.mark.model
def test_run_after_code_change_redoes_every_document_and_says_so(tmp_path, monkeypatch):
    """Upgrading the package must not publish stale results as unchanged: the reuse keys follow
    the analyzer's and the extractor's code."""
    import shutil
    from pathlib import Path

    import pipeline.flows as flows
    import pipeline.nlp.analyzer as analyzer

    raw = tmp_path / "raw"
    shutil.copytree(Path(__file__).resolve().parent.parent / "raw_texts", raw)
    out, models = tmp_path / "out", Path(__file__).resolve().parent.parent / "models"
    first = flows.run_pipeline(RunSettings(raw, out, models))
    n = first["counts"]["ok"]
    again = flows.run_pipeline(RunSettings(raw, out, models))  # same code: everything reused
    assert again["counts"]["reused_analysis"] == n and "reextracted_rules_or_code" not in again["counts"]

    monkeypatch.setattr(flows.extract, "rules_version", lambda: "extraction-code-changed")
    extracted = flows.run_pipeline(RunSettings(raw, out, models))
    assert extracted["counts"]["reextracted_rules_or_code"] == n and extracted["counts"]["analyzed"] == 0

    monkeypatch.setattr(analyzer, "analyzer_code_version", lambda: "new-analyzer-code")
    analyzed = flows.run_pipeline(RunSettings(raw, out, models))
    assert analyzed["counts"]["reanalyzed_model_or_code"] == n and analyzed["counts"]["analyzed"] == n


def test_plan_new_id_with_stored_bytes_reuses_that_analysis_as_moved():
    work = plan([_raw("renamed")], {"old": PREV["same"]}, "m1", "r1")
    assert [(w.action, w.reason, w.reuse_from) for w in work] == [("reuse_analysis", "moved", "old")]
    assert [w.action for w in plan([_raw("renamed")], {"old": PREV["same"]}, "m2", "r1")] == ["analyze"]
