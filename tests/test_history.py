"""The change history across runs: append-only, published with the run, shown in the report."""
from __future__ import annotations

from datetime import datetime, timezone

from pipeline import load, store
from pipeline.report import render_report
from pipeline.store.history import document_changes, extraction_changes
from pipeline.types import Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, Sentence, Token

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _doc(doc_id, values=("rohkeus",), status="ok"):
    text = "Arvot: " + ", ".join(values) + "."
    raw = RawDocument(doc_id, f"{doc_id}.txt", f"sha-{text}", status, None if status == "ok" else "empty file",
                      text if status == "ok" else None, "utf-8", "fi", len(text))
    if status != "ok":
        return DocumentResult(raw)
    analysis = Analysis(doc_id, text, (Sentence(0, 0, len(text), 0, 1),), (Token(0, 0, "Arvot", "arvo", "NOUN", 0, 5),),
                        "fi-test@0")
    ext, pos = [], 7
    for i, v in enumerate(values, 1):
        ext.append(Extraction(doc_id, "value", i, v, v, pos, pos + len(v), 0, "value.cue", 0.9))
        pos += len(v) + 2
    return DocumentResult(raw, analysis, DocumentMetadata(region="Testin hyvinvointialue"), tuple(ext))


def _history(out):
    return load(out, ["history"])["history"]


def test_history_first_run_records_everything_added(tmp_path, publish):
    publish(tmp_path, [_doc("a", ("rohkeus", "avoimuus"))])
    h = _history(tmp_path).fillna({"normalized": ""})
    assert h[["object", "change", "doc_id", "normalized"]].values.tolist() == [
        ["document", "added", "a", ""], ["extraction", "added", "a", "avoimuus"],
        ["extraction", "added", "a", "rohkeus"]]
    assert h["previous_run"].isna().all()


def test_history_quiet_run_adds_nothing_and_keeps_earlier_changes(tmp_path, publish):
    publish(tmp_path, [_doc("a")])
    second = publish(tmp_path, [_doc("a"), _doc("b")])
    before = _history(tmp_path)
    third = publish(tmp_path, [_doc("a"), _doc("b")])  # nothing changed
    after = _history(tmp_path)
    assert len(after) == len(before) and third.name not in set(after["run_id"])
    new_doc = after[(after["run_id"] == second.name) & (after["object"] == "document")]
    assert new_doc[["change", "doc_id"]].values.tolist() == [["added", "b"]]
    # The report of the quiet run still shows what the earlier run changed.
    html = render_report(store.read_results(third), store.read_results(second), {"run_id": third.name})
    assert f'id="history-{second.name}"' in html and "no change since" in html


def test_history_survives_pruning_of_old_runs(tmp_path, publish):
    first = publish(tmp_path, [_doc("a")])
    publish(tmp_path, [_doc("a", ("avoimuus",))])
    publish(tmp_path, [_doc("a", ("avoimuus",)), _doc("c")])
    assert not (tmp_path / "runs" / first.name).exists()  # pruned, but its changes are kept
    h = _history(tmp_path)
    assert h["run_id"].nunique() == 3 and first.name in set(h["run_id"])
    changed = h[(h["object"] == "extraction") & (h["change"] != "added")]
    assert changed[["change", "normalized"]].values.tolist() == [["removed", "rohkeus"]]


def test_history_failed_run_appends_nothing(tmp_path, publish):
    publish(tmp_path, [_doc("a")])
    before = _history(tmp_path)
    try:
        with store.open_run(tmp_path) as (writer, _):
            writer.add(_doc("b"), NOW, "r1")
            raise RuntimeError("crash")
    except RuntimeError:
        pass
    assert _history(tmp_path).equals(before)


def test_document_changes_content_and_status_are_changes():
    old = [{"doc_id": "a", "sha256": "1", "status": "ok"}, {"doc_id": "b", "sha256": "2", "status": "ok"}]
    new = [{"doc_id": "a", "sha256": "9", "status": "ok"}, {"doc_id": "b", "sha256": "2", "status": "rejected"}]
    assert [(c["doc_id"], c["detail"]) for c in document_changes(old, new)] == [("a", "content"),
                                                                                 ("b", "status ok → rejected")]


def test_extraction_changes_same_item_new_text_is_changed_not_added():
    row = {"doc_id": "a", "field": "value", "item": 1, "normalized": "rohkeus", "text": "rohkeus", "start": 0,
           "end": 7, "rule_id": "r"}
    moved = {**row, "text": "Rohkeus", "start": 10, "end": 17}
    assert [(c["change"], c["detail"]) for c in extraction_changes([row], [moved])] == [("changed", "text")]
    assert extraction_changes([row], [dict(row)]) == []
