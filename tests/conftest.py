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
