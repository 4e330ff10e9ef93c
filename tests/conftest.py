"""Shared test set-up: Prefect runs against a throw-away home, quietly, without telemetry."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_PREFECT_HOME = tempfile.mkdtemp(prefix="prefect-home-tests-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _isolated_prefect_env(home: Path) -> dict[str, str]:
    """Environment for a pipeline or Prefect subprocess: Prefect home and database of its own, no API set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture(scope="session")
def isolated_prefect_env():
    """`isolated_prefect_env(home)` -> an environment dict (see `_isolated_prefect_env`)."""
    return _isolated_prefect_env


def pytest_collection_modifyitems(config, items):
    """Tests marked `model` skip, saying why, when the committed model is missing."""
    if (REPO / "models" / "compact").is_dir():
        return
    skip = pytest.mark.skip(reason="needs the compact model in models/")
    for item in items:
        if "model" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def extract():
    """Analyze a short text with the committed model and extract: field -> [(text, normalized)].

    Every extraction must be grounded (its text is the document's text at its interval) and
    say which rule fired with a confidence in (0, 1]."""
    from pipeline.extract import get_extractor
    from pipeline.nlp.analyzer import get_analyzer

    analyzer = get_analyzer("models")
    extractor = get_extractor()

    def run(text: str) -> dict[str, list[tuple[str, str]]]:
        analysis = analyzer.analyze("t", text)
        _, extractions = extractor.extract(analysis)
        out: dict[str, list[tuple[str, str]]] = {}
        for e in extractions:
            assert text[e.start:e.end] == e.text
            assert e.rule_id and 0 < e.confidence <= 1
            out.setdefault(e.field, []).append((e.text, e.normalized))
        return out

    return run


CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
INSTALL_HINT = "install it with `apt-get install chromium` (Playwright must not download a browser)"


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser); skips, saying why, without it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: {INSTALL_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed: pip install playwright")
    try:
        pw = sync_playwright().start()
    except Exception as err:  # noqa: BLE001 - any start failure means: no browser here
        pytest.skip(f"Playwright could not start ({type(err).__name__}: {err}); {INSTALL_HINT}")
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    except Exception as err:  # noqa: BLE001
        pw.stop()
        pytest.skip(f"could not launch {CHROMIUM} ({type(err).__name__}: {str(err).splitlines()[0]}); {INSTALL_HINT}")
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def publish():
    """`publish(out, results, rules="r1")`: one run of the store writing `results`, committed; its folder."""
    from datetime import datetime, timezone

    from pipeline import store

    def run(out, results, rules="r1", when=datetime(2026, 1, 1, tzinfo=timezone.utc)):
        with store.open_run(out) as (writer, _previous):
            for result in results:
                writer.add(result, when, rules)
            return writer.commit({"model": "fi-test@0"})

    return run
