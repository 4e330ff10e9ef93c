"""Extraction stage: mission, vision, values, goals and metadata from an analysis.

The engine (and spaCy with it, about 3.5 s to import) is loaded only when an
extractor is built: `rules_version` hashes the rule files and the code
without it, so a run that has nothing to extract never pays for spaCy.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .rules import RULES_DIR, default_rules, load_rules, rules_fingerprint

if TYPE_CHECKING:
    from .engine import Extractor

_EXTRACTORS: dict[str, Extractor] = {}
_BUILDING = threading.Lock()  # the flow's preload thread and its first batch may ask at once


def get_extractor(rules_dir: Path | str | None = None) -> Extractor:
    """The process-wide extractor for a rules folder (rules are loaded and checked once)."""
    from .engine import Extractor

    key = str(Path(rules_dir).resolve()) if rules_dir else ""
    with _BUILDING:
        if key not in _EXTRACTORS:
            _EXTRACTORS[key] = Extractor(load_rules(rules_dir) if rules_dir else default_rules())
        return _EXTRACTORS[key]


def rules_version(rules_dir: Path | str | None = None) -> str:
    """The version stored with every extraction: the same value as the loaded rules' `version`."""
    return rules_fingerprint(rules_dir)


def __getattr__(name: str) -> Any:
    if name == "Extractor":  # imported on first use: see the module docstring
        from .engine import Extractor

        return Extractor
    raise AttributeError(name)


__all__ = ["Extractor", "RULES_DIR", "get_extractor", "load_rules", "rules_version"]
