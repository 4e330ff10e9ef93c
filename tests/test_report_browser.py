"""The run report opened in a real headless Chromium: no JS errors, highlights and rows present.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`); Playwright
never downloads a browser here.  Set REPORT_SCREENSHOT_DIR to keep screenshots.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from pipeline.report import highlight_html, render_report

try:  # the sample run lives in the unit tests (rootdir-relative or package import)
    from tests.test_report import RUN_INFO, sample_previous, sample_run
except ImportError:  # pragma: no cover - tests/ not a package
    from test_report import RUN_INFO, sample_previous, sample_run

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run = sample_run()
    html = render_report(run, sample_previous(run), RUN_INFO)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    pieces = 0
    for d in run.documents:
        if d.raw.text is not None:
            pieces += str(highlight_html(d.raw.text, [asdict(e) for e in d.extractions])).count("<mark ")
    return {"path": path, "n_docs": len(run.documents), "n_extractions": sum(len(d.extractions) for d in run.documents),
            "pieces": pieces}


def open_page(browser, path: Path, width: int = 1360, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "assert") else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    return page, problems, requests


def save(page_or_locator, name: str, tmp_path: Path, keep: bool = True, **kwargs) -> Path:
    """Screenshot to tmp_path; also to $REPORT_SCREENSHOT_DIR when set and `keep`."""
    target = tmp_path / name
    page_or_locator.screenshot(path=str(target), **kwargs)
    out_dir = os.environ.get("REPORT_SCREENSHOT_DIR")
    if out_dir and keep:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(out_dir) / name)
    return target


def test_report_browser_sample_report_renders_without_errors(browser, report, tmp_path):
    page, problems, requests = open_page(browser, report["path"])
    try:
        assert report["pieces"] > 0
        assert page.locator("mark.hl").count() == report["pieces"]
        assert page.locator("mark.hl.first").count() == report["n_extractions"]
        assert page.locator("#overview-table tbody tr").count() == report["n_docs"]
        assert page.locator("article.document").count() == 3
        # the page's own script ran: header buttons for sorting exist
        assert page.locator("#overview-table thead button.sort").count() >= 5
        # hover info on a highlight
        title = page.locator("mark.hl-mission").first.get_attribute("title")
        assert title and "Mission" in title and "rule" in title and "confidence" in title
        # the hostile text shows as text, and did not run
        hostile = page.locator('article.document[data-doc-id="paijat-hame-strategia"] .doc-text')
        assert "<script>alert(1)</script>" in hostile.inner_text()
        assert not [u for u in requests if not u.startswith("file:")], requests
        save(page, "report-page.png", tmp_path, keep=False, full_page=True)
        save(page, "report-overview.png", tmp_path)
        section = page.locator('article.document[data-doc-id="keski-pohjanmaa/strategia-2022"]')
        section.scroll_into_view_if_needed()
        save(section, "report-document.png", tmp_path)
        assert not problems, problems
    finally:
        page.close()


def test_report_browser_sorting_by_goals_reorders_rows(browser, report):
    page, problems, _ = open_page(browser, report["path"])
    try:
        rows = page.locator("#overview-table tbody tr")
        before = [rows.nth(i).get_attribute("data-doc-id") for i in range(rows.count())]
        header = page.locator("#overview-table thead th", has_text="Goals").locator("button")
        header.click()
        header.click()  # descending: the document with most goals first
        after = [rows.nth(i).get_attribute("data-doc-id") for i in range(rows.count())]
        assert sorted(after) == sorted(before) and after != before
        assert after[0] == "keski-pohjanmaa/strategia-2022"
        assert page.locator("#overview-table thead th[aria-sort=descending]").count() == 1
        assert not problems, problems
    finally:
        page.close()


def test_report_browser_narrow_window_scrolls_tables_not_page(browser, report, tmp_path):
    page, problems, _ = open_page(browser, report["path"], width=390, height=844)
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"page is {overflow}px wider than a phone screen"
        save(page, "report-mobile.png", tmp_path)
        assert not problems, problems
    finally:
        page.close()


def test_report_browser_print_media_shows_all_text(browser, report, tmp_path):
    page, problems, _ = open_page(browser, report["path"])
    try:
        page.emulate_media(media="print")
        assert page.locator("nav.sections").is_hidden()
        heights = page.evaluate("[...document.querySelectorAll('.doc-text')].map(e => e.scrollHeight - e.clientHeight)")
        assert heights and max(heights) <= 1
        after = page.evaluate("getComputedStyle(document.querySelector('mark.hl.last'), '::after').content")
        assert re.search(r"\w", after or ""), after
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf))
        assert pdf.stat().st_size > 1000
        assert not problems, problems
    finally:
        page.close()
