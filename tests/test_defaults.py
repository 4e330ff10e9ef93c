"""Settings shared by several modules (`pipeline.defaults`)."""
from __future__ import annotations

import pytest

from pipeline import defaults, ingest


@pytest.mark.parametrize("cpus,workers,expected", [
    (8, 1, 8), (8, 2, 4), (8, 3, 2), (2, 4, 1), (None, 1, 1), (4, 0, 4),
])
def test_threads_per_worker_cores_shared_at_least_one(monkeypatch, cpus, workers, expected):
    monkeypatch.setattr(defaults.os, "cpu_count", lambda: cpus)
    assert defaults.threads_per_worker(workers) == expected


def test_max_bytes_ingest_alias_same_value():
    assert ingest.DEFAULT_MAX_BYTES == defaults.MAX_BYTES == 5_000_000
    assert ingest.read_document.__defaults__[0] == defaults.MAX_BYTES
