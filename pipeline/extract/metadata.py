"""Document metadata: the organisation, the decision and the strategy period (regex rules)."""
from __future__ import annotations

import re
from collections import Counter

from ..types import DocumentMetadata


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def find_region(text: str, rules: dict) -> str | None:
    """The organisation named most often (first on ties), in its base form."""
    counts: Counter = Counter()
    first: dict[str, int] = {}
    name = rules["region_name"]
    for head in rules["region_heads"]:
        for m in re.finditer(rf"\b({name})\s+{head['pattern']}\w*", text):
            base = f"{m.group(1)} {head['base']}"
            counts[base] += 1
            first.setdefault(base, m.start())
    if not counts:
        return None
    return max(counts, key=lambda k: (counts[k], -first[k]))


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
    return DocumentMetadata(find_region(text, rules), decided_on, decided_by, find_period(text, rules))
