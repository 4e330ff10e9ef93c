"""Invisible characters (zero-width space, soft hyphen, ...) kept out of the way of analysis and cues.

A zero-width space in ``Vis\u200bio:`` or a soft hyphen in ``Missi\u00adomme``
splits or hides a cue word.  The stored text keeps them (offsets index the
text as read), but the model and the rules see the text without them:
`analyze_text` analyses the visible text and maps every offset back, and
`extract_visible` runs an extractor on the visible text of an analysis and
maps its extractions back.  Both are the identity on text without such
characters.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import replace
from typing import Callable, Sequence

from .types import Analysis, DocumentMetadata, Extraction

INVISIBLE = {
    "\u00ad": "soft hyphen",
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u2060": "word joiner",
    "\ufeff": "zero-width no-break space",
}
_INVISIBLE_RE = re.compile("[" + "".join(INVISIBLE) + "]")

Extract = Callable[[Analysis], tuple[DocumentMetadata, tuple[Extraction, ...]]]


def note(text: str) -> str | None:
    """A one-line note naming the invisible characters in `text`, or None when there are none."""
    found = _INVISIBLE_RE.findall(text)
    if not found:
        return None
    kinds = sorted({INVISIBLE[c] for c in found})
    return f"{len(found)} invisible character(s) ({', '.join(kinds)}) ignored when matching cue words"


class _Map:
    """Offsets between a text and its visible text (the text without invisible characters)."""

    def __init__(self, text: str):
        self.text = text
        self.keep = [i for i, c in enumerate(text) if c not in INVISIBLE]
        self.visible = "".join(text[i] for i in self.keep)

    def start_to_original(self, pos: int) -> int:
        return self.keep[pos] if pos < len(self.keep) else len(self.text)

    def end_to_original(self, pos: int) -> int:
        return self.keep[pos - 1] + 1 if pos > 0 else 0

    def to_visible(self, pos: int) -> int:
        return bisect_left(self.keep, pos)


def _map_analysis(analysis: Analysis, text: str, start: Callable[[int], int], end: Callable[[int], int]) -> Analysis:
    tokens = tuple(replace(t, start=start(t.start), end=end(t.end), text=text[start(t.start):end(t.end)])
                   for t in analysis.tokens)
    sentences = tuple(replace(s, start=start(s.start), end=end(s.end)) for s in analysis.sentences)
    return replace(analysis, text=text, tokens=tokens, sentences=sentences)


def to_visible(analysis: Analysis) -> tuple[Analysis, _Map] | None:
    """The analysis over the visible text (None when there is nothing to hide)."""
    if not _INVISIBLE_RE.search(analysis.text):
        return None
    m = _Map(analysis.text)
    return _map_analysis(analysis, m.visible, m.to_visible, m.to_visible), m


def to_original(analysis: Analysis, m: _Map) -> Analysis:
    """An analysis of `m.visible` with every offset and token text on the original text."""
    return _map_analysis(analysis, m.text, m.start_to_original, m.end_to_original)


def extract_visible(extract: Extract, analysis: Analysis) -> tuple[DocumentMetadata, tuple[Extraction, ...]]:
    """Run `extract` on the visible text of `analysis`; extractions come back on the original text."""
    visible = to_visible(analysis)
    if visible is None:
        return extract(analysis)
    seen, m = visible
    metadata, extractions = extract(seen)
    mapped = []
    for e in extractions:
        start, end = m.start_to_original(e.start), m.end_to_original(e.end)
        mapped.append(replace(e, start=start, end=end, text=m.text[start:end]))
    return metadata, tuple(mapped)


def analyze_texts(analyze_many: Callable[[Sequence[tuple[str, str]]], Sequence[Analysis]],
                  docs: Sequence[tuple[str, str]]) -> list[Analysis]:
    """`analyze_many` on the visible texts; the analyses come back on the original texts."""
    maps = [_Map(text) if _INVISIBLE_RE.search(text) else None for _, text in docs]
    analyses = analyze_many([(doc_id, m.visible if m else text) for (doc_id, text), m in zip(docs, maps)])
    return [to_original(a, m) if m else a for a, m in zip(analyses, maps)]

