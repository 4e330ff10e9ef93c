"""Extraction rules are data: they load, carry ids and comments, and fail loudly when broken."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import RuleError
from pipeline.extract.rules import RULES_DIR, load_rules, rule_comments

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rules_copy(tmp_path):
    dst = tmp_path / "rules"
    shutil.copytree(RULES_DIR, dst)
    return dst


def _append_cue(rules_copy, rule_yaml: str) -> None:
    """Add one rule (YAML text) at the end of the copied cues.yaml."""
    path = rules_copy / "cues.yaml"
    path.write_text(path.read_text(encoding="utf-8") + rule_yaml, encoding="utf-8")


def test_load_rules_shipped_rules_cover_every_field():
    assert {r.field for r in load_rules().cues} == {"mission", "vision", "value", "goal"}


def test_load_rules_rule_without_comment_fails_naming_it(rules_copy):
    _append_cue(rules_copy, "\n- id: silent.rule\n  field: goal\n"
                "  pattern: [{LEMMA: tavoite}]\n  takes: [colon]\n")
    with pytest.raises(RuleError, match=r"rule silent.rule: add a short comment"):
        load_rules(rules_copy)


def test_load_rules_invalid_pattern_fails_naming_file_and_rule(rules_copy):
    _append_cue(rules_copy, "\n- id: broken.rule\n  field: goal\n  comment: x\n"
                "  pattern: [{NOT_AN_ATTRIBUTE: foo}]\n  takes: [colon]\n")
    with pytest.raises(RuleError, match=r"cues.yaml: rule broken.rule: invalid pattern"):
        load_rules(rules_copy)


def test_load_rules_duplicate_id_fails(rules_copy):
    _append_cue(rules_copy, "\n- id: mission.cue\n  field: mission\n  comment: x\n"
                "  pattern: [{LOWER: missio}]\n  takes: [colon]\n")
    with pytest.raises(RuleError, match="rule mission.cue: duplicate rule id"):
        load_rules(rules_copy)


def test_load_rules_unknown_construction_fails(rules_copy):
    _append_cue(rules_copy, "\n- id: odd.rule\n  field: vision\n  comment: x\n"
                "  pattern: [{LOWER: visio}]\n  takes: [telepathy]\n")
    with pytest.raises(RuleError, match="rule odd.rule: takes must list constructions"):
        load_rules(rules_copy)


def test_load_rules_bad_concept_regex_fails(rules_copy):
    path = rules_copy / "concepts.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('forms: "^missio"', 'forms: "^missio("'), encoding="utf-8")
    with pytest.raises(RuleError, match=r"concepts.yaml: mission/missio: bad forms regex"):
        load_rules(rules_copy)


def test_load_rules_version_changes_with_rule_files(rules_copy):
    before = load_rules(rules_copy).version
    path = rules_copy / "cues.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("confidence: 0.95", "confidence: 0.94", 1), encoding="utf-8")
    assert load_rules(rules_copy).version != before


def test_load_rules_version_changes_with_extraction_code(monkeypatch, tmp_path):
    """Stored extractions are redone when the code reading the rules changes, not only the YAML."""
    import pipeline.extract.rules as rules_module

    package = tmp_path / "extract"
    shutil.copytree(rules_module.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(rules_module, "PACKAGE_DIR", package)
    before = load_rules().version
    assert load_rules().version == before  # same code, same rules: same version (results are reused)
    reader = package / "readers.py"
    reader.write_text(reader.read_text(encoding="utf-8") + "\n# a behaviour change\n", encoding="utf-8")
    assert load_rules().version != before


def test_load_rules_every_construction_has_a_reader():
    from pipeline.extract.readers import READERS

    rules = load_rules()
    assert {c for r in rules.cues for c in r.takes} <= set(READERS)


def test_load_rules_concept_with_unknown_key_fails(rules_copy):
    path = rules_copy / "concepts.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{lemma: missio,", "{lemma: missio, plural: x,"),
                    encoding="utf-8")
    with pytest.raises(RuleError, match=r"concepts.yaml: mission/missio: unknown keys plural"):
        load_rules(rules_copy)


def test_rules_fingerprint_equals_loaded_version_and_follows_rule_files(rules_copy):
    from pipeline.extract.rules import rules_fingerprint

    assert rules_fingerprint(rules_copy) == load_rules(rules_copy).version
    path = rules_copy / "concepts.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert rules_fingerprint(rules_copy) == load_rules(rules_copy).version


def test_rule_comments_match_loaded_rules_and_need_no_spacy():
    code = ("import sys\n"
            "from pipeline.extract.rules import rule_comments\n"
            "print(len(rule_comments()), 'spacy' in sys.modules, 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    rules = load_rules(RULES_DIR)
    assert done.stdout.split() == [str(len(rules.cues)), "False", "False"]
    assert dict(rule_comments()) == {rule.id: rule.comment for rule in rules.cues}


def test_rule_comments_rule_without_comment_fails_naming_it(rules_copy):
    _append_cue(rules_copy, "\n- id: silent.rule\n  field: goal\n"
                "  pattern: [{LEMMA: tavoite}]\n  takes: [colon]\n")
    with pytest.raises(RuleError, match=r"rule silent.rule: add a short comment"):
        rule_comments(rules_copy)
