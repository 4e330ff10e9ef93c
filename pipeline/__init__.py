"""Strategy extraction for Finland's wellbeing services counties.

Analysts: ``from pipeline import load; tables = load("outputs")`` returns the
current run's tables (documents, tokens, extractions, strategies, values,
history) as pandas DataFrames, all from the same run; ``diff("outputs")`` what
changed since the previous run.
"""
from __future__ import annotations

__version__ = "0.1.0"


def load(out_dir="outputs", tables=("documents", "tokens", "extractions", "strategies", "values", "history"),
         run="current", reviewed=True):
    """A run's tables as DataFrames (see README: data dictionary); `run`: "current", "previous" or a run_id.

    As reviewed by default (reviewers' decisions applied, `review` column);
    `reviewed=False` gives the machine's raw extractions and strategies.
    """
    from .store import load as _load

    return _load(out_dir, tables, run, reviewed)


def diff(out_dir="outputs", old="previous", new="current"):
    """What changed between two runs' documents and extractions (see `pipeline.store.diff`)."""
    from .store import diff as _diff

    return _diff(out_dir, old, new)


__all__ = ["diff", "load", "__version__"]
