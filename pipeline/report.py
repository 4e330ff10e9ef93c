"""The run report: one self-contained HTML page for reviewing a run's results.

Everything here is pure: `render_report` takes the run's tables (and the
previous run's, when there is one) and returns the page as a string; the store
module writes it.  The page has no external references (inline CSS and a
little inline JS) so it opens from disk, and it reads fine without JS.

Public functions:

* `render_report(current, previous=None, run_info=None) -> str`
* `highlight_html(text, spans) -> Markup` -- a document's text with spans
  marked as validly nested ``<mark>`` pieces (overlaps are split).
* `diff_runs(current, previous) -> dict` -- what changed since the previous run.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

FIELDS = ("mission", "vision", "value", "goal")
FIELD_LABELS = {  # English UI label, Finnish name, non-colour symbol, underline style
    "mission": ("Mission", "missio", "◆", "solid"),
    "vision": ("Vision", "visio", "▲", "double"),
    "value": ("Value", "arvo", "●", "dashed"),
    "goal": ("Goal", "tavoite", "■", "dotted"),
}
STATUS_ORDER = {"ok": 0, "rejected": 1, "skipped": 2}
RUN_INFO_ORDER = ("run_id", "started_at", "finished_at", "raw_dir", "out_dir", "model", "rules_version")
RUN_INFO_LABELS = {"run_id": "Run", "started_at": "Started", "finished_at": "Finished", "raw_dir": "Input",
                   "out_dir": "Output", "model": "Model", "rules_version": "Rules"}
TRUNCATE = 90

TEMPLATE_DIR = Path(__file__).parent / "templates"


# --------------------------------------------------------------------------- values


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):  # array-likes
        return False


def _scalar(value: Any) -> Any:
    """A table cell as a plain Python value; None for null / NaN / NA."""
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def _text(value: Any) -> str | None:
    value = _scalar(value)
    if value is None:
        return None
    value = str(value)
    return value if value.strip() else None


def _as_list(value: Any) -> list:
    """A list<...> cell (list, tuple, numpy array or null) as a list of non-null items."""
    if value is None or isinstance(value, (str, bytes)):
        return [] if value is None else [value]
    if isinstance(value, float) and math.isnan(value):
        return []
    try:
        items = list(value)
    except TypeError:
        return [] if _is_missing(value) else [value]
    return [_scalar(v) for v in items if not _is_missing(v)]


def _int(value: Any) -> int | None:
    value = _scalar(value)
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    value = _scalar(value)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _table(tables: Mapping[str, pd.DataFrame] | None, name: str) -> pd.DataFrame | None:
    if not tables:
        return None
    frame = tables.get(name)
    return frame if isinstance(frame, pd.DataFrame) else None


def _truncate(text: str | None, limit: int = TRUNCATE) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _confidence(value: Any) -> str:
    value = _float(value)
    return "" if value is None else f"{value:.2f}"


def _anchor_ids(doc_ids: Iterable[str]) -> dict[str, str]:
    """Stable, unique HTML ids for doc_ids (which may contain '/', spaces, umlauts)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for doc_id in doc_ids:
        base = "doc-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", doc_id).strip("-") or "x")
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        out[doc_id] = anchor
    return out


# --------------------------------------------------------------------------- highlighting


def _field_of(span: Mapping) -> str:
    field = _text(span.get("field")) or "other"
    return field if re.fullmatch(r"[A-Za-z0-9_-]+", field) else "other"


def _tooltip(span: Mapping) -> str:
    field = _field_of(span)
    parts = [FIELD_LABELS.get(field, (field,))[0] if field in FIELD_LABELS else field]
    item = _int(span.get("item"))
    if item is not None:
        parts[0] += f" #{item}"
    rule = _text(span.get("rule_id"))
    if rule:
        parts.append(f"rule {rule}")
    conf = _confidence(span.get("confidence"))
    if conf:
        parts.append(f"confidence {conf}")
    normalized = _text(span.get("normalized"))
    if normalized:
        parts.append(f"normalized: {normalized}")
    return " · ".join(parts)


