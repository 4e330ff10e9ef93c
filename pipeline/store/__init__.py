"""The one writer of the output directory, and the reader of published runs.

`rows` turns records into table rows and back, `reader` reads runs (the
analysts' `load`, the report's typed records, reused results), `writer`
stages, publishes and locks.

Layout of an output directory::

    runs/<run_id>/{documents,tokens,extractions,strategies,values,history}.parquet, report.html, run.json
    current -> runs/<run_id>            # switched atomically when a run commits
    documents.parquet -> current/documents.parquet   (same for every table and report.html)
    .lock                               # held with flock while a run writes
    .pipeline-output                    # marker: the pipeline created or adopted this folder

Ownership: the pipeline writes only into a folder it created or adopted (empty, or holding
only its own layout) and refuses, in one line, a folder with foreign content.  It removes
only run folders it named (run-id pattern, matching run.json) and stale staging folders of
its own, replaces only links it made, and opens its lock and temporary files without
following links (O_NOFOLLOW, exclusively created temporaries), so a planted link is never
written through.

A run writes its tables into a hidden staging folder, fsyncs them, renames the
folder into `runs/` and then replaces the `current` symlink with one atomic
`rename`.  A run killed at any moment therefore leaves `current` pointing at the
previous complete run; the next run removes the leftover staging folder.  The
lock is an `flock` on `.lock`: the kernel drops it when its process dies, so a
crashed run never blocks the next one.
"""
from __future__ import annotations

from ..errors import OutputError, OutputLockedError
from .layout import CURRENT, LOCK, MARKER, REPORT, RUNS
from .reader import (PreviousOutputs, diff, load, machine_extractions_path, previous_run, read_results, read_table,
                     read_tables, resolve_run, run_dir, run_info, table_metadata, typed)
from .rows import analysis_from_tokens, document_row, extraction_rows, strategy_row, token_rows
from .folder import check_not_locked, check_output_folder, output_lock
from .writer import RunWriter, new_run_id, open_run, write_report

__all__ = [
    "CURRENT", "LOCK", "MARKER", "REPORT", "RUNS", "OutputError", "OutputLockedError", "PreviousOutputs", "RunWriter",
    "analysis_from_tokens", "check_not_locked", "check_output_folder", "diff", "document_row", "extraction_rows",
    "load", "machine_extractions_path", "new_run_id", "open_run", "output_lock", "previous_run", "read_results",
    "read_table", "read_tables", "resolve_run", "run_dir", "run_info", "strategy_row", "table_metadata",
    "token_rows", "typed", "write_report",
]
