"""Names in an output directory (see `pipeline.store`)."""
from __future__ import annotations

CURRENT = "current"  # symlink to the published run's folder
RUNS = "runs"  # one folder per complete run
LOCK = ".lock"  # flock'ed while a run writes
REPORT = "report.html"
