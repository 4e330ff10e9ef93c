"""What every reader sees of one document: the analysis, its spaCy `Doc`, its line structure.

Also the `Candidate` record the readers produce and the token helpers they share.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..types import Analysis
from .structure import Layout, Line

SENTENCE_END = (".", "!", "?", "…", ":", ";", "”", "\"", "»", ")")


@dataclass(frozen=True)
class Candidate:
    """A statement a reader found, before resolution (token range [a, b))."""

    field: str
    a: int
    b: int
    rule_id: str
    confidence: float
    group: str  # which enumeration / list it came from
    kind: str  # "single" | "inline" | "block"
    normalized: str = ""
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Match:
    """A cue rule's match: tokens [s, e), the cue word, and the sentence [sa, sb) it is in."""

    s: int
    e: int
    cue: int
    sa: int
    sb: int

    @property
    def group(self) -> str:
        return f"@{self.s}"


class Ctx:
    def __init__(self, analysis: Analysis, doc):
        self.analysis = analysis
        self.doc = doc
        self.tokens = analysis.tokens

    @cached_property
    def layout(self) -> Layout:
        return Layout(self.analysis.text)

    @cached_property
    def _line_tokens(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for tok in self.tokens:
            out.setdefault(self.layout.line_at(tok.start).index, []).append(tok.index)
        return out

    @cached_property
    def _sentences(self) -> tuple[list[int], list[tuple[int, int]]]:
        """Sentences as the readers see them: the model's, except that a break inside a line
        after no final punctuation is not one ("Vision mukaan vuoden 2026 | Oulu on …")."""
        text = self.analysis.text
        of_token: list[int] = []
        ranges: list[tuple[int, int]] = []
        for sent in self.analysis.sentences:
            first = sent.first_token
            prev = self.tokens[first - 1] if first > 0 else None
            joined = (prev is not None and ranges and "\n" not in text[prev.end:self.tokens[first].start]
                      and not prev.text.endswith(SENTENCE_END))
            if joined:
                ranges[-1] = (ranges[-1][0], sent.last_token)
            else:
                ranges.append((first, sent.last_token))
            of_token += [len(ranges) - 1] * (sent.last_token - first)
        return of_token, ranges

    def sentence_of(self, i: int) -> int:
        return self._sentences[0][i]

    def sentence_range(self, i: int) -> tuple[int, int]:
        return self._sentences[1][self.sentence_of(i)]

    def sentence_start(self, n: int) -> int:
        """First token of the reader's sentence `n` (clamped to the first sentence)."""
        return self._sentences[1][max(0, n)][0]

    def line_of(self, i: int) -> Line:
        return self.layout.line_at(self.tokens[i].start)

    def tokens_in(self, start: int, end: int) -> list[int]:
        """Tokens lying inside the character interval [start, end)."""
        line = self.layout.line_at(start).index
        out = []
        for idx in range(line, len(self.layout.lines)):
            if self.layout.lines[idx].start >= end:
                break
            out += [i for i in self._line_tokens.get(idx, ()) if self.tokens[i].start >= start and self.tokens[i].end <= end]
        return out

    def line_tokens(self, line: Line) -> list[int]:
        return self.tokens_in(line.content_start, line.end)

    def first_sentence(self, line: Line, end: int | None = None) -> tuple[int, int] | None:
        """Token range of the first sentence of a line (up to `end`, a character offset)."""
        rng = self.tokens_in(line.content_start, end if end is not None else line.end)
        if not rng:
            return None
        first = self.sentence_of(rng[0])
        inside = [i for i in rng if self.sentence_of(i) == first]
        return inside[0], inside[-1] + 1

    def line_has_concept(self, line: Line) -> bool:
        return any(self.doc[i]._.concept for i in self.line_tokens(line))

    def concepts_in_line(self, line: Line) -> list[int]:
        return [i for i in self.line_tokens(line) if self.doc[i]._.concept]
