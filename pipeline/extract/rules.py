"""Loading and validating the extraction rules (YAML data files).

A broken rule fails at load time with one line naming the file and the rule.
`rules_version()` is a hash of the rule files plus the source of the extraction
package, stored with every output row, so a change to the rules or to the code
that reads them re-extracts everything.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import RuleError
from ..types import FIELDS
from .organisations import build_registry
from .readers import READERS

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
PACKAGE_DIR = Path(__file__).resolve().parent
CONSTRUCTIONS = tuple(READERS)
CONCEPT_KEYS = {"mission", "vision", "value", "goal", "blocker", "not_statement", "about_heads"}
CONCEPT_ENTRY_KEYS = {"lemma", "forms", "only", "exclude", "counted"}
RULE_KEYS = {"id", "field", "comment", "pattern", "takes", "confidence", "keep_last", "enumerate"}


@dataclass(frozen=True)
class CueRule:
    id: str
    field: str
    comment: str
    pattern: tuple
    takes: tuple[str, ...]
    confidence: float
    keep_last: int = 0
    enumerate: bool = True


@dataclass(frozen=True)
class Concept:
    key: str  # field name or "blocker"
    lemma: str
    forms: re.Pattern
    only: re.Pattern | None = None  # the word must match this to name the concept
    exclude: re.Pattern | None = None  # a word matching this does not name it
    counted: str | None = None  # the concept a number word before it makes ("neljällä päämäärällä": goals)

    def admits(self, lower: str) -> bool:
        if self.only is not None and not self.only.search(lower):
            return False
        return self.exclude is None or not self.exclude.search(lower)


@dataclass(frozen=True)
class RuleSet:
    cues: tuple[CueRule, ...]
    concepts: tuple[Concept, ...]
    not_statement: re.Pattern
    about_heads: frozenset[str]  # lemmas saying what a concept is ("kivijalka"), not naming a statement
    metadata: dict
    version: str


def _load_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(f"{path}: rule file missing") from None
    except yaml.YAMLError as err:
        raise RuleError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None


def _validate_cue(path: Path, raw: dict, seen: set) -> CueRule:
    rid = raw.get("id") if isinstance(raw, dict) else None
    where = f"{path.name}: rule {rid or '?'}"
    if not isinstance(raw, dict) or not rid:
        raise RuleError(f"{where}: every rule needs an id")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if rid in seen:
        raise RuleError(f"{where}: duplicate rule id")
    if raw.get("field") not in FIELDS:
        raise RuleError(f"{where}: field must be one of {', '.join(FIELDS)}, not {raw.get('field')!r}")
    if not raw.get("comment"):
        raise RuleError(f"{where}: add a short comment saying why the rule exists")
    pattern = raw.get("pattern")
    if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
        raise RuleError(f"{where}: pattern must be a non-empty list of token patterns")
    takes = raw.get("takes") or []
    bad = [t for t in takes if t not in CONSTRUCTIONS]
    if not takes or bad:
        raise RuleError(f"{where}: takes must list constructions from {', '.join(CONSTRUCTIONS)}; bad: {bad or 'none given'}")
    confidence = raw.get("confidence", 0.8)
    if not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
        raise RuleError(f"{where}: confidence must be in (0, 1]")
    keep_last = raw.get("keep_last", 0)
    if not isinstance(keep_last, int) or not 0 <= keep_last < len(pattern):
        raise RuleError(f"{where}: keep_last must be an integer smaller than the pattern length")
    seen.add(rid)
    return CueRule(rid, raw["field"], raw["comment"], tuple(pattern), tuple(takes), float(confidence),
                   keep_last, bool(raw.get("enumerate", True)))


def _validate_concepts(path: Path, raw) -> tuple[Concept, ...]:
    if not isinstance(raw, dict) or set(raw) - CONCEPT_KEYS:
        raise RuleError(f"{path.name}: top-level keys must be among {', '.join(sorted(CONCEPT_KEYS))}")
    out = []
    for key, entries in raw.items():
        if key in ("not_statement", "about_heads"):
            continue
        for entry in entries or []:
            if not isinstance(entry, dict) or not entry.get("lemma"):
                raise RuleError(f"{path.name}: {key}: every concept needs a lemma")
            unknown = set(entry) - CONCEPT_ENTRY_KEYS
            if unknown:
                raise RuleError(f"{path.name}: {key}/{entry['lemma']}: unknown keys {', '.join(sorted(unknown))}")
            patterns: dict[str, re.Pattern | None] = {}
            for name in ("forms", "only", "exclude"):
                source = entry.get(name) or (f"^{re.escape(entry['lemma'])}$" if name == "forms" else None)
                try:
                    patterns[name] = re.compile(source) if source else None
                except re.error as err:
                    raise RuleError(f"{path.name}: {key}/{entry['lemma']}: bad {name} regex ({err})") from None
            counted = entry.get("counted")
            if counted is not None and counted not in FIELDS:
                raise RuleError(f"{path.name}: {key}/{entry['lemma']}: counted must be one of {', '.join(FIELDS)}")
            forms = patterns["forms"]
            assert forms is not None  # always compiled: from the entry or from its lemma
            out.append(Concept(key, entry["lemma"], forms, patterns["only"], patterns["exclude"], counted))
    return tuple(out)


def _validate_metadata(path: Path, raw) -> dict:
    required = {"region_heads", "region_name", "decision_verbs", "decision_bodies", "date", "period_range",
                "period_until", "period_context"}
    if not isinstance(raw, dict) or required - set(raw):
        raise RuleError(f"{path.name}: missing keys {', '.join(sorted(required - set(raw or {})))}")
    for key, value in raw.items():
        patterns = [value] if isinstance(value, str) else [e.get("pattern", "") for e in value]
        for pat in patterns:
            try:
                re.compile(pat)
            except re.error as err:
                raise RuleError(f"{path.name}: {key}: bad regex {pat!r} ({err})") from None
    return raw


def _validate_organisations(path: Path, raw) -> dict:
    if not isinstance(raw, dict) or not isinstance(raw.get("organisations"), list) or "county_words" not in raw:
        raise RuleError(f"{path.name}: needs an `organisations` list and `county_words`")
    ids: set = set()
    for entry in raw["organisations"]:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
            raise RuleError(f"{path.name}: every organisation needs an id and a name: {entry!r}")
        if entry["id"] in ids:
            raise RuleError(f"{path.name}: duplicate organisation id {entry['id']}")
        ids.add(entry["id"])
    try:
        re.compile(raw["county_words"])
    except re.error as err:
        raise RuleError(f"{path.name}: county_words: bad regex ({err})") from None
    return raw


def validate_patterns(rules: tuple[CueRule, ...], source: Path) -> None:
    """Compile every pattern in a spaCy Matcher so a bad one fails now, by name."""
    from spacy.matcher import Matcher

    from .spacy_doc import blank_vocab

    matcher = Matcher(blank_vocab(), validate=True)
    for rule in rules:
        try:
            matcher.add(rule.id, [list(rule.pattern)])
        except Exception as err:  # spaCy raises MatchPatternError / ValueError
            first = str(err).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])
            raise RuleError(f"{source.name}: rule {rule.id}: invalid pattern ({detail})") from None


RULE_FILES = ("cues", "concepts", "metadata", "organisations")


def _rule_files(rules_dir: Path | str | None) -> dict[str, Path]:
    folder = Path(rules_dir) if rules_dir else RULES_DIR
    return {name: folder / f"{name}.yaml" for name in RULE_FILES}


def rules_fingerprint(rules_dir: Path | str | None = None) -> str:
    """`load_rules(rules_dir).version` without loading or checking the rules (no spaCy)."""
    return _version(_rule_files(rules_dir).values())


def _cue_rules(path: Path) -> tuple[CueRule, ...]:
    """The cue rules of a file, each checked, their patterns not yet compiled."""
    raw_cues = _load_yaml(path)
    if not isinstance(raw_cues, list):
        raise RuleError(f"{path.name}: must be a list of rules")
    seen: set = set()
    return tuple(_validate_cue(path, r, seen) for r in raw_cues)


@lru_cache(maxsize=4)
def rule_comments(rules_dir: Path | str | None = None) -> tuple[tuple[str, str], ...]:
    """(rule id, its comment) for every cue rule, read without compiling the patterns.

    For the report's rule links: compiling them needs spaCy (and, through thinc, torch), which
    a flow whose analysis runs in worker processes does not otherwise import.
    """
    return tuple((rule.id, rule.comment) for rule in _cue_rules(_rule_files(rules_dir)["cues"]))


def load_rules(rules_dir: Path | str | None = None) -> RuleSet:
    files = _rule_files(rules_dir)
    cues = _cue_rules(files["cues"])
    validate_patterns(cues, files["cues"])
    raw_concepts = _load_yaml(files["concepts"])
    concepts = _validate_concepts(files["concepts"], raw_concepts)
    try:
        not_statement = re.compile(raw_concepts.get("not_statement") or "(?!)", re.I)
    except re.error as err:
        raise RuleError(f"{files['concepts'].name}: not_statement: bad regex ({err})") from None
    about = raw_concepts.get("about_heads") or []
    if not isinstance(about, list) or not all(isinstance(w, str) and w for w in about):
        raise RuleError(f"{files['concepts'].name}: about_heads must be a list of lemmas")
    metadata = _validate_metadata(files["metadata"], _load_yaml(files["metadata"]))
    metadata = {**metadata, "registry": build_registry(_validate_organisations(files["organisations"],
                                                                               _load_yaml(files["organisations"])),
                                                       metadata["region_heads"])}
    return RuleSet(cues, concepts, not_statement, frozenset(about), metadata, _version(files.values()))


def _version(rule_files) -> str:
    """Hash of the rule files and of the extraction code's source: results follow both."""
    digest = hashlib.sha256()
    for path in sorted(rule_files) + sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=4)
def default_rules() -> RuleSet:
    return load_rules(RULES_DIR)
