"""Deciding what a run must recompute (pure functions).

A document's analysis is reused when its bytes (sha256) and the NLP model
(weights, lexicon and the analyzer's own code) are unchanged; its extractions
too when the extraction rules and code are also unchanged.  A new document id
whose bytes a stored document has (a renamed or moved file) reuses that
analysis and is extracted again (its rows carry the new id).
Anything else is recomputed, so a model or rules update invalidates exactly
what it produced.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from .types import RawDocument, WorkItem


def plan(raws: Iterable[RawDocument], previous: Mapping[str, Mapping], model: str, rules_version: str) -> list[WorkItem]:
    """One `WorkItem` per readable Finnish document, in doc_id order."""
    items = []
    by_sha: dict[str, tuple[str, Mapping]] = {}
    for doc_id, row in previous.items():
        if row.get("status") == "ok" and row.get("sha256") and row.get("model") == model:
            by_sha.setdefault(row["sha256"], (doc_id, row))
    for raw in sorted(raws, key=lambda r: r.doc_id):
        if raw.status != "ok":
            continue
        prev = previous.get(raw.doc_id)
        same_text = (prev is not None and prev.get("status") == "ok" and prev.get("sha256") == raw.sha256
                     and prev.get("text") == raw.text)
        moved = by_sha.get(raw.sha256 or "")
        if (prev is None or not same_text) and moved is not None and moved[1].get("text") == raw.text:
            items.append(WorkItem(raw, "reuse_analysis", "moved", reuse_from=moved[0]))
        elif prev is None or prev.get("status") != "ok":
            items.append(WorkItem(raw, "analyze", "new"))
        elif not same_text:
            items.append(WorkItem(raw, "analyze", "content"))
        elif prev.get("model") != model:
            items.append(WorkItem(raw, "analyze", "model"))
        elif prev.get("rules_version") == rules_version:
            items.append(WorkItem(raw, "reuse_all"))
        else:
            items.append(WorkItem(raw, "reuse_analysis", "rules"))
    return items
