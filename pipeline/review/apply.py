"""Machine extractions + reviewers' decisions -> the reviewed extractions of one document (pure).

Decisions are applied in the order they were made; for each machine item the
latest one counts, and `undo` cancels the decision it names.  A decision made
on another version of the text (its sha256 differs) is re-anchored only when
its exact text occurs exactly once in the current text; otherwise, or when the
machine no longer extracts the item it names, it is *stale*: not applied,
reported, and of course kept in the history.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from ..types import FIELDS, Extraction
from .decisions import Decision, text_sha256

REVIEW_RULE = "review"  # rule_id of items a reviewer added
REVIEWED_CONFIDENCE = 1.0
STATUS_FOR = {"accept": "accepted", "reject": "rejected", "edit": "edited"}

SentenceOf = Callable[[int], int]


@dataclass(frozen=True)
class StaleDecision:
    decision: Decision
    reason: str


@dataclass(frozen=True)
class ReviewedItem:
    """One row of the reviewed extractions, with the machine item and the decision behind it."""

    extraction: Extraction  # as reviewed (review status set)
    machine: Extraction | None  # the machine's item; None for an added one
    decision: Decision | None  # the decision in force; None when unreviewed


@dataclass(frozen=True)
class ReviewedDocument:
    doc_id: str
    items: tuple[ReviewedItem, ...]
    stale: tuple[StaleDecision, ...]
    reviewed: bool  # marked reviewed, on this very text
    reviewed_by: str | None = None

    @property
    def extractions(self) -> tuple[Extraction, ...]:
        return tuple(i.extraction for i in self.items)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("unreviewed", "accepted", "rejected", "edited", "added")}
        for i in self.items:
            out[i.extraction.review] = out.get(i.extraction.review, 0) + 1
        out["stale"] = len(self.stale)
        return out


def _effective(decisions: Sequence[Decision]) -> list[Decision]:
    """Decisions not cancelled by an undo (an undo of an undo restores), oldest first, undos left out."""
    cancelled: set[int] = set()
    kept = []
    for d in sorted(decisions, key=lambda d: d.id, reverse=True):
        if d.id in cancelled:
            continue
        if d.action == "undo":
            if d.target is not None:
                cancelled.add(d.target)
            continue
        kept.append(d)
    return kept[::-1]


def _anchor(text: str, same_text: bool, start: int | None, end: int | None, span: str | None) -> tuple[int, int] | str:
    """(start, end) of `span` in `text`, or why it cannot be placed."""
    if start is None or end is None or span is None:
        return "incomplete decision"
    if same_text:
        if text[start:end] == span:
            return start, end
        return "its text is not at its interval"
    if not span:
        return "empty text"
    first = text.find(span)
    if first < 0:
        return f"the text changed and {_short(span)} is no longer in it"
    if text.find(span, first + 1) >= 0:
        return f"the text changed and {_short(span)} occurs more than once: ambiguous"
    return first, first + len(span)


def _short(span: str, limit: int = 40) -> str:
    flat = " ".join(span.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def apply_decisions(doc_id: str, text: str, machine: Iterable[Extraction], decisions: Sequence[Decision],
                    sentence_of: SentenceOf | None = None) -> ReviewedDocument:
    """The reviewed items of one document; `sentence_of(offset)` numbers the sentence of new spans."""
    sha = text_sha256(text)
    machine_items = list(machine)
    by_key = {(e.field, e.start, e.end): e for e in machine_items}
    in_force: dict[tuple[str, int, int], tuple[Decision, Extraction | None]] = {}
    added: list[tuple[Decision, Extraction]] = []
    stale: list[StaleDecision] = []
    reviewed: Decision | None = None

    for d in _effective(decisions):
        same = d.sha256 == sha
        if d.action in ("reviewed", "unreviewed"):
            if not same:
                stale.append(StaleDecision(d, "the text changed since the document was marked"))
                reviewed = None
            else:
                reviewed = d if d.action == "reviewed" else None
            continue
        where = _anchor(text, same, d.start, d.end, d.text)
        if isinstance(where, str):
            stale.append(StaleDecision(d, where))
            continue
        field = d.field or ""
        if d.action == "add":
            start, end = where
            key = (field, start, end)
            if key in by_key:  # the machine found it too: adding it accepts it
                in_force[key] = (d, None)
                continue
            added.append((d, Extraction(doc_id, field, 0, text[start:end], d.normalized or normalize(field, text[start:end]),
                                        start, end, sentence_of(start) if sentence_of else -1, REVIEW_RULE,
                                        REVIEWED_CONFIDENCE, "added")))
            continue
        key = (field, *where)
        target = by_key.get(key)
        if target is None:
            stale.append(StaleDecision(d, "the machine no longer extracts this item"))
            continue
        if d.action == "edit":
            new = _anchor(text, same, d.new_start, d.new_end, d.new_text)
            if isinstance(new, str):
                stale.append(StaleDecision(d, f"new span: {new}"))
                continue
            start, end = new
            new_field = d.new_field or target.field
            keep_normalized = new_field == target.field and (start, end) == (target.start, target.end)
            normalized = d.normalized or (target.normalized if keep_normalized else normalize(new_field, text[start:end]))
            edited = replace(target, field=new_field, start=start, end=end, text=text[start:end],
                             normalized=normalized, confidence=REVIEWED_CONFIDENCE, review="edited",
                             sentence=sentence_of(start) if sentence_of else target.sentence)
            in_force[key] = (d, edited)
        else:
            in_force[key] = (d, replace(target, review=STATUS_FOR[d.action]))

    items: list[ReviewedItem] = []
    for e in machine_items:
        key = (e.field, e.start, e.end)
        if key in in_force:
            d, reviewed_e = in_force[key]
            items.append(ReviewedItem(reviewed_e or replace(e, review="accepted"), e, d))
        else:
            items.append(ReviewedItem(replace(e, review="unreviewed"), e, None))
    items.extend(ReviewedItem(e, None, d) for d, e in added)
    return ReviewedDocument(doc_id, _renumber(items), tuple(stale), reviewed is not None,
                            reviewed.reviewer if reviewed else None)


def normalize(field: str, text: str) -> str:
    """A reviewer's item without a given base form: white space collapsed; values lower-cased too."""
    flat = " ".join(text.split())
    return flat.lower() if field == "value" else flat


def _renumber(items: list[ReviewedItem]) -> tuple[ReviewedItem, ...]:
    """Items within each field numbered in text order (what `item` means), rows in text order."""
    ordered = sorted(items, key=lambda i: (i.extraction.start, i.extraction.end,
                                           FIELDS.index(i.extraction.field) if i.extraction.field in FIELDS else 9))
    seen: dict[str, int] = {}
    out = []
    for i in ordered:
        n = seen.get(i.extraction.field, 0) + 1  # items count from 1, as the extractors number them
        seen[i.extraction.field] = n
        out.append(replace(i, extraction=replace(i.extraction, item=n)))
    return tuple(out)


def sentence_locator(sentences: Sequence[tuple[int, int]]) -> SentenceOf:
    """`offset -> index` of the sentence (start, end) holding it; -1 outside every sentence."""
    def find(offset: int) -> int:
        for i, (start, end) in enumerate(sentences):
            if start <= offset < end:
                return i
        return -1
    return find
