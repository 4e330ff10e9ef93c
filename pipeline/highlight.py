"""A document's text as HTML with its extraction spans marked (for the run report).

`highlight_html(text, spans) -> Markup` marks each span with validly nested
``<mark>`` pieces: spans that overlap without nesting are split at the other
span's boundaries.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable, Mapping

from markupsafe import Markup, escape

from .types import FIELDS

FIELD_LABELS = {  # English UI label, Finnish name, non-colour symbol, underline style
    "mission": ("Mission", "missio", "◆", "solid"),
    "vision": ("Vision", "visio", "▲", "double"),
    "value": ("Value", "arvo", "●", "dashed"),
    "goal": ("Goal", "tavoite", "■", "dotted"),
}


def confidence_str(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _field_of(span: Mapping) -> str:
    field = span.get("field") or "other"
    return field if re.fullmatch(r"[A-Za-z0-9_-]+", field) else "other"


def _tooltip(span: Mapping) -> str:
    field = _field_of(span)
    parts = [FIELD_LABELS.get(field, (field,))[0] if field in FIELD_LABELS else field]
    item = span.get("item")
    if item is not None:
        parts[0] += f" #{item}"
    rule = span.get("rule_id")
    if rule:
        parts.append(f"rule {rule}")
    conf = confidence_str(span.get("confidence"))
    if conf:
        parts.append(f"confidence {conf}")
    normalized = span.get("normalized")
    if normalized:
        parts.append(f"normalized: {normalized}")
    return " · ".join(parts)


def highlight_html(text: str, spans: Iterable[Mapping]) -> Markup:
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
        start, end = span.get("start"), span.get("end")
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
                "data-rule": span.get("rule_id") or "",
                "data-confidence": confidence_str(span.get("confidence")),
                "data-item": "" if span.get("item") is None else str(span.get("item")),
                "data-piece": f"{piece}/{total}",
                "title": _tooltip(span),
            }
            span_id = span.get("id")
            if span_id:
                attrs["data-ext"] = span_id
                if piece == 1:
                    attrs["id"] = span_id
            out.append("<mark " + " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items()) + ">")
    return Markup("".join(out))
