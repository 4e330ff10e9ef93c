"""Decisions applied: pure re-anchoring and stale decisions, every run applying them, load(), gold export."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq

from pipeline import load
from pipeline.evaluate import load_gold, predictions_from_tables, score
from pipeline.review.apply import apply_decisions
from pipeline.review.decisions import DecisionStore, NewDecision, default_reviews_path, text_sha256
from pipeline.review.export import export_gold
from pipeline.store import PreviousOutputs, resolve_run
from pipeline.types import WorkItem

try:
    from tests.review_fixtures import DOC, TEXT, machine, publish, span
except ImportError:  # pragma: no cover
    from review_fixtures import DOC, TEXT, machine, publish, span


def decide(store: DecisionStore, action: str, text: str = TEXT, field: str | None = None, part: str | None = None,
           **more) -> int:
    where = {}
    if part is not None:
        start, end = span(text, part)
        where = {"field": field, "start": start, "end": end, "text": part}
    return store.add(NewDecision(DOC, text_sha256(text), action, **where, **more), "tester").id


def by_text(doc) -> dict[str, str]:
    return {e.text: e.review for e in doc.extractions}


def _reject_one_value_and_add_one(out) -> DecisionStore:
    """A published run, then a reviewer rejects the value "rohkeus" and adds "avoimuus"."""
    publish(out)
    store = DecisionStore(default_reviews_path(out))
    decide(store, "reject", field="value", part="rohkeus")
    decide(store, "add", field="value", part="avoimuus", normalized="avoimuus")
    return store


def test_apply_same_text_applies_every_kind(tmp_path):
    store = DecisionStore(tmp_path / "r.sqlite")
    decide(store, "reject", field="value", part="rohkeus")
    decide(store, "accept", field="mission", part="Autamme ihmisiä arjessa")
    decide(store, "add", field="value", part="avoimuus", normalized="avoimuus")
    start, end = span(TEXT, "Hyvä palvelu kaikille asukkaille")
    decide(store, "edit", field="goal", part="Hyvä palvelu kaikille", new_field="goal", new_start=start,
           new_end=end, new_text="Hyvä palvelu kaikille asukkaille")
    decide(store, "reviewed")
    doc = apply_decisions(DOC, TEXT, machine(), store.all())
    assert by_text(doc) == {"Autamme ihmisiä arjessa": "accepted", "luottamus": "unreviewed", "rohkeus": "rejected",
                            "avoimuus": "added", "Hyvä palvelu kaikille asukkaille": "edited",
                            "Talous tasapainossa vuonna 2027": "unreviewed"}
    assert doc.reviewed and not doc.stale
    values = [e.item for e in doc.extractions if e.field == "value"]
    assert values == [1, 2, 3]  # renumbered in text order


def test_apply_without_base_form_normalizes_added_value_lower_case(tmp_path):
    store = DecisionStore(tmp_path / "r.sqlite")
    decide(store, "add", field="value", part="Arvot")
    [added] = [e for e in apply_decisions(DOC, TEXT, machine(), store.all()).extractions if e.review == "added"]
    assert (added.text, added.normalized) == ("Arvot", "arvot")


def test_apply_changed_text_reanchors_unique_text(tmp_path):
    store = DecisionStore(tmp_path / "r.sqlite")
    decide(store, "reject", field="value", part="rohkeus")
    changed = "Johdanto lisätty alkuun.\n" + TEXT
    doc = apply_decisions(DOC, changed, machine(changed), store.all())
    assert by_text(doc)["rohkeus"] == "rejected" and not doc.stale


def test_apply_changed_text_missing_span_is_stale_not_applied(tmp_path):
    store = DecisionStore(tmp_path / "r.sqlite")
    decide(store, "reject", field="value", part="rohkeus")
    decide(store, "reviewed")
    changed = TEXT.replace("rohkeus", "uskallus")
    doc = apply_decisions(DOC, changed, machine(changed), store.all())
    reasons = [s.reason for s in doc.stale]
    assert len(doc.stale) == 2 and "no longer in it" in reasons[0]
    assert not doc.reviewed  # the mark was for the old text
    assert "rejected" not in by_text(doc).values()


def test_apply_changed_text_ambiguous_span_is_stale(tmp_path):
    store = DecisionStore(tmp_path / "r.sqlite")
    decide(store, "add", field="value", part="avoimuus", normalized="avoimuus")
    changed = TEXT + "Lisäksi avoimuus.\n"
    doc = apply_decisions(DOC, changed, machine(changed), store.all())
    assert "avoimuus" not in by_text(doc)
    assert "more than once" in doc.stale[0].reason


def test_run_applies_decisions_tables_reviewed_machine_kept(tmp_path):
    out = tmp_path / "outputs"
    _reject_one_value_and_add_one(out)
    publish(out)  # the next run applies them
    tables = load(out, ("extractions", "strategies"))
    ext = tables["extractions"].set_index("text")
    assert ext.loc["rohkeus", "review"] == "rejected"
    assert (ext.loc["avoimuus", "review"], ext.loc["avoimuus", "rule_id"]) == ("added", "review")
    assert list(tables["strategies"].iloc[0]["values"]) == ["luottamus", "avoimuus"]
    raw = load(out, ("extractions", "strategies"), reviewed=False)
    assert set(raw["extractions"]["review"]) == {"unreviewed"} and "avoimuus" not in set(raw["extractions"]["text"])
    assert list(raw["strategies"].iloc[0]["values"]) == ["luottamus", "rohkeus"]
    assert pq.read_schema(out / "extractions.parquet").names[-2:] == ["review", "run_id"]
    info = json.loads((resolve_run(out) / "run.json").read_text())
    assert info["review"]["rejected"] == 1 and info["review"]["added"] == 1


def test_reuse_reads_machine_extractions_not_reviewed(tmp_path):
    out = tmp_path / "outputs"
    store = DecisionStore(default_reviews_path(out))
    decide(store, "add", field="value", part="avoimuus", normalized="avoimuus")
    publish(out)
    prev = PreviousOutputs(resolve_run(out))
    raw = prev.by_id[DOC]
    from pipeline.types import RawDocument
    result = prev.reused_results([WorkItem(RawDocument(DOC, raw["source"], raw["sha256"], "ok", text=TEXT),
                                           "reuse_all")])[0]
    assert {e.text for e in result.extractions} == {e.text for e in machine()}
    assert {e.review for e in result.extractions} == {"unreviewed"}


def test_report_shows_review_status_and_stale(tmp_path):
    out = tmp_path / "outputs"
    store = DecisionStore(default_reviews_path(out))
    decide(store, "reject", field="value", part="rohkeus")
    decide(store, "add", field="value", part="avoimuus", normalized="avoimuus")
    decide(store, "reviewed")
    changed = TEXT.replace("avoimuus", "avoimuus ja avoimuus")
    from pipeline import report, store as st
    publish(out, changed, machine(changed))
    run = resolve_run(out)
    from pipeline.review.state import review_states
    html = report.render_report(st.read_results(run), None, None, reviews=review_states(out, default_reviews_path(out)))
    assert 'id="review-table"' in html and "review-rejected" in html
    assert "occurs more than once" in html and "not reviewed" in html


def test_export_writes_reviewed_documents_as_gold_scored_by_evaluate(tmp_path):
    out = tmp_path / "outputs"
    store = _reject_one_value_and_add_one(out)
    gold_dir = tmp_path / "gold"
    assert export_gold(out, default_reviews_path(out), gold_dir) == []  # not marked reviewed yet
    decide(store, "reviewed")
    [path] = export_gold(out, default_reviews_path(out), gold_dir)
    gold = json.loads(path.read_text(encoding="utf-8"))
    assert gold["doc_id"] == DOC and gold["mission"] == ["Autamme ihmisiä arjessa"]
    assert gold["values"] == [{"surface": "luottamus", "lemma": "luottamus"}, {"surface": "avoimuus", "lemma": "avoimuus"}]
    assert (gold_dir / f"{DOC}.txt").read_text(encoding="utf-8") == TEXT
    machine_tables = load(out, ("documents", "extractions"), reviewed=False)
    preds, languages = predictions_from_tables(machine_tables["extractions"], machine_tables["documents"])
    result = score(preds, languages, load_gold(gold_dir)).as_dict()
    assert result["documents"][0]["false"] == {"value": ["rohkeus"]}
    assert result["documents"][0]["missed"] == {"value": ["avoimuus"]}


def test_predictions_from_reviewed_tables_skip_rejected():
    ext = pd.DataFrame([{"doc_id": "d", "field": "value", "item": 1, "text": "a", "normalized": "a", "review": "rejected"},
                        {"doc_id": "d", "field": "value", "item": 2, "text": "b", "normalized": "b", "review": "added"}])
    preds, _ = predictions_from_tables(ext, pd.DataFrame({"doc_id": ["d"], "language": ["fi"]}))
    assert preds == {"d": {"value": ["b"]}}
