"""Records → table rows and back (pure): the only place that knows how a record is stored."""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import asdict
from datetime import datetime
from typing import Iterable

import pyarrow as pa

from ..schema import SCHEMAS
from ..types import Analysis, DocumentResult, Extraction, Sentence, Token

if TYPE_CHECKING:
    import pandas as pd  # imported when a table is read: a check that reads none stays fast


def document_row(result: DocumentResult, processed_at: datetime, rules_version: str | None) -> dict:
    raw, analysis, meta = result.raw, result.analysis, result.metadata
    return {
        "doc_id": raw.doc_id, "source": raw.source, "sha256": raw.sha256, "status": raw.status,
        "reason": raw.reason, "notes": list(raw.notes), "language": raw.language,
        "region": meta.region, "decided_on": meta.decided_on, "decided_by": meta.decided_by,
        "period": meta.period,
        "n_sentences": len(analysis.sentences) if analysis else 0,
        "n_tokens": len(analysis.tokens) if analysis else 0,
        "processed_at": processed_at,
        "model": analysis.model if analysis else None,
        "rules_version": rules_version if analysis else None,
        "text": raw.text,
    }


def token_rows(analysis: Analysis) -> dict[str, list]:
    toks = analysis.tokens
    return {
        "doc_id": [analysis.doc_id] * len(toks),
        "sentence": [t.sentence for t in toks], "token": [t.index for t in toks],
        "text": [t.text for t in toks], "lemma": [t.lemma for t in toks], "upos": [t.upos for t in toks],
        "start": [t.start for t in toks], "end": [t.end for t in toks],
    }


def extraction_rows(extractions: Iterable[Extraction]) -> list[dict]:
    return [asdict(e) for e in extractions]


def strategy_row(result: DocumentResult) -> dict:
    """The document's strategy from its extractions in item order; rejected items left out."""
    by_field: dict[str, list[str]] = {"mission": [], "vision": [], "value": [], "goal": []}
    for e in result.extractions:
        if e.review != "rejected":
            by_field[e.field].append(e.normalized)
    return {
        "doc_id": result.raw.doc_id, "region": result.metadata.region,
        "mission": " / ".join(by_field["mission"]) or None,
        "vision": " / ".join(by_field["vision"]) or None,
        "values": by_field["value"], "goals": by_field["goal"],
    }


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
