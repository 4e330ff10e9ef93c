"""Candidate resolution: base forms, one item per statement, extractions in document order."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from ..spans import span_f1
from ..types import Analysis, Extraction
from .context import Candidate, Ctx
from .morphology import normalize_value

RESTATED = 0.6  # word-overlap F1 above which two statements of a field are one statement


def resolve(cands: list[Candidate], ctx: Ctx) -> list[Candidate]:
    """Normalize, drop duplicates (a statement stated twice is kept once) and overlaps."""
    text, toks, doc = ctx.analysis.text, ctx.tokens, ctx.doc
    filled = []
    for c in cands:
        start, end = toks[c.a].start, toks[c.b - 1].end
        norm = normalize_value(doc, c.a, c.b) if c.field == "value" else " ".join(text[start:end].split())
        if norm:
            filled.append(replace(c, normalized=norm, start=start, end=end))
    by_field: dict[str, list[Candidate]] = defaultdict(list)
    for c in filled:
        by_field[c.field].append(c)
    kept: list[Candidate] = []
    for fld, items in by_field.items():
        if fld == "value":
            kept += _resolve_values(items)
        else:
            if fld == "goal":
                items = _drop_restated_inline(items)
            kept += _resolve_statements(items, threshold=RESTATED)
    return sorted(kept, key=lambda c: (c.start, c.field))


def _resolve_values(items: list[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for c in sorted(items, key=lambda c: (c.start, -c.confidence)):
        if c.normalized not in seen:
            seen[c.normalized] = c
    forms = set(seen)
    out = []
    for norm, c in seen.items():
        if _is_concatenation(norm, forms - {norm}):
            continue  # "vaikuttavuusrohkeusyhdenvertaisuus": separators lost in the source
        out.append(c)
    return out


def _is_concatenation(word: str, parts: set[str], depth: int = 0) -> bool:
    if depth and word in parts:
        return True
    return any(word.startswith(p) and _is_concatenation(word[len(p):], parts, depth + 1)
               for p in parts if p and len(p) < len(word))


def _drop_restated_inline(items: list[Candidate]) -> list[Candidate]:
    """An inline enumeration that restates a structured list is dropped in favour of the list."""
    blocks = [c for c in items if c.kind == "block"]
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in items:
        if c.kind == "inline":
            groups[c.group].append(c)
    drop = set()
    for g, members in groups.items():
        if any(span_f1(m.normalized, bl.normalized) >= 0.5 for m in members for bl in blocks):
            drop.add(g)
    return [c for c in items if c.group not in drop]


def _resolve_statements(items: list[Candidate], threshold: float) -> list[Candidate]:
    out: list[Candidate] = []
    for c in sorted(items, key=lambda c: (-c.confidence, c.start)):
        if any(span_f1(c.normalized, k.normalized) >= threshold or (c.start < k.end and k.start < c.end) for k in out):
            continue
        out.append(c)
    return out


def to_extractions(cands: list[Candidate], analysis: Analysis) -> list[Extraction]:
    counters: dict[str, int] = defaultdict(int)
    out = []
    for c in sorted(cands, key=lambda c: (c.field, c.start)):
        counters[c.field] += 1
        out.append(Extraction(
            doc_id=analysis.doc_id, field=c.field, item=counters[c.field],
            text=analysis.text[c.start:c.end], normalized=c.normalized, start=c.start, end=c.end,
            sentence=analysis.tokens[c.a].sentence, rule_id=c.rule_id, confidence=round(c.confidence, 3),
        ))
    return sorted(out, key=lambda x: (x.start, x.field))
