"""Strategy extraction for Finland's wellbeing services counties.

Analysts: ``from pipeline import load; tables = load("outputs")`` returns the
current run's tables (documents, tokens, extractions, strategies) as pandas
DataFrames, all from the same run.
"""
from __future__ import annotations

__version__ = "0.1.0"


def load(out_dir="outputs", tables=("documents", "tokens", "extractions", "strategies")):
    """The current run's tables as DataFrames (see README: data dictionary)."""
    from .store import load as _load

    return _load(out_dir, tables)


__all__ = ["load", "__version__"]
