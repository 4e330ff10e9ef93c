"""Document metadata: the organisation, the decision and the strategy period (regex rules)."""
from __future__ import annotations

import re
from collections import Counter

from ..types import DocumentMetadata
from .organisations import Organisation, Registry


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def find_region(text: str, rules: dict) -> str | None:
    """The organisation named most often by a name + head construction, in its base form.

    On equal counts the head listed first in the rules wins, then the first mentioned.
    """
    counts: Counter = Counter()
    first: dict[str, tuple[int, int]] = {}
    name = rules["region_name"]
    for rank, head in enumerate(rules["region_heads"]):
        for m in re.finditer(rf"\b({name})\s+(?:{head['pattern']})(?![\w-])", text):
            base = f"{m.group(1)} {head['base']}"
            counts[base] += 1
            first.setdefault(base, (rank, m.start()))
    if not counts:
        return None
    return max(counts, key=lambda k: (counts[k], -first[k][0], -first[k][1]))


def find_organisation(text: str, rules: dict) -> Organisation | None:
    """Who the text is by: a name with a head word; else a registry short or Swedish name;
    else a county's area where the text speaks of a wellbeing services county."""
    registry: Registry = rules["registry"]
    named = find_region(text, rules)
    if named is not None:
        return registry.resolve(named)
    return registry.find_named(text) or registry.find_area(text)


def find_decision(text: str, rules: dict) -> tuple[str | None, str | None]:
    date_re, verbs = re.compile(rules["date"]), re.compile(rules["decision_verbs"], re.I)
    for sentence in _sentences(text):
        m = date_re.search(sentence)
        if m and verbs.search(sentence):
            day, month, year = (int(g) for g in m.groups())
            if not (1 <= day <= 31 and 1 <= month <= 12):
                continue
            body = None
            for b in rules["decision_bodies"]:
                if re.search(b["pattern"], sentence, re.I):
                    body = b["base"]
                    break
            return f"{year:04d}-{month:02d}-{day:02d}", body
    return None, None


def find_period(text: str, rules: dict) -> str | None:
    context = re.compile(rules["period_context"], re.I)
    for sentence in _sentences(text):
        if not context.search(sentence):
            continue
        m = re.search(rules["period_range"], sentence)
        if m:
            return f"{m.group(1)}–{m.group(2)}"
        m = re.search(rules["period_until"], sentence)
        if m:
            return f"vuoteen {m.group(1)}"
    return None


def extract_metadata(text: str, rules: dict) -> DocumentMetadata:
    decided_on, decided_by = find_decision(text, rules)
    org = find_organisation(text, rules)
    return DocumentMetadata(org.name if org else None, decided_on, decided_by, find_period(text, rules),
                            organisation_id=org.id if org else None, organisation_kind=org.kind if org else None)
