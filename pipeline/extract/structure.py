"""Document structure of a press text: list items, headings, paragraphs, labels, menus.

Press texts copied from web pages keep their structure in line breaks: a
paragraph, a heading or a list item is one line.  This module describes each
line (pure, text-based) so the readers can say "the list that follows", "the
paragraph under this heading", "the label before the dash" or "this block is
the site's navigation, not content".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

BULLET = re.compile(r"^([ \t\u00a0]*)([•·▪●◦‣∙*\-–—])[ \t\u00a0]+")
NUMBERED = re.compile(r"^([ \t\u00a0]*)(\d{1,2}|[a-h])[.)][ \t\u00a0]+")
FINAL_PUNCT = (".", "!", "?", "…")
# "AVOIMUUS – Kerromme …", "Hyvinvointi: Väestön …": a short label, then its explanation.
LABEL_SEPARATOR = re.compile(r"\s+[–—-]\s+|:\s+")
MAX_LABEL_WORDS = 6
SHORT_LINE_WORDS = 10
# Lines that name pages or actions rather than state content: links to other documents,
# share buttons, "Tutustu …" calls.  A block of them is navigation.
NAVIGATION = re.compile(
    r"(?i)(^(tutustu|lue|katso|lataa|siirry|jaa|seuraa|avaa|palaa|takaisin|etusivu|tulosta|kuuntele)\b"
    r"|strategi|ohjelm|suunnitelm|kartta|raportt|facebook|twitter|linkedin|instagram|youtube|\.pdf\b"
    r"|https?://|www\.)")


@dataclass(frozen=True)
class Line:
    index: int
    start: int  # offset of the first character of the line
    end: int  # offset after the last non-newline character
    content_start: int  # after indentation and any list marker
    indent: int
    marker: str | None  # "bullet" | "number" | None
    symbol: str | None  # the bullet character, or None for numbered items
    text: str  # the line's content (after the marker), stripped on the right

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def is_item(self) -> bool:
        return self.marker is not None

    @property
    def ends_sentence(self) -> bool:
        return self.text.rstrip().rstrip("”\"'»)").endswith(FINAL_PUNCT)

    @property
    def n_words(self) -> int:
        return len(self.text.split())

    @property
    def is_short(self) -> bool:
        """A title-like line: a few words, no final punctuation, not a label ending in a colon."""
        text = self.text.rstrip()
        return (not self.blank and not self.ends_sentence and not text.endswith(":")
                and self.n_words <= SHORT_LINE_WORDS)

    @property
    def is_navigation(self) -> bool:
        return self.n_words <= 8 and not self.ends_sentence and bool(NAVIGATION.search(self.text))

    def label_end(self) -> int | None:
        """End offset of a leading label ("AVOIMUUS – …", "Luottamus: …"), or None.

        The label is at most a few words and something must follow the separator.
        """
        m = LABEL_SEPARATOR.search(self.text)
        if m is None or not self.text[m.end():].strip():
            return None
        label = self.text[: m.start()]
        if not label.strip() or len(label.split()) > MAX_LABEL_WORDS or label.rstrip().endswith(FINAL_PUNCT):
            return None
        return self.content_start + len(label.rstrip())


def lines_of(text: str) -> list[Line]:
    out = []
    pos = 0
    for i, raw in enumerate(text.split("\n")):
        start, end = pos, pos + len(raw)
        pos = end + 1
        marker, symbol, cstart, indent = None, None, start, len(raw) - len(raw.lstrip(" \t\u00a0"))
        m = BULLET.match(raw) or NUMBERED.match(raw)
        if m and raw[m.end():].strip():
            marker = "bullet" if m.re is BULLET else "number"
            symbol = m.group(2) if marker == "bullet" else None
            cstart = start + m.end()
        else:
            cstart = start + indent
        content = text[cstart:end].rstrip()
        out.append(Line(i, start, cstart + len(content), cstart, indent, marker, symbol, content))
    return out


class Layout:
    """Lines of a text with lookups by character offset."""

    def __init__(self, text: str):
        self.text = text
        self.lines = lines_of(text)
        self._starts = [ln.start for ln in self.lines]

    def line_at(self, offset: int) -> Line:
        import bisect

        return self.lines[max(0, bisect.bisect_right(self._starts, offset) - 1)]

    def next_nonblank(self, index: int, max_gap: int = 4) -> Line | None:
        """The first non-blank line after line `index` (at most `max_gap` blank lines between)."""
        gap = 0
        for ln in self.lines[index + 1:]:
            if not ln.blank:
                return ln
            gap += 1
            if gap > max_gap:
                return None
        return None

    def list_after(self, index: int, skip_intro: int = 0) -> list[Line]:
        """Top-level items of the list starting after line `index`.

        Up to `skip_intro` non-item lines may stand between (an intro
        sentence).  Deeper-indented items (sub-bullets: explanations) are skipped.
        """
        first = self.next_nonblank(index)
        skipped = 0
        while first is not None and not first.is_item and skipped < skip_intro:
            skipped += 1
            first = self.next_nonblank(first.index)
        if first is None or not first.is_item:
            return []
        items, top_indent = [], first.indent
        ln: Line | None = first
        # A list keeps its marker: a "— " line after a "•" list is a quotation, not an item.
        while ln is not None and ln.is_item and (ln.indent > top_indent or ln.symbol == first.symbol):
            if ln.indent <= top_indent:
                items.append(ln)
            ln = self.next_nonblank(ln.index, max_gap=3)
        return items

    def paragraphs_after(self, index: int, limit: int) -> list[Line]:
        """Following non-blank, non-item lines (paragraphs), up to `limit`."""
        out: list[Line] = []
        ln = self.next_nonblank(index)
        while ln is not None and len(out) < limit and not ln.is_item:
            out.append(ln)
            ln = self.next_nonblank(ln.index)
        return out

    def lines_after(self, index: int, limit: int, max_gap: int = 3) -> list[Line]:
        """The next `limit` non-blank lines of any kind."""
        out: list[Line] = []
        ln = self.next_nonblank(index, max_gap)
        while ln is not None and len(out) < limit:
            out.append(ln)
            ln = self.next_nonblank(ln.index, max_gap)
        return out


def is_menu(lines: list[Line]) -> bool:
    """A block of page titles and links (navigation), not statements."""
    return bool(lines) and sum(ln.is_navigation for ln in lines) * 2 >= len(lines)


def short_line_run(lines: list[Line]) -> list[Line]:
    """The leading run of title-like lines (items written without bullets)."""
    run = []
    for ln in lines:
        if ln.is_item or not ln.is_short:
            break
        run.append(ln)
    return run


def subheading_items(lines: list[Line]) -> list[Line]:
    """Sub-headings each followed by a paragraph ("Rohkeus" / "Uudistamme …"): the sub-headings.

    Needs at least two, alternating with their paragraphs.
    """
    heads: list[Line] = []
    i = 0
    while i + 1 < len(lines) and lines[i].is_short and not lines[i].is_item and not lines[i + 1].is_short \
            and not lines[i + 1].is_item:
        heads.append(lines[i])
        i += 2
        while i < len(lines) and not lines[i].is_short and not lines[i].is_item and len(heads) and i + 1 < len(lines) \
                and not lines[i + 1].is_short:
            i += 1  # a second paragraph under the same sub-heading
    return heads if len(heads) >= 2 else []
