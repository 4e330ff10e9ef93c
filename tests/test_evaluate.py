"""The gold format and the corpus matching rules, on small hand-made cases."""
from __future__ import annotations

import json

import pytest

from pipeline.errors import GoldFormatError
from pipeline.evaluate import Gold, load_gold, match, score, span_f1

GOLD = {"d1": Gold("d1", "fi", {"mission": ["tuemme asukkaiden hyvinvointia"], "vision": ["paras hyvinvointialue"],
                                 "value": ["rohkeus", "arvostava kohtaaminen"], "goal": ["sujuvat palvelut", "kestävä talous"]}),
        "sv": Gold("sv", "sv", {"mission": ["vi främjar hälsa"], "vision": [], "value": [], "goal": []})}
PERFECT = {"d1": {"mission": ["tuemme asukkaiden hyvinvointia"], "vision": ["paras hyvinvointialue"],
                  "value": ["rohkeus", "arvostava kohtaaminen"], "goal": ["sujuvat palvelut", "kestävä talous"]}}
LANGS = {"d1": "fi", "sv": "sv"}


def test_score_perfect_prediction_scores_one():
    result = score(PERFECT, LANGS, GOLD).as_dict()
    assert result["overall"]["f1"] == 1.0 and all(f["f1"] == 1.0 for f in result["fields"].values())
    assert result["non_finnish"] == {"handled": 1, "total": 1, "failed": []}


def test_score_missing_item_lowers_recall_only():
    preds = json.loads(json.dumps(PERFECT))
    preds["d1"]["goal"] = ["sujuvat palvelut"]
    goal = score(preds, LANGS, GOLD).as_dict()["fields"]["goal"]
    assert (goal["p"], goal["r"], goal["fn"]) == (1.0, 0.5, 1)


def test_score_extra_item_lowers_precision_only():
    preds = json.loads(json.dumps(PERFECT))
    preds["d1"]["value"].append("avoimuus")
    value = score(preds, LANGS, GOLD).as_dict()["fields"]["value"]
    assert (value["p"], value["r"], value["fp"]) == (pytest.approx(2 / 3, abs=1e-4), 1.0, 1)


def test_score_extraction_from_non_finnish_document_counts_as_failure():
    preds = {**PERFECT, "sv": {"mission": ["vi främjar hälsa"]}}
    result = score(preds, LANGS, GOLD).as_dict()
    assert result["non_finnish"]["handled"] == 0 and result["fields"]["mission"]["fp"] == 0


def test_match_span_needs_token_f1_of_one_half():
    assert span_f1("Suomen toimivin hyvinvointialue", "toimivin hyvinvointialue") == pytest.approx(0.8)
    pairs, fp, fn = match("vision", ["toimivin alue Suomessa tänään"], ["Suomen toimivin hyvinvointialue"])
    assert pairs == [] and fp == [0] and fn == [0]


def test_match_values_compare_normalized_lemmas_one_to_one():
    pairs, fp, fn = match("value", ["Rohkeus", "rohkeus", "Arvostava  kohtaaminen", "hyvinvointi"],
                          ["rohkeus", "arvostava kohtaaminen", "hyvin#vointi"])
    assert pairs == [(0, 0), (2, 1), (3, 2)] and fp == [1] and fn == []


def test_load_gold_malformed_file_fails_with_file_name(tmp_path):
    (tmp_path / "01_x.gold.json").write_text('{"doc_id": "01_x"}', encoding="utf-8")
    with pytest.raises(GoldFormatError, match="01_x.gold.json: not in the gold format"):
        load_gold(tmp_path)
