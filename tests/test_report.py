"""The HTML run report (pipeline.report): content, escaping, span nesting, run diff."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest

from pipeline.report import diff_runs, highlight_html, render_report
from pipeline.types import DocumentMetadata, Extraction, RawDocument, RunResults, StoredDocument, Strategy

HOSTILE = "<script>alert(1)</script>"

# --------------------------------------------------------------------------- fixtures (hand-built records)

TEXT_KP = (
    "Keski-Pohjanmaan hyvinvointialue\n\n"
    "Aluevaltuusto hyväksyi strategian 14.6.2022.\n"
    "Missio: Hyvinvointia, terveyttä ja turvallisuutta – ihmiselle.\n"
    "Visio: Suomen toimivin hyvinvointialue.\n"
    "Arvot: vaikuttavuus, osallisuus, yhdenvertaisuus ja rohkeus.\n\n"
    "Strategiset painopisteet:\n"
    "• Yhdenvertaiset ja sujuvat palveluketjut\n"
    "• Vahvat peruspalvelut alueella\n"
)
TEXT_PH = (
    "Päijät-Hämeen hyvinvointialue\n"
    "Strategiakausi 2023–2025.\n"
    f"Missio: Hyvä elämä & terveys {HOSTILE} kaikille.\n"
    "Visio: Rohkea ja yhdenvertainen Päijät-Häme.\n"
    "Arvomme ovat yhdenvertaisuus, luotettavuus ja avoimuus.\n"
    "Tavoitteena on sujuva arki ja yhdessä tekeminen.\n"
)
TEXT_KAINUU = "Kainuun hyvinvointialue\n\nArvomme ovat rohkeus ja yhdenvertaisuus.\n"

KP, PH, KAINUU = "keski-pohjanmaa/strategia-2022", "paijat-hame-strategia", "kainuu"
REJECTED, SKIPPED = "lappi-uutinen", "tyhja"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ext(doc_id: str, text: str, field: str, item: int, snippet: str, normalized: str | None = None,
        rule_id: str = "rule", confidence: float = 0.9, nth: int = 0) -> Extraction:
    """An extraction whose offsets are found with str.find (so text[start:end] == snippet)."""
    start = -1
    for _ in range(nth + 1):
        start = text.find(snippet, start + 1)
    assert start >= 0, snippet
    end = start + len(snippet)
    assert text[start:end] == snippet
    return Extraction(doc_id, field, item, snippet, normalized if normalized is not None else snippet, start, end,
                      text.count(".", 0, start), rule_id, confidence)


def doc(doc_id: str, status: str, text: str | None, region: str | None = None, reason: str | None = None,
        notes: tuple[str, ...] = (), language: str | None = "fi", **meta) -> StoredDocument:
    analysed = text is not None
    return StoredDocument(
        RawDocument(doc_id, f"{doc_id}.txt", sha(text or doc_id), status, reason, text, language=language,
                    notes=notes),
        DocumentMetadata(region, meta.get("decided_on"), meta.get("decided_by"), meta.get("period")),
        n_sentences=text.count(".") if analysed else 0, n_tokens=len(text.split()) if analysed else 0,
        processed_at=datetime(2024, 5, 2, 10, tzinfo=timezone.utc),
        model="compact@abc123" if analysed else None, rules_version="r-1f2e" if analysed else None)


def results(documents: list[StoredDocument], extractions: list[Extraction],
            strategies: dict[str, Strategy] | None = None) -> RunResults:
    """A run as `store.read_results` gives it: documents by doc_id, each with its extractions and strategy
    (every ok document has a strategy; an empty one unless given)."""
    strategies = strategies or {}
    return RunResults(tuple(
        replace(d, extractions=tuple(e for e in extractions if e.doc_id == d.raw.doc_id),
                strategy=strategies.get(d.raw.doc_id, Strategy()) if d.raw.status == "ok" else None)
        for d in sorted(documents, key=lambda d: d.raw.doc_id)))


def all_extractions(run: RunResults) -> list[Extraction]:
    return [e for d in run.documents for e in d.extractions]


def kp_extractions() -> list[Extraction]:
    t = TEXT_KP
    return [
        ext(KP, t, "mission", 1, "Hyvinvointia, terveyttä ja turvallisuutta – ihmiselle", rule_id="mission.label"),
        ext(KP, t, "vision", 1, "Suomen toimivin hyvinvointialue", rule_id="vision.label"),
        ext(KP, t, "value", 1, "vaikuttavuus", rule_id="values.list", confidence=0.95),
        ext(KP, t, "value", 2, "osallisuus", rule_id="values.list", confidence=0.95),
        ext(KP, t, "value", 3, "yhdenvertaisuus", rule_id="values.list", confidence=0.95),
        ext(KP, t, "value", 4, "rohkeus", rule_id="values.list", confidence=0.95),
        ext(KP, t, "goal", 1, "Yhdenvertaiset ja sujuvat palveluketjut", rule_id="goals.bullets", confidence=0.8),
        ext(KP, t, "goal", 2, "Vahvat peruspalvelut alueella", rule_id="goals.bullets", confidence=0.8),
    ]


def ph_extractions(values=("yhdenvertaisuus", "luotettavuus", "avoimuus")) -> list[Extraction]:
    t = TEXT_PH
    rows = [
        ext(PH, t, "mission", 1, f"Hyvä elämä & terveys {HOSTILE} kaikille", rule_id="mission.label"),
        ext(PH, t, "vision", 1, "Rohkea ja yhdenvertainen Päijät-Häme", rule_id="vision.label"),
        # nested inside the vision, sharing its start
        ext(PH, t, "value", 1, "Rohkea", "rohkeus", rule_id="values.from_vision", confidence=0.55),
    ]
    for i, v in enumerate(values, start=2):
        if v in t:
            rows.append(ext(PH, t, "value", i, v, rule_id="values.list", confidence=0.9))
        else:  # a value found elsewhere in the text (for the previous run's variant)
            rows.append(ext(PH, t, "value", i, "Arvomme", v, rule_id="values.list", confidence=0.6))
    rows += [
        # crossing: the goal ends inside the value "yhdessä tekeminen"
        ext(PH, t, "goal", 1, "sujuva arki ja yhdessä", "sujuva arki", rule_id="goals.tavoitteena", confidence=0.7),
        ext(PH, t, "value", 9, "yhdessä tekeminen", rule_id="values.noun_phrase", confidence=0.5),
    ]
    return rows


def kainuu_extractions() -> list[Extraction]:
    t = TEXT_KAINUU
    return [ext(KAINUU, t, "value", 1, "rohkeus", rule_id="values.list"),
            ext(KAINUU, t, "value", 2, "yhdenvertaisuus", rule_id="values.list")]


def sample_documents() -> list[StoredDocument]:
    return [
        doc(KP, "ok", TEXT_KP, "Keski-Pohjanmaan hyvinvointialue", decided_on="2022-06-14",
            decided_by="aluevaltuusto", period="2022–2025"),
        doc(PH, "ok", TEXT_PH, "Päijät-Hämeen hyvinvointialue", period="2023–2025"),
        doc(KAINUU, "ok", TEXT_KAINUU, "Kainuun hyvinvointialue", notes=("decoded as cp1252",)),
        doc(REJECTED, "rejected", None, reason="not a strategy text: no mission, vision or values found",
            notes=("decoded as cp1252", "HTML stripped"), language=None),
        doc(SKIPPED, "skipped", None, reason="empty file", language=None),
    ]


SAMPLE_STRATEGIES = {
    KP: Strategy("Hyvinvointia, terveyttä ja turvallisuutta – ihmiselle", "Suomen toimivin hyvinvointialue",
                 ("vaikuttavuus", "osallisuus", "yhdenvertaisuus", "rohkeus"),
                 ("Yhdenvertaiset ja sujuvat palveluketjut", "Vahvat peruspalvelut alueella")),
    PH: Strategy(f"Hyvä elämä & terveys {HOSTILE} kaikille", "Rohkea ja yhdenvertainen Päijät-Häme",
                 ("rohkeus", "yhdenvertaisuus", "luotettavuus", "avoimuus", "yhdessä tekeminen"), ("sujuva arki",)),
    KAINUU: Strategy(None, None, ("rohkeus", "yhdenvertaisuus"), ()),
}


def sample_run() -> RunResults:
    """Three ok documents (one with hostile text, one with only values), one rejected, one skipped."""
    return results(sample_documents(), kp_extractions() + ph_extractions() + kainuu_extractions(), SAMPLE_STRATEGIES)


def changed_previous(current: RunResults) -> RunResults:
    """The previous run: identical except PH's bytes, and 'asukaslähtöisyys' instead of 'avoimuus'."""
    old_ph = tuple(ph_extractions(("yhdenvertaisuus", "luotettavuus", "asukaslähtöisyys")))
    return RunResults(tuple(
        replace(d, raw=replace(d.raw, sha256=sha("older version")), extractions=old_ph) if d.raw.doc_id == PH else d
        for d in current.documents))


