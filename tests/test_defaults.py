"""Settings shared by several modules (`pipeline.defaults`)."""
from __future__ import annotations

import pytest

from pipeline import defaults


@pytest.mark.parametrize("cpus,workers,expected", [
    (8, 1, 8), (8, 2, 4), (8, 3, 2), (2, 4, 1), (None, 1, 1), (4, 0, 4),
])
def test_threads_per_worker_cores_shared_at_least_one(monkeypatch, cpus, workers, expected):
    monkeypatch.setattr(defaults.os, "cpu_count", lambda: cpus)
    assert defaults.threads_per_worker(workers) == expected
