"""Strategy extraction for Finland's wellbeing services counties.

Analysts: ``from pipeline import load; tables = load("outputs")`` returns the
current run's tables (documents, tokens, extractions, strategies) as pandas
DataFrames, all from the same run.
"""
from __future__ import annotations

__version__ = "0.1.0"


def load(out_dir="outputs", tables=("documents", "tokens", "extractions", "strategies"), reviewed=True):
    """The current run's tables as DataFrames (see README: data dictionary).

    As reviewed by default (reviewers' decisions applied, `review` column);
    `reviewed=False` gives the machine's raw extractions and strategies.
    """
    from .store import load as _load

    return _load(out_dir, tables, reviewed)


__all__ = ["load", "__version__"]
