"""The overview at scale in headless Chromium: 55 documents, 800 px, search and filters.

Skips like tests/test_report_browser.py when Chromium or Playwright is missing.
REPORT_SCREENSHOT_DIR keeps the screenshots (docs/screenshots/ in the repository).
"""
from __future__ import annotations

from contextlib import contextmanager

from datetime import datetime, timezone

import pytest

from pipeline.concepts import concept_of
from pipeline.report import render_report
from pipeline.types import (Analysis, DocumentMetadata, Extraction, RawDocument, RunResults, Sentence,
                            StoredDocument, Strategy)

try:
    from tests.test_report_browser import open_page, save
except ImportError:  # pragma: no cover - tests/ not a package
    from test_report_browser import open_page, save

pytestmark = pytest.mark.browser

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
VALUES = ("kunnioitamme asiakkaan itsemääräämisoikeutta ja valinnanvapautta", "yhteistyöhakuisesti",
          "asiakaslähtöisyys", "ammatillisesti",
          "yhdenvertaisuus", "oikeudenmukaisuus")


def _doc(i: int) -> StoredDocument:
    doc_id = f"{i:02d}_organisaatio-{i}-strategiaesitys-aluehallitukseen-2025"
    values = VALUES[i % 3: i % 3 + 3]
    mission = f"Turvaamme asukkaiden hyvinvoinnin, terveyden ja turvallisuuden elämän kaikissa vaiheissa alueella {i}"
    text = f"Missio: {mission} Arvot: {', '.join(values)}."
    exts = [Extraction(doc_id, "mission", 1, mission, mission, 8, 8 + len(mission), 0, "mission.label",
                       0.5 if i % 10 == 0 else 0.9)]
    pos = text.index("Arvot: ") + 7
    for k, v in enumerate(values, 1):
        exts.append(Extraction(doc_id, "value", k, v, v, pos, pos + len(v), 0, "value.label", 0.9))
        pos += len(v) + 2
    vision = "Vaikuttavat palvelut ja vahva yhteistyö tekevät alueesta parhaan paikan elää" if i % 2 else None
    raw = RawDocument(doc_id, f"{doc_id}.txt", f"{i:064d}", "ok", None, text, "utf-8", "fi", len(text))
    meta = DocumentMetadata(f"Organisaation {i} hyvinvointialue", "2025-06-01", "aluevaltuusto", "2026–2029",
                            organisation_id=f"org-{i}", organisation_kind="hyvinvointialue")
    Analysis(doc_id, text, (Sentence(0, 0, len(text), 0, 0),), (), "fi-test@0")
    return StoredDocument(raw, meta, 1, 10, NOW, "fi-test@0", "r1", tuple(exts),
                          Strategy(mission, vision, values, ("Hyvä arki",)))


@contextmanager
def _page(browser, report, width: int, height: int = 900):
    """The report opened at `width` × `height`: (page, problems seen by the page); closed afterwards."""
    page, problems, _ = open_page(browser, report, width=width, height=height)
    try:
        yield page, problems
    finally:
        page.close()


@pytest.fixture(scope="module")
def big_report(tmp_path_factory):
    run = RunResults(tuple(_doc(i) for i in range(55)))
    previous = RunResults(run.documents[:50])
    path = tmp_path_factory.mktemp("big") / "report.html"
    path.write_text(render_report(run, previous, {"run_id": "r2"}), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [800, 1400])
def test_report_browser_overview_shows_extraction_columns_at_width(browser, big_report, tmp_path, width):
    with _page(browser, big_report, width=width) as (page, problems):
        for label in ("Mission", "Vision", "Values", "Goals"):
            box = page.locator("#overview-table thead th", has_text=label).first.bounding_box()
            assert box is not None and box["width"] > 0, label
            assert box["x"] + box["width"] <= width, f"{label} column ends at {box['x'] + box['width']:.0f}px"
        scroller = page.locator("#overview .table-scroll")
        assert scroller.evaluate("el => el.scrollWidth - el.clientWidth") <= 1  # nothing hidden to the right
        save(page, f"report-overview-{width}px.png", tmp_path)
        assert not problems, problems


def test_report_browser_filter_by_field_and_changed_hides_rows(browser, big_report, tmp_path):
    with _page(browser, big_report, width=1400) as (page, problems):
        visible = "#overview-table tbody tr:not([hidden])"
        assert page.locator(visible).count() == 55
        page.select_option("#ov-field", "missing:vision")
        assert page.locator(visible).count() == 28  # the even-numbered documents state no vision
        page.select_option("#ov-field", "")
        page.check("#ov-changed")
        assert page.locator(visible).count() == 5  # 50..54 are new since the previous run
        page.uncheck("#ov-changed")
        page.check("#ov-low")
        assert page.locator(visible).count() == 6  # 0, 10, ..., 50 have a 0.5 extraction
        page.uncheck("#ov-low")
        page.fill("#ov-q", "organisaatio-42-")
        assert page.locator(visible).count() == 1
        save(page, "report-overview-1400px-filtered.png", tmp_path)
        assert "1 of 55" in page.locator("#ov-count").inner_text()
        assert not problems, problems


def test_report_browser_overview_header_sticks_when_scrolled(browser, big_report):
    with _page(browser, big_report, width=1400) as (page, problems):
        scroller = page.locator("#overview .table-scroll")
        scroller.evaluate("el => { el.scrollTop = 600; el.scrollLeft = 300; }")
        header = page.locator("#overview-table thead th.c-doc").bounding_box()
        box = scroller.bounding_box()
        assert header is not None and box is not None and abs(header["y"] - box["y"]) <= 2
        assert abs(header["x"] - box["x"]) <= 2  # the first column stays too
        assert not problems, problems


def test_report_browser_values_comparison_fits_window_at_55_organisations(browser, big_report):
    with _page(browser, big_report, width=1400) as (page, problems):
        # The wide values x documents matrix starts collapsed; the concept list fits the window.
        assert page.locator("details.cross-matrix").get_attribute("open") is None
        width = page.locator("#concepts table").bounding_box()["width"]
        stated = {concept_of(v) for i in range(55) for v in VALUES[i % 3: i % 3 + 3]}
        assert width <= 1400 and page.locator("#concepts tbody tr").count() == len(stated)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1
        assert not problems, problems


def test_report_browser_extraction_link_unfolds_document_and_keeps_heading_in_view(browser, big_report):
    with _page(browser, big_report, width=1400) as (page, problems):
        doc = page.locator("article.document").nth(3)
        fold = doc.locator("details.doc-fold")
        doc.locator("details.doc-fold > summary").click()  # a reviewer folds the document away
        assert fold.evaluate("el => el.open") is False
        target = doc.locator(".ext-table a[href^='#']").first.get_attribute("href")
        page.evaluate("hash => { location.hash = hash; }", target)
        page.wait_for_function("el => el.open", arg=fold.element_handle(), timeout=5000)  # the link opened it
        mark = page.locator(f"[id='{target[1:]}']").bounding_box()
        head = doc.locator(".doc-head").bounding_box()
        assert mark is not None and head is not None
        assert 0 <= head["y"] <= 2 and head["y"] + head["height"] <= mark["y"] < 900  # heading above, mark in view
        assert not problems, problems
