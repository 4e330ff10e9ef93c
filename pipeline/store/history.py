"""The change history: what each run changed, appended run after run (pure functions).

Each run's folder holds the whole history up to that run (`history.parquet`):
the previous run's rows plus the changes this run made, so it is published by
the same atomic switch as the tables and survives the pruning of old runs.  A
run that changes nothing adds no row.

Documents are keyed by doc_id: added, removed, or changed (content, i.e.
sha256, or status).  Extractions are keyed by (doc_id, field, normalized):
added, removed, or changed when the same item now has another verbatim text
or span.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from ..types import FIELDS

EXTRACTION_KEY = ("doc_id", "field", "normalized")


def _field_rank(field: str | None) -> int:
    return FIELDS.index(field) if field in FIELDS else len(FIELDS)


def document_changes(old: Iterable[Mapping], new: Iterable[Mapping]) -> list[dict]:
    """(doc_id, change, detail) dicts for documents rows, sorted by doc_id."""
    before = {d["doc_id"]: d for d in old}
    after = {d["doc_id"]: d for d in new}
    out = []
    for doc_id in sorted(set(before) | set(after)):
        a, b = before.get(doc_id), after.get(doc_id)
        if a is None:
            out.append({"doc_id": doc_id, "change": "added", "detail": b["status"] if b else None})
        elif b is None:
            out.append({"doc_id": doc_id, "change": "removed", "detail": None})
        elif a.get("sha256") != b.get("sha256"):
            out.append({"doc_id": doc_id, "change": "changed", "detail": "content"})
        elif a.get("status") != b.get("status"):
            out.append({"doc_id": doc_id, "change": "changed", "detail": f"status {a.get('status')} → {b.get('status')}"})
    return out


def _first_by_key(rows: Iterable[Mapping]) -> dict[tuple, Mapping]:
    out: dict[tuple, Mapping] = {}
    for r in sorted(rows, key=lambda r: (r["doc_id"], r["field"], r.get("item") or 0)):
        out.setdefault(tuple(r[k] for k in EXTRACTION_KEY), r)
    return out


def extraction_changes(old: Iterable[Mapping], new: Iterable[Mapping]) -> list[dict]:
    """Extraction changes keyed by (doc_id, field, normalized), sorted by doc_id, field order, normalized."""
    before, after = _first_by_key(old), _first_by_key(new)
    out = []
    for key in set(before) | set(after):
        a, b = before.get(key), after.get(key)
        rec = dict(zip(EXTRACTION_KEY, key))
        if a is None and b is not None:
            out.append({**rec, "change": "added", "text": b["text"], "detail": b.get("rule_id")})
        elif b is None and a is not None:
            out.append({**rec, "change": "removed", "text": a["text"], "detail": a.get("rule_id")})
        elif a is not None and b is not None and (a["text"], a["start"], a["end"]) != (b["text"], b["start"], b["end"]):
            detail = "text" if a["text"] != b["text"] else f"span {a['start']}–{a['end']} → {b['start']}–{b['end']}"
            out.append({**rec, "change": "changed", "text": b["text"], "detail": detail})
    out.sort(key=lambda r: (r["doc_id"], _field_rank(r["field"]), r["field"], r["normalized"] or ""))
    return out


def history_rows(run_id: str, committed_at: datetime, previous_run: str | None,
                 documents: list[dict], extractions: list[dict]) -> list[dict]:
    """This run's history rows (documents first), from `document_changes` and `extraction_changes`."""
    base = {"run_id": run_id, "committed_at": committed_at, "previous_run": previous_run}
    rows = [{**base, "object": "document", "change": d["change"], "doc_id": d["doc_id"], "field": None,
             "normalized": None, "text": None, "detail": d["detail"]} for d in documents]
    rows += [{**base, "object": "extraction", "change": e["change"], "doc_id": e["doc_id"], "field": e["field"],
              "normalized": e["normalized"], "text": e["text"], "detail": e["detail"]} for e in extractions]
    return rows