def highlight_html(text: str, spans: list[dict]) -> Markup:
    """`text` as escaped HTML with every span marked by ``<mark>`` elements.

    Each span is a mapping with ``start`` and ``end`` (character offsets into
    `text`) and optionally ``field``, ``rule_id``, ``confidence``, ``item``,
    ``normalized`` and ``id`` (an HTML id given to the span's first piece).
    Spans that overlap without nesting are split into pieces at the other
    span's boundaries, so the result is always validly nested; concatenating
    the result's text nodes gives back `text` exactly.  Every piece carries
    ``data-field``, ``data-rule``, ``data-confidence`` and a ``title`` tooltip;
    the first piece of a span has class ``first``, its last ``last``.
    Spans outside the text or empty are ignored.
    """
    text = text or ""
    n = len(text)
    valid = []
    for order, span in enumerate(spans or ()):
        start, end = _int(span.get("start")), _int(span.get("end"))
        if start is None or end is None or not 0 <= start < end <= n:
            continue
        field = _field_of(span)
        rank = FIELDS.index(field) if field in FIELDS else len(FIELDS)
        valid.append((start, -end, rank, order, end, span))
    valid.sort(key=lambda v: v[:4])

    starting: dict[int, list[int]] = defaultdict(list)
    bounds = {0, n}
    for i, (start, _, _, _, end, _) in enumerate(valid):
        starting[start].append(i)
        bounds.update((start, end))
    ends = [v[4] for v in valid]

    # First pass: a token stream of text, ("open", span_index) and ("close", None).
    stream: list[tuple[str, Any]] = []
    stack: list[int] = []
    pieces = [0] * len(valid)
    pos = 0
    for p in sorted(bounds):
        if p > pos:
            stream.append(("text", text[pos:p]))
            pos = p
        closing = [k for k, s in enumerate(stack) if ends[s] == p]
        if closing:
            k = closing[0]
            reopen = [s for s in stack[k:] if ends[s] != p]
            stream.extend(("close", None) for _ in stack[k:])
            del stack[k:]
            for s in reopen:
                stream.append(("open", s))
                pieces[s] += 1
                stack.append(s)
        for s in starting.get(p, ()):
            stream.append(("open", s))
            pieces[s] += 1
            stack.append(s)
    assert not stack, "every span ends within the text"

    # Second pass: render, now that each span's number of pieces is known.
    out: list[str] = []
    seen = [0] * len(valid)
    for kind, value in stream:
        if kind == "text":
            out.append(str(escape(value)))
        elif kind == "close":
            out.append("</mark>")
        else:
            span = valid[value][5]
            seen[value] += 1
            piece, total = seen[value], pieces[value]
            field = _field_of(span)
            classes = ["hl", f"hl-{field}"]
            if piece == 1:
                classes.append("first")
            if piece == total:
                classes.append("last")
            attrs = {
                "class": " ".join(classes),
                "data-field": field,
                "data-rule": _text(span.get("rule_id")) or "",
                "data-confidence": _confidence(span.get("confidence")),
                "data-item": "" if _int(span.get("item")) is None else str(_int(span.get("item"))),
                "data-piece": f"{piece}/{total}",
                "title": _tooltip(span),
            }
            span_id = _text(span.get("id"))
            if span_id:
                attrs["data-ext"] = span_id
                if piece == 1:
                    attrs["id"] = span_id
            out.append("<mark " + " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items()) + ">")
    return Markup("".join(out))


# --------------------------------------------------------------------------- diff


def _doc_hashes(frame: pd.DataFrame | None) -> dict[str, str | None]:
    if frame is None or len(frame) == 0 or "doc_id" not in frame:
        return {}
    sha = frame["sha256"] if "sha256" in frame else [None] * len(frame)
    return {str(d): _text(s) for d, s in zip(frame["doc_id"], sha)}


def _extraction_keys(frame: pd.DataFrame | None) -> dict[tuple[str, str, str], dict]:
    """(doc_id, field, normalized) -> a representative row (the first by item)."""
    out: dict[tuple[str, str, str], dict] = {}
    if frame is None or len(frame) == 0:
        return out
    rows = frame.to_dict("records")
    rows.sort(key=lambda r: (_int(r.get("item")) is None, _int(r.get("item")) or 0))
    for row in rows:
        key = (str(row.get("doc_id")), _text(row.get("field")) or "", _text(row.get("normalized")) or "")
        out.setdefault(key, {
            "doc_id": key[0], "field": key[1], "normalized": key[2],
            "text": _text(row.get("text")) or "", "rule_id": _text(row.get("rule_id")) or "",
            "confidence": _float(row.get("confidence")),
        })
    return out


def _field_sort(rec: Mapping) -> tuple:
    field = rec["field"]
    return (rec["doc_id"], FIELDS.index(field) if field in FIELDS else len(FIELDS), field, rec["normalized"])


def diff_runs(current: Mapping[str, pd.DataFrame], previous: Mapping[str, pd.DataFrame] | None) -> dict:
    """What changed between the previous run's tables and the current ones.

    Returns a dict with ``first_run`` (True when `previous` is None; all lists
    are then empty), ``new`` / ``changed`` / ``removed`` (sorted doc_ids:
    documents only in the current run / whose sha256 differs / only in the
    previous run) and ``appeared`` / ``disappeared`` (extractions keyed by
    (doc_id, field, normalized), as dicts with those keys plus text, rule_id,
    confidence; sorted by doc_id, field, normalized).
    """
    result: dict[str, Any] = {"first_run": previous is None, "new": [], "changed": [], "removed": [],
                              "appeared": [], "disappeared": []}
    if previous is None:
        return result
    cur_docs, prev_docs = _doc_hashes(_table(current, "documents")), _doc_hashes(_table(previous, "documents"))
    result["new"] = sorted(set(cur_docs) - set(prev_docs))
    result["removed"] = sorted(set(prev_docs) - set(cur_docs))
    result["changed"] = sorted(d for d in set(cur_docs) & set(prev_docs) if cur_docs[d] != prev_docs[d])
    cur_ext = _extraction_keys(_table(current, "extractions"))
    prev_ext = _extraction_keys(_table(previous, "extractions"))
    result["appeared"] = sorted((cur_ext[k] for k in set(cur_ext) - set(prev_ext)), key=_field_sort)
    result["disappeared"] = sorted((prev_ext[k] for k in set(prev_ext) - set(cur_ext)), key=_field_sort)
    return result


# --------------------------------------------------------------------------- view model


def _documents(current: Mapping[str, pd.DataFrame]) -> list[dict]:
    docs_frame = _table(current, "documents")
    ext_frame = _table(current, "extractions")
    strat_frame = _table(current, "strategies")

    extractions: dict[str, list[dict]] = defaultdict(list)
    if ext_frame is not None:
        for row in ext_frame.to_dict("records"):
            extractions[str(row.get("doc_id"))].append(row)
    strategies: dict[str, dict] = {}
    if strat_frame is not None:
        for row in strat_frame.to_dict("records"):
            strategies.setdefault(str(row.get("doc_id")), row)

    rows = docs_frame.to_dict("records") if docs_frame is not None else []
    known = {str(r.get("doc_id")) for r in rows}
    # Extractions of a document missing from the documents table still get shown.
    rows += [{"doc_id": d, "status": "ok"} for d in sorted(set(extractions) - known)]
    rows.sort(key=lambda r: (STATUS_ORDER.get(_text(r.get("status")) or "", 9),
                             (_text(r.get("region")) or "").casefold(), str(r.get("doc_id"))))
    anchors = _anchor_ids(str(r.get("doc_id")) for r in rows)

    docs = []
    for row in rows:
        doc_id = str(row.get("doc_id"))
        anchor = anchors[doc_id]
        text = _scalar(row.get("text"))
        text = text if isinstance(text, str) else None
        exts = []
        for i, e in enumerate(sorted(extractions.get(doc_id, ()), key=lambda e: (
                _int(e.get("start")) if _int(e.get("start")) is not None else -1,
                FIELDS.index(e.get("field")) if e.get("field") in FIELDS else 9, _int(e.get("item")) or 0))):
            start, end = _int(e.get("start")), _int(e.get("end"))
            ext_text = _text(e.get("text")) or ""
            grounded = text is not None and start is not None and end is not None and text[start:end] == (
                _scalar(e.get("text")) or "")
            exts.append({
                "id": f"{anchor}-x{i + 1}",
                "field": _text(e.get("field")) or "",
                "item": _int(e.get("item")),
                "text": ext_text,
                "normalized": _text(e.get("normalized")) or "",
                "start": start, "end": end,
                "sentence": _int(e.get("sentence")),
                "rule_id": _text(e.get("rule_id")) or "",
                "confidence": _float(e.get("confidence")),
                "confidence_str": _confidence(e.get("confidence")),
                "grounded": grounded,
            })
        by_field = {f: [e for e in exts if e["field"] == f] for f in FIELDS}
        for f in FIELDS:
            by_field[f].sort(key=lambda e: (e["item"] is None, e["item"] or 0, e["start"] or 0))

        strat = strategies.get(doc_id)
        if strat is not None:
            mission, vision = _text(strat.get("mission")), _text(strat.get("vision"))
            values = [str(v) for v in _as_list(strat.get("values"))]
            goals = [str(v) for v in _as_list(strat.get("goals"))]
        else:
            first = {f: (by_field[f][0]["normalized"] or by_field[f][0]["text"]) if by_field[f] else None
                     for f in ("mission", "vision")}
            mission, vision = first["mission"], first["vision"]
            values = list(dict.fromkeys(e["normalized"] or e["text"] for e in by_field["value"]))
            goals = [e["normalized"] or e["text"] for e in by_field["goal"]]

        status = _text(row.get("status")) or "unknown"
        region = _text(row.get("region")) or (_text(strat.get("region")) if strat is not None else None)
        docs.append({
            "doc_id": doc_id,
            "anchor": anchor,
            "source": _text(row.get("source")),
            "sha256": _text(row.get("sha256")),
            "status": status,
            "status_rank": STATUS_ORDER.get(status, 9),
            "reason": _text(row.get("reason")),
            "notes": [str(n) for n in _as_list(row.get("notes"))],
            "language": _text(row.get("language")),
            "region": region,
            "decided_on": _text(row.get("decided_on")),
            "decided_by": _text(row.get("decided_by")),
            "period": _text(row.get("period")),
            "n_sentences": _int(row.get("n_sentences")),
            "n_tokens": _int(row.get("n_tokens")),
            "processed_at": _text(row.get("processed_at")),
            "model": _text(row.get("model")),
            "rules_version": _text(row.get("rules_version")),
            "text": text,
            "has_text": text is not None,
            "extractions": exts,
            "by_field": by_field,
            "counts": {f: len(by_field[f]) for f in FIELDS},
            "ungrounded": sum(1 for e in exts if not e["grounded"]),
            "mission": mission, "mission_short": _truncate(mission),
            "vision": vision, "vision_short": _truncate(vision),
            "value_list": values,
            "goal_list": goals,
            "highlighted": highlight_html(text, exts) if text is not None else None,
            "section": status == "ok" and (text is not None or bool(exts)),
        })
    return docs


def _cross_county(docs: list[dict]) -> dict:
    """Normalized values (rows) x organisations (columns), most shared first."""
    columns = [d for d in docs if d["status"] == "ok" and d["value_list"]]
    region_count: dict[str, int] = defaultdict(int)
    for d in columns:
        region_count[d["region"] or d["doc_id"]] += 1
    cols = []
    for d in columns:
        org = d["region"] or d["doc_id"]
        sub = d["period"] or d["decided_on"] if region_count[org] > 1 else None
        cols.append({"label": org, "sub": sub or (d["doc_id"] if region_count[org] > 1 else None),
                     "anchor": d["anchor"], "org": org, "values": set(d["value_list"])})
    all_values = {v for c in cols for v in c["values"]}
    rows = []
    for value in all_values:
        cells = [value in c["values"] for c in cols]
        orgs = {c["org"] for c in cols if value in c["values"]}
        rows.append({"value": value, "cells": cells, "count": len(orgs)})
    rows.sort(key=lambda r: (-r["count"], r["value"].casefold(), r["value"]))
    return {"columns": cols, "rows": rows, "n_orgs": len({c["org"] for c in cols})}


def _run_info_items(run_info: Mapping | None) -> list[tuple[str, str]]:
    """(label, value) pairs for the header; `counts` (a dict) becomes one entry."""
    if not run_info:
        return []
    keys = [k for k in RUN_INFO_ORDER if k in run_info] + sorted(
        k for k in run_info if k not in RUN_INFO_ORDER and k != "counts")
    items = []
    for key in keys:
        value = run_info[key]
        if _is_missing(value) if not isinstance(value, (dict, list, tuple)) else not value:
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        label = RUN_INFO_LABELS.get(key, key.replace("_", " ").capitalize())
        items.append((label, str(value)))
    counts = run_info.get("counts")
    if isinstance(counts, dict) and counts:
        items.append(("Counts", " · ".join(f"{str(k).replace('_', ' ')} {v}" for k, v in counts.items())))
    elif counts is not None and not isinstance(counts, dict) and not _is_missing(counts):
        items.append(("Counts", str(counts)))
    return items


# --------------------------------------------------------------------------- rendering


def _wbr(value: Any) -> Markup:
    """Escaped text with line-break opportunities after '/', '.', '_' (for ids and paths)."""
    return Markup(re.sub(r"([/._])", r"\1<wbr>", str(escape("" if value is None else value))))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["wbr"] = _wbr
    env.globals["FIELDS"] = FIELDS
    env.globals["FIELD_LABELS"] = FIELD_LABELS
    return env


def render_report(current: dict[str, pd.DataFrame], previous: dict[str, pd.DataFrame] | None = None,
                  run_info: dict | None = None) -> str:
    """The run report as one self-contained HTML page (a string; nothing is written).

    `current` and `previous` map table names ("documents", "extractions",
    "strategies") to DataFrames; `previous` is None on a first run.
    `run_info` may hold run_id, finished_at, raw_dir, model, rules_version,
    counts (a dict) and other scalars; whatever is present is shown.
    """
    docs = _documents(current or {})
    status_counts = {s: sum(1 for d in docs if d["status"] == s) for s in STATUS_ORDER}
    other_status = sum(1 for d in docs if d["status"] not in STATUS_ORDER)
    field_counts = {f: sum(d["counts"][f] for d in docs) for f in FIELDS}
    diff = diff_runs(current or {}, previous)
    names = {d["doc_id"]: d for d in docs}
    prev_regions = {}
    prev_docs = _table(previous, "documents")
    if prev_docs is not None and "doc_id" in prev_docs:
        regions = prev_docs["region"] if "region" in prev_docs else [None] * len(prev_docs)
        prev_regions = {str(d): _text(r) for d, r in zip(prev_docs["doc_id"], regions)}
    info_items = _run_info_items(run_info)
    title_bits = [b for b in ((run_info or {}).get("run_id"), (run_info or {}).get("finished_at")) if b]
    return _environment().get_template("report.html.j2").render(
        docs=docs,
        section_docs=[d for d in docs if d["section"]],
        problem_docs=[d for d in docs if d["status"] != "ok"],
        status_counts=status_counts,
        other_status=other_status,
        field_counts=field_counts,
        n_extractions=sum(field_counts.values()) + sum(
            1 for d in docs for e in d["extractions"] if e["field"] not in FIELDS),
        diff=diff,
        names=names,
        prev_regions=prev_regions,
        cross=_cross_county(docs),
        info_items=info_items,
        title_suffix=" · ".join(str(b) for b in title_bits),
    )