def sample_previous(current: RunResults) -> RunResults:
    """A richer previous run for the report: PH changed, Kainuu new, Etelä-Savo removed."""
    prev = changed_previous(current)
    text = "Etelä-Savon hyvinvointialue. Arvot: rohkeus."
    etela_savo = replace(doc("etela-savo", "ok", text, "Etelä-Savon hyvinvointialue"),
                         extractions=(ext("etela-savo", text, "value", 1, "rohkeus"),),
                         strategy=Strategy(values=("rohkeus",)))
    docs = [d for d in prev.documents if d.raw.doc_id != KAINUU] + [etela_savo]
    return RunResults(tuple(sorted(docs, key=lambda d: d.raw.doc_id)))


RUN_INFO = {"run_id": "2024-05-02T10-00-00-ab12", "finished_at": "2024-05-02T10:01:30+00:00",
            "raw_dir": "raw_texts", "model": "compact@abc123", "rules_version": "r-1f2e",
            "counts": {"documents": 5, "ok": 3, "rejected": 1, "skipped": 1}}


# --------------------------------------------------------------------------- HTML helpers

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Checker(HTMLParser):
    """Asserts tags close in order; collects text, headings and tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check(html: str) -> Checker:
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed: {checker.stack}"
    return checker


def doc_text_fragments(html: str) -> dict[str, str]:
    """doc_id -> inner HTML of its highlighted text block."""
    out = {}
    for m in re.finditer(r'<article class="document" id="[^"]+" [^>]*data-doc-id="([^"]+)">(.*?)</article>', html, re.S):
        inner = re.search(r'<div class="doc-text"[^>]*>(.*?)</div>', m.group(2), re.S)
        out[m.group(1)] = inner.group(1) if inner else None
    return out


def plain(fragment: str) -> str:
    return "".join(check(fragment).text)


# --------------------------------------------------------------------------- highlight_html


def test_highlight_html_nested_and_crossing_spans_well_formed_and_text_preserved():
    text = "Alpha beta gamma delta\nepsilon zeta"
    spans = [
        {"start": 0, "end": 16, "field": "vision", "rule_id": "v1", "confidence": 0.8},   # Alpha beta gamma
        {"start": 6, "end": 10, "field": "value", "rule_id": "a1", "confidence": 0.5},    # beta (nested)
        {"start": 11, "end": 22, "field": "goal", "rule_id": "g1", "confidence": 0.7},    # gamma delta (crosses)
        {"start": 11, "end": 16, "field": "mission", "rule_id": "m1", "confidence": 0.9},  # gamma (nested twice)
        {"start": 17, "end": 35, "field": "value", "rule_id": "a2", "confidence": 0.4},   # crosses the newline
    ]
    html = str(highlight_html(text, spans))
    checker = check(html)
    assert "".join(checker.text) == text
    marks = [attrs for tag, attrs in checker.tags if tag == "mark"]
    # each span's pieces: first has class first, last has class last; their texts add up to the span
    for span in spans:
        pieces = [a for a in marks if a["data-rule"] == span["rule_id"]]
        assert pieces, span
        assert "first" in pieces[0]["class"].split() and "last" in pieces[-1]["class"].split()
        assert all(a["data-field"] == span["field"] for a in pieces)
        assert all(a["data-piece"].endswith(f"/{len(pieces)}") for a in pieces)
    goal_pieces = [a for a in marks if a["data-rule"] == "g1"]
    assert len(goal_pieces) == 2  # split where the vision ends
    assert [a for a in marks if a["data-rule"] == "a1"][0]["title"] == "Value · rule a1 · confidence 0.50"
    assert "\n" in html  # newlines kept as text (rendered with white-space: pre-wrap)


def test_highlight_html_piece_texts_cover_exactly_each_span():
    text = "abcdefghij"
    spans = [{"start": 0, "end": 6, "field": "goal", "rule_id": "A"}, {"start": 3, "end": 9, "field": "value", "rule_id": "B"},
             {"start": 3, "end": 9, "field": "mission", "rule_id": "C"}]

    class Pieces(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.open: list[str] = []
            self.covered: dict[str, str] = {}

        def handle_starttag(self, tag, attrs):
            self.open.append(dict(attrs)["data-rule"])

        def handle_endtag(self, tag):
            self.open.pop()

        def handle_data(self, data):
            for rule in self.open:
                self.covered[rule] = self.covered.get(rule, "") + data

    parser = Pieces()
    parser.feed(str(highlight_html(text, spans)))
    assert parser.covered == {"A": "abcdef", "B": "defghi", "C": "defghi"}


def test_highlight_html_hostile_text_escaped_and_tags_not_injected():
    text = f'Visio & arvot: {HOSTILE} "lainaus" \'x\''
    start = text.find(HOSTILE)
    html = str(highlight_html(text, [{"start": start, "end": start + len(HOSTILE), "field": "vision",
                                      "rule_id": '"><script>', "normalized": HOSTILE, "confidence": 1.0}]))
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Visio &amp; arvot" in html
    assert "".join(check(html).text) == text


def test_highlight_html_invalid_or_empty_spans_ignored():
    text = "lyhyt teksti"
    spans = [{"start": 3, "end": 3, "field": "goal"}, {"start": -1, "end": 4, "field": "goal"},
             {"start": 5, "end": 99, "field": "goal"}, {"start": None, "end": 2, "field": "goal"},
             {"start": 0, "end": 5, "field": "<b>bad</b>"}]
    html = str(highlight_html(text, spans))
    assert html.count("<mark") == 1 and 'data-field="other"' in html
    assert "".join(check(html).text) == text


def test_highlight_html_no_spans_returns_escaped_text():
    assert str(highlight_html("a < b\nc", [])) == "a &lt; b\nc"
    assert str(highlight_html("", [])) == ""


# --------------------------------------------------------------------------- render_report: content


@pytest.fixture(scope="module")
def run():
    return sample_run()


@pytest.fixture(scope="module")
def first_html(run):
    return render_report(run, None, RUN_INFO)


@pytest.fixture(scope="module")
def second_html(run):
    return render_report(run, sample_previous(run), RUN_INFO)


def test_render_report_sample_run_page_well_formed(first_html, second_html):
    for html in (first_html, second_html):
        assert html.lstrip().lower().startswith("<!doctype html>")
        check(html)


def test_render_report_sample_run_lists_every_document(run, first_html):
    overview = re.search(r'<table class="overview.*?</table>', first_html, re.S).group(0)
    rows = re.findall(r'<tr class="st-(\w+)" data-doc-id="([^"]+)"', overview)
    assert sorted(d for _, d in rows) == sorted(d.raw.doc_id for d in run.documents)
    assert [s for s, _ in rows] == ["ok", "ok", "ok", "rejected", "skipped"]  # grouped by status
    sections = doc_text_fragments(first_html)
    assert set(sections) == {KP, PH, KAINUU}
    for doc_id, _fragment in sections.items():
        anchor = re.search(rf'<article class="document" id="([^"]+)"[^>]*data-doc-id="{re.escape(doc_id)}"',
                           first_html).group(1)
        assert f'href="#{anchor}"' in overview


def test_render_report_sample_run_highlights_every_extraction_in_place(run, first_html):
    sections = doc_text_fragments(first_html)
    by_id = {d.raw.doc_id: d for d in run.documents}
    for doc_id, fragment in sections.items():
        assert plain(fragment) == by_id[doc_id].raw.text
        first_pieces = re.findall(r'<mark class="hl hl-(\w+) first[^"]*"[^>]*data-rule="([^"]*)"', fragment)
        assert sorted(first_pieces) == sorted((e.field, e.rule_id) for e in by_id[doc_id].extractions)
    for row in all_extractions(run):
        escaped = row.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in first_html
        assert f">{row.start}–{row.end}<" in first_html  # offsets in the side table
        assert f'data-rule="{row.rule_id}"' in first_html


def test_render_report_hostile_text_escaped(first_html):
    assert "<script>alert" not in first_html
    assert first_html.count("<script") == 3  # only the page's own: sorting, overview filters and their JSON data
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in first_html
    assert "Hyvä elämä &amp; terveys" in first_html
    assert "Hyvä elämä & terveys" not in first_html


def test_render_report_missing_fields_marked(first_html):
    overview = re.search(r'<tr class="st-ok" data-doc-id="kainuu">(.*?)</tr>', first_html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", overview, re.S)
    mission, vision, values, goals = cells[-4:]
    for cell in (mission, vision, goals):
        assert 'class="missing"' in cell and "not found" in cell
    assert "rohkeus" in values and "missing" not in values
    section = re.search(r'data-doc-id="kainuu">(.*?)</article>', first_html, re.S).group(1)
    assert section.count('class="missing"') >= 3


def test_render_report_rejected_and_skipped_show_reason_and_notes(first_html):
    row = re.search(rf'<tr class="st-rejected" data-doc-id="{REJECTED}">(.*?)</tr>', first_html, re.S).group(1)
    assert "not a strategy text: no mission, vision or values found" in row
    assert "decoded as cp1252" in row
    assert "empty file" in re.search(rf'data-doc-id="{SKIPPED}">(.*?)</tr>', first_html, re.S).group(1)
    assert "Rejected and skipped documents" in first_html
    assert f'data-doc-id="{REJECTED}"' in first_html and f'<article class="document" id="doc-{REJECTED}"' not in first_html


def test_render_report_values_chips_and_goal_counts_shown(first_html):
    row = re.search(rf'data-doc-id="{KP}">(.*?)</tr>', first_html, re.S).group(1)
    assert [c for c in re.findall(r'<li class="chip">([^<]*)</li>', row)] == [
        "vaikuttavuus", "osallisuus", "yhdenvertaisuus", "rohkeus"]
    assert re.search(r'<span class="count"[^>]*>2</span>', row)
    assert "Hyvinvointia, terveyttä ja turvallisuutta – ihmiselle" in row


def test_render_report_long_mission_truncated_with_full_title():
    text = "Missio: " + "pitkä " * 40 + "loppu."
    span = text[len("Missio: "):-1]
    t = results([doc("pitka", "ok", text, "Testialue")], [ext("pitka", text, "mission", 1, span)],
                {"pitka": Strategy(mission=span)})
    html = render_report(t)
    cell = re.search(r'<td class="c-text" title="([^"]*)">([^<]*)</td>', html)
    assert cell.group(1) == span and cell.group(2).endswith("…") and len(cell.group(2)) <= 90


def test_render_report_first_run_says_no_previous(first_html):
    assert "first run: no previous run to compare" in first_html.lower()


def test_render_report_second_run_lists_changes(second_html):
    section = re.search(r'<section id="changes".*?</section>', second_html, re.S).group(0)
    assert "first run" not in section.lower()
    box = lambda key: re.search(rf'id="changes-{key}">(.*?)</div>', section, re.S).group(1)  # noqa: E731
    assert PH in box("changed") and KP not in box("changed")
    assert KAINUU in box("new") and "etela-savo" in box("removed")
    appeared = re.search(r'id="changes-appeared">.*?(<table.*?</table>|None\.)', section, re.S).group(1)
    disappeared = re.search(r'id="changes-disappeared">.*?(<table.*?</table>|None\.)', section, re.S).group(1)
    assert "avoimuus" in appeared and "asukaslähtöisyys" not in appeared
    assert "asukaslähtöisyys" in disappeared and "avoimuus" not in disappeared


def test_render_report_cross_county_values_sorted_by_shared_count(first_html):
    section = re.search(r'<section id="values".*?</section>', first_html, re.S).group(0)
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>\s*<td class="num" data-sort="(\d+)"', section)
    counts = [int(c) for _, c in rows]
    assert counts == sorted(counts, reverse=True)
    assert [v for v, _ in rows[:2]] == ["rohkeus", "yhdenvertaisuus"] and counts[:2] == [3, 3]
    assert dict(rows)["vaikuttavuus"] == "1"
    for org in ("Keski-Pohjanmaan hyvinvointialue", "Päijät-Hämeen hyvinvointialue", "Kainuun hyvinvointialue"):
        assert org in section


def test_render_report_run_info_and_summary_shown(first_html):
    for value in RUN_INFO.values():
        if isinstance(value, str):
            assert value in first_html
    assert "3</strong> ok" in first_html and "1</strong> rejected" in first_html and "1</strong> skipped" in first_html
    assert "mission <strong>2</strong>" in first_html and "value <strong>11</strong>" in first_html


def test_render_report_output_has_no_external_references(first_html, second_html):
    for html in (first_html, second_html):
        assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//|@import", html, re.I)
        assert "http://" not in html and "https://" not in html
        for tag in ("link", "img", "iframe", "object"):
            assert f"<{tag}" not in html


def test_render_report_accessibility_basics(first_html):
    checker = check(first_html)
    assert re.search(r'<html lang="fi">', first_html)
    levels = checker.headings
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels  # no skipped levels
    ths = [attrs for tag, attrs in checker.tags if tag == "th"]
    assert ths and all(a.get("scope") in ("col", "row") for a in ths)
    assert "@media print" in first_html and "@media (max-width" in first_html
    assert "white-space: pre-wrap" in first_html
    assert 'name="viewport"' in first_html


def test_render_report_doc_ids_needing_escaping_get_unique_anchors():
    docs = [doc("a b/ä", "ok", "Arvot: rohkeus.", "A"), doc("a-b/ä", "ok", "Arvot: rohkeus.", "B")]
    exts = [ext("a b/ä", "Arvot: rohkeus.", "value", 1, "rohkeus"), ext("a-b/ä", "Arvot: rohkeus.", "value", 1, "rohkeus")]
    html = render_report(results(docs, exts))
    ids = re.findall(r'<article class="document" id="([^"]+)"', html)
    assert len(ids) == 2 and len(set(ids)) == 2 and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    check(html)


def test_render_report_empty_run_renders():
    html = render_report(RunResults())
    check(html)
    assert "No documents in this run." in html and "first run" in html.lower()


def test_render_report_ungrounded_extraction_flagged():
    text = "Visio: Paras alue."
    bad = replace(ext("x", text, "vision", 1, "Paras alue"), text="Paras alue!")  # breaks the invariant
    html = render_report(results([doc("x", "ok", text, "X")], [bad]))
    assert "not grounded" in html


# --------------------------------------------------------------------------- diff_runs


def test_diff_runs_changed_document_reports_exact_doc_and_extractions(run):
    diff = diff_runs(run, changed_previous(run))
    assert diff["first_run"] is False
    assert diff["changed"] == [PH] and diff["new"] == [] and diff["removed"] == []
    assert [(x["doc_id"], x["field"], x["normalized"]) for x in diff["appeared"]] == [(PH, "value", "avoimuus")]
    assert [(x["doc_id"], x["field"], x["normalized"]) for x in diff["disappeared"]] == [
        (PH, "value", "asukaslähtöisyys")]
    assert diff["appeared"][0]["text"] == "avoimuus"


def test_diff_runs_first_run_reports_nothing(run):
    diff = diff_runs(run, None)
    assert diff == {"first_run": True, "new": [], "changed": [], "removed": [], "appeared": [], "disappeared": []}


def test_diff_runs_identical_runs_report_no_changes(run):
    diff = diff_runs(run, sample_run())
    assert not any(diff[k] for k in ("new", "changed", "removed", "appeared", "disappeared"))


def test_diff_runs_new_and_removed_documents_detected(run):
    diff = diff_runs(run, sample_previous(run))
    assert diff["new"] == [KAINUU] and diff["removed"] == ["etela-savo"] and diff["changed"] == [PH]
    appeared = {(x["doc_id"], x["normalized"]) for x in diff["appeared"]}
    assert appeared == {(PH, "avoimuus"), (KAINUU, "rohkeus"), (KAINUU, "yhdenvertaisuus")}
    assert {(x["doc_id"], x["normalized"]) for x in diff["disappeared"]} == {
        (PH, "asukaslähtöisyys"), ("etela-savo", "rohkeus")}


def test_diff_runs_previous_empty_run_treats_all_as_new(run):
    diff = diff_runs(run, RunResults())
    assert diff["new"] == sorted(d.raw.doc_id for d in run.documents) and diff["removed"] == []
    assert len(diff["appeared"]) == len({(e.doc_id, e.field, e.normalized) for e in all_extractions(run)})


def test_render_report_rule_ids_link_to_their_comment_unknown_ids_plain():
    from pipeline.extract.rules import default_rules

    rule = default_rules().cues[0]
    run = sample_run()
    doc = run.documents[0]
    extra = replace(doc.extractions[0], rule_id=rule.id)
    run = replace(run, documents=(replace(doc, extractions=(extra, *doc.extractions[1:])), *run.documents[1:]))
    page = render_report(run)
    assert f'<a href="#rule-{rule.id}"' in page
    assert re.search(rf'<dt id="rule-{re.escape(rule.id)}"><code>{re.escape(rule.id)}</code></dt><dd>', page)
    assert 'href="#rule-values.list"' not in page  # not a shipped rule: shown, not linked


def test_render_report_low_confidence_extraction_flagged_in_its_document():
    run = sample_run()
    doc = run.documents[0]
    low = replace(doc.extractions[0], confidence=0.3)
    run = replace(run, documents=(replace(doc, extractions=(low, *doc.extractions[1:])), *run.documents[1:]))
    before = render_report(sample_run()).count('class="warn low"')
    page = render_report(run)
    assert page.count('class="warn low"') == before + 1 and "0.30" in page
