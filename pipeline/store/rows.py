"""Records → table rows and back (pure): the only place that knows how a record is stored."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dataclasses import asdict
from datetime import date, datetime
from typing import Iterable, Mapping

import pyarrow as pa

from ..concepts import concept_of
from ..schema import SCHEMAS
from ..types import Analysis, DocumentResult, Extraction, Sentence, Token

if TYPE_CHECKING:
    import pandas as pd  # imported when a table is read: a check that reads none stays fast


def to_date(value: str | date | None) -> date | None:
    """An ISO date string (how `DocumentMetadata` carries it) as a date; None stays None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def to_iso(value: str | date | None) -> str | None:
    """A stored date (a date, or an ISO string in tables written before schema 2) as an ISO string."""
    return value.isoformat() if isinstance(value, date) else value


def document_row(result: DocumentResult, processed_at: datetime, rules_version: str | None,
                 run_id: str | None = None) -> dict:
    raw, analysis, meta = result.raw, result.analysis, result.metadata
    return {
        "doc_id": raw.doc_id, "source": raw.source, "sha256": raw.sha256, "status": raw.status,
        "reason": raw.reason, "notes": list(raw.notes), "language": raw.language,
        "region": meta.region, "organisation_id": meta.organisation_id, "organisation_name": meta.region,
        "organisation_kind": meta.organisation_kind,
        "decided_on": to_date(meta.decided_on), "decided_by": meta.decided_by,
        "period": meta.period,
        "n_sentences": len(analysis.sentences) if analysis else 0,
        "n_tokens": len(analysis.tokens) if analysis else 0,
        "processed_at": processed_at,
        "model": analysis.model if analysis else None,
        "rules_version": rules_version if analysis else None,
        "text": raw.text,
        "run_id": run_id,
    }


def token_rows(analysis: Analysis) -> dict[str, list]:
    toks = analysis.tokens
    return {
        "doc_id": [analysis.doc_id] * len(toks),
        "sentence": [t.sentence for t in toks], "token": [t.index for t in toks],
        "text": [t.text for t in toks], "lemma": [t.lemma for t in toks], "upos": [t.upos for t in toks],
        "start": [t.start for t in toks], "end": [t.end for t in toks],
    }


def extraction_rows(extractions: Iterable[Extraction], run_id: str | None = None) -> list[dict]:
    return [{**asdict(e), "concept": concept_of(e.normalized) if e.field == "value" else None, "run_id": run_id}
            for e in extractions]


def strategy_row(result: DocumentResult, run_id: str | None = None) -> dict:
    """The document's strategy from its extractions in item order; rejected items left out."""
    by_field: dict[str, list[str]] = {"mission": [], "vision": [], "value": [], "goal": []}
    for e in result.extractions:
        if e.review != "rejected":
            by_field[e.field].append(e.normalized)
    return {
        "doc_id": result.raw.doc_id, "region": result.metadata.region,
        "organisation_id": result.metadata.organisation_id, "organisation_name": result.metadata.region,
        "mission": " / ".join(by_field["mission"]) or None,
        "vision": " / ".join(by_field["vision"]) or None,
        "values": by_field["value"], "goals": by_field["goal"],
        "run_id": run_id,
    }


def _strategy_date(doc: Mapping) -> tuple:
    """How recent a strategy is: its decision date, else the first year of its period, else unknown (oldest)."""
    decided = to_date(doc.get("decided_on"))
    if decided is not None:
        return (1, decided.isoformat())
    years = re.findall(r"(?:19|20)\d\d", doc.get("period") or "")
    return (1, f"{years[0]}-01-01") if years else (0, "")


def values_rows(documents: Iterable[Mapping], values: Mapping[str, list[str]], run_id: str | None = None) -> list[dict]:
    """The values table: one row per organisation and value, from its latest strategy that states values.

    `documents` are documents rows, `values` the normalized values of each doc_id
    in order.  Latest = latest decision date, else the first year of its period;
    on ties (or when neither is stated) the greater doc_id.  A document whose
    organisation is not recognised stands for itself (organisation_id null).
    """
    # Recognised organisations first (by id), then the unrecognised documents (by doc_id).
    by_org: dict[tuple[int, str], list[Mapping]] = {}
    for doc in documents:
        if values.get(doc["doc_id"]):
            key = (0, doc["organisation_id"]) if doc.get("organisation_id") else (1, doc["doc_id"])
            by_org.setdefault(key, []).append(doc)
    rows = []
    for key in sorted(by_org):
        docs = by_org[key]
        latest = max(docs, key=lambda d: (_strategy_date(d), d["doc_id"]))
        seen: set[str] = set()
        for item, value in enumerate(values[latest["doc_id"]], 1):
            if value in seen:
                continue
            seen.add(value)
            rows.append({"organisation_id": latest.get("organisation_id"),
                         "organisation_name": latest.get("organisation_name"),
                         "organisation_kind": latest.get("organisation_kind"), "value": value,
                         "concept": concept_of(value), "item": item, "doc_id": latest["doc_id"],
                         "decided_on": to_date(latest.get("decided_on")), "period": latest.get("period"),
                         "n_documents": len(docs), "run_id": run_id})
    return rows


def analysis_from_tokens(doc_id: str, text: str, model: str, frame: pd.DataFrame | None) -> Analysis:
    """Rebuild an `Analysis` from stored token rows (sentences follow from them); None: no tokens."""
    if frame is None:
        return Analysis(doc_id, text, (), (), model)
    if not frame["token"].is_monotonic_increasing:
        frame = frame.sort_values("token")
    columns = [frame[c].tolist() for c in ("token", "sentence", "text", "lemma", "upos", "start", "end")]
    tokens = tuple(map(Token, *columns))
    sentences = []
    first = 0
    for i, tok in enumerate(tokens):
        last_of_sentence = i + 1 == len(tokens) or tokens[i + 1].sentence != tok.sentence
        if last_of_sentence:
            sentences.append(Sentence(tok.sentence, tokens[first].start, tok.end, first, i + 1))
            first = i + 1
    return Analysis(doc_id, text, tuple(sentences), tokens, model)


def arrow_table(rows: list[dict] | dict[str, list], name: str) -> pa.Table:
    schema = SCHEMAS[name]
    if isinstance(rows, dict):
        return pa.Table.from_pydict(rows, schema=schema)
    return pa.Table.from_pylist(rows, schema=schema)
