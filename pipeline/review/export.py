"""Reviewed documents as gold: `DIR/<doc>.txt` + `DIR/<doc>.gold.json` in the corpus format.

The gold items are the reviewed truth: every item not rejected (a document
marked reviewed vouches for the items nobody touched), edits as corrected,
additions included; values carry their base form as `lemma`.  Only documents
marked reviewed on their current text are written, so `python -m pipeline
evaluate --gold DIR` scores the pipeline against the reviewers.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..types import FIELDS
from .decisions import read_decisions
from .state import DocumentState, current_documents, states


def gold_name(doc_id: str) -> str:
    """A flat file name for a doc_id ('/' in sub-folder ids becomes '__')."""
    name = re.sub(r"[^\w.-]+", "_", doc_id.replace("/", "__")).strip("._")
    return name or "document"


def gold_record(state: DocumentState, name: str) -> dict:
    doc = state.document
    kept = [i.extraction for i in state.review.items if i.extraction.review != "rejected"]
    by_field = {f: [e for e in kept if e.field == f] for f in FIELDS}
    reviewers = sorted({i.decision.reviewer for i in state.review.items if i.decision}
                       | ({state.review.reviewed_by} if state.review.reviewed_by else set()))
    return {
        "doc_id": name, "url": None, "date": doc.metadata.decided_on, "language": doc.raw.language or "fi",
        "region": doc.metadata.region, "complete": True,
        "mission": [e.text for e in by_field["mission"]],
        "vision": [e.text for e in by_field["vision"]],
        "values": [{"surface": e.text, "lemma": e.normalized} for e in by_field["value"]],
        "goals": [e.text for e in by_field["goal"]],
        "notes": f"exported from review of {doc.raw.doc_id} (sha256 {state.sha256[:12]}); "
                 f"reviewed by {', '.join(reviewers) or 'unknown'}",
    }


def export_gold(out_dir: Path | str, reviews: Path | str, to: Path | str) -> list[Path]:
    """Write every reviewed document of the current run to `to`; returns the gold files written."""
    target = Path(to)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    used: set[str] = set()
    for doc_id, state in states(current_documents(out_dir), read_decisions(reviews)).items():
        if not state.review.reviewed:
            continue
        name, n = gold_name(doc_id), 2
        while name in used:
            name, n = f"{gold_name(doc_id)}-{n}", n + 1
        used.add(name)
        _write(target / f"{name}.txt", state.document.raw.text or "")
        gold = target / f"{name}.gold.json"
        _write(gold, json.dumps(gold_record(state, name), ensure_ascii=False, indent=2) + "\n")
        written.append(gold)
    return written


def _write(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8", newline="")
    os.replace(tmp, path)
