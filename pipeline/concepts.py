"""The concept a stated value belongs to: adjective, adverb and noun forms of one value grouped.

`concept_of("vastuullinen") == concept_of("vastuullisesti") == "vastuullisuus"`.
Finnish forms the quality noun of an adjective regularly (-inen → -isuus, -va →
-vuus, -ea → -eus, the adverb in -sti from the same stem), so single words are
mapped by those suffix rules; `rules/value_concepts.yaml` lists the lexical
pairs that no suffix rule derives (luotettava ↔ luottamus).  A phrase or clause
("arvostava kohtaaminen", "toimimme yhdessä") is its own concept.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "rules" / "value_concepts.yaml"

BACK, FRONT = set("aou"), set("äöy")

# (ending of the adjective or adverb, stem of the noun's suffix without its vowels)
_SUFFIXES = (
    (re.compile(r"(\w+)is(?:esti|en)$"), "is", "uus"),   # vastuullinen, vastuullisesti → vastuullisuus
    (re.compile(r"(\w+)inen$"), "is", "uus"),
    (re.compile(r"(\w+v)(?:a|ä)(?:sti)?$"), "", "uus"),   # vaikuttava, vaikuttavasti → vaikuttavuus
    (re.compile(r"(\w+e)(?:a|ä)(?:sti)?$"), "", "us"),    # rohkea, rohkeasti → rohkeus
)


def _harmonise(suffix: str, word: str) -> str:
    """Vowel harmony: back vowels when the word's last non-neutral vowel (not e, i) is back, else front
    (inhimillinen → inhimillisyys, yhteisöllinen → yhteisöllisyys, vastuullinen → vastuullisuus)."""
    for ch in reversed(word):
        if ch in BACK:
            return suffix
        if ch in FRONT:
            break
    return suffix.translate(str.maketrans("aou", "äöy"))


@lru_cache(maxsize=1)
def _groups() -> dict[str, str]:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    for concept, forms in (raw.get("groups") or {}).items():
        out[concept] = concept
        for form in forms:
            out[form] = concept
    return out


@lru_cache(maxsize=4096)
def concept_of(value: str | None) -> str | None:
    """The concept of a normalized value (lower case); the value itself when no rule applies."""
    if value is None:
        return None
    word = value.strip()
    groups = _groups()
    if word in groups:
        return groups[word]
    # Verbal nouns in -minen (välittäminen) and nouns like ihminen are not adjectives.
    if " " in word or "-" in word or not word.isalpha() or word.endswith("minen"):
        return word
    for pattern, middle, suffix in _SUFFIXES:
        m = pattern.fullmatch(word)
        if m:
            noun = m.group(1) + middle + _harmonise(suffix, m.group(1))
            return groups.get(noun, noun)
    return word
