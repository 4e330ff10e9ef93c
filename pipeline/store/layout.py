"""Names in an output directory (see `pipeline.store`)."""
from __future__ import annotations

from ..schema import TABLES

import re

CURRENT = "current"  # symlink to the published run's folder
RUNS = "runs"  # one folder per complete run
LOCK = ".lock"  # flock'ed while a run writes
REPORT = "report.html"
# Written into an output folder the pipeline created or adopted: the proof that it owns it.
MARKER = ".pipeline-output"
# Run folders the pipeline names (see `new_run_id`); only these, with a matching run.json, are ever pruned.
RUN_ID = re.compile(r"^\d{8}T\d{12}Z(?:-\d+)?$")
STAGING_PREFIX = ".staging-"
# Files that may sit in a folder the pipeline adopts (a placeholder kept by version control).
ADOPTABLE = frozenset({".gitkeep"})

# The links at the top of the output folder, into current/ (every table and the report).
STABLE_LINKS = tuple(f"{t}.parquet" for t in TABLES) + (REPORT,)
