"""The current run's documents with the decisions as they stand now (for the server, export and report)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .. import store
from ..errors import OutputError
from ..types import StoredDocument
from .apply import ReviewedDocument, apply_decisions
from .decisions import Decision, read_decisions, text_sha256


@dataclass(frozen=True)
class DocumentState:
    document: StoredDocument  # its extractions are the machine's
    sha256: str  # of its text, what decisions are made on
    review: ReviewedDocument


def reviewable(document: StoredDocument) -> bool:
    return document.raw.status == "ok" and document.raw.text is not None


def current_documents(out_dir: Path | str) -> dict[str, StoredDocument]:
    """The current run's readable documents by doc_id, with the machine's extractions."""
    run_dir = store.resolve_run(out_dir)
    if run_dir is None:
        raise OutputError(f"no complete run in {out_dir}; run `python -m pipeline run --out-dir {out_dir}` first")
    return {d.raw.doc_id: d for d in store.read_results(run_dir, reviewed=False).documents if reviewable(d)}


def document_state(document: StoredDocument, decisions: Sequence[Decision]) -> DocumentState:
    text = document.raw.text or ""
    return DocumentState(document, text_sha256(text),
                         apply_decisions(document.raw.doc_id, text, document.extractions, decisions))


def states(documents: Mapping[str, StoredDocument], decisions: Mapping[str, Sequence[Decision]]
           ) -> dict[str, DocumentState]:
    return {doc_id: document_state(d, decisions.get(doc_id, ())) for doc_id, d in sorted(documents.items())}


def review_states(out_dir: Path | str, reviews: Path | str) -> dict[str, ReviewedDocument]:
    """doc_id -> the decisions applied to the current run's machine extractions (for the report)."""
    decisions = read_decisions(reviews)
    return {k: s.review for k, s in states(current_documents(out_dir), decisions).items() if k in decisions}
