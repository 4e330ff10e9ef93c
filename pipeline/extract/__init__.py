"""Extraction stage: mission, vision, values, goals and metadata from an analysis."""
from __future__ import annotations

from pathlib import Path

from .engine import Extractor
from .rules import RULES_DIR, default_rules, load_rules

_EXTRACTORS: dict[str, Extractor] = {}


def get_extractor(rules_dir: Path | str | None = None) -> Extractor:
    """The process-wide extractor for a rules folder (rules are loaded and checked once)."""
    key = str(Path(rules_dir).resolve()) if rules_dir else ""
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = Extractor(load_rules(rules_dir) if rules_dir else default_rules())
    return _EXTRACTORS[key]


def rules_version(rules_dir: Path | str | None = None) -> str:
    return get_extractor(rules_dir).rules.version


__all__ = ["Extractor", "RULES_DIR", "get_extractor", "load_rules", "rules_version"]
