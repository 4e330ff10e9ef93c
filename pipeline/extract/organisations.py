"""Which organisation a text is by: generic name + head constructions, then the registry.

The registry (`rules/organisations.yaml`) is reference data about the 21
wellbeing services counties and Helsinki: official names, the short names they
use ("Pirha", "Oma Häme"), Swedish names and the genitive of each county's area.
Everything else ("Oulun kaupunki", "Muonion kunta", "Varsinais-Suomen liitto")
is recognised by the generic heads of `metadata.yaml` and identified by the slug
of its name, so the same name always gives the same `organisation_id`.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable


def slug(name: str) -> str:
    """A stable ASCII id for an organisation name: "Päijät-Hämeen hyvinvointialue" → "paijat-hameen-hyvinvointialue"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str  # official Finnish name, nominative
    kind: str | None  # the head word of the name: hyvinvointialue, kaupunki, kunta, liitto, ...


@dataclass(frozen=True)
class RegistryEntry:
    id: str
    name: str
    area: str | None
    short: tuple[str, ...]
    sv: str | None


def _inflected(name: str) -> re.Pattern:
    # A proper name takes its case ending directly or after a colon (abbreviations: "VAKE:n").
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?::?[a-zåäö]+)?(?![\w-])")


class Registry:
    def __init__(self, entries: Iterable[RegistryEntry], county_words: str, heads: list[dict]):
        self.entries = tuple(entries)
        self.by_name = {e.name.casefold(): e for e in self.entries}
        self.county_words = re.compile(county_words)
        self._heads = [(re.compile(rf"(?:{h['pattern']})$"), h["base"]) for h in heads]
        self._names = [(e, [_inflected(n) for n in (*e.short, *([e.sv] if e.sv else []))]) for e in self.entries]
        self._areas = [(e, re.compile(rf"(?<![\w-]){re.escape(e.area)}(?![\w-])")) for e in self.entries if e.area]

    def kind_of(self, name: str) -> str | None:
        for pattern, base in self._heads:
            if pattern.search(name):
                return base
        return None

    def resolve(self, name: str) -> Organisation:
        """The organisation a base-form name refers to: its registry entry, or itself."""
        entry = self.by_name.get(name.casefold())
        if entry is not None:
            return Organisation(entry.id, entry.name, self.kind_of(entry.name))
        return Organisation(slug(name), name, self.kind_of(name))

    def find_named(self, text: str) -> Organisation | None:
        """A registry organisation named by a short or Swedish name (most mentions, first on ties)."""
        found = _most_frequent((e, m.start()) for e, patterns in self._names for p in patterns for m in p.finditer(text))
        return self.resolve(found.name) if found else None

    def find_area(self, text: str) -> Organisation | None:
        """A county named by its area alone, in a text that speaks of a wellbeing services county."""
        if not self.county_words.search(text):
            return None
        found = _most_frequent((e, m.start()) for e, p in self._areas for m in p.finditer(text))
        return self.resolve(found.name) if found else None


def _most_frequent(hits: Iterable[tuple[RegistryEntry, int]]) -> RegistryEntry | None:
    counts: Counter = Counter()
    first: dict[str, int] = {}
    entries: dict[str, RegistryEntry] = {}
    for entry, pos in hits:
        counts[entry.id] += 1
        first[entry.id] = min(pos, first.get(entry.id, pos))
        entries[entry.id] = entry
    if not counts:
        return None
    return entries[max(counts, key=lambda k: (counts[k], -first[k]))]


def build_registry(raw: dict, heads: list[dict]) -> Registry:
    """The registry from organisations.yaml's parsed content (validated by `rules.load_rules`)."""
    entries = [RegistryEntry(e["id"], e["name"], e.get("area"), tuple(e.get("short") or ()), e.get("sv"))
               for e in raw["organisations"]]
    return Registry(entries, raw["county_words"], heads)
