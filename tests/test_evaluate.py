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


def _golds(*ids):
    return {i: Gold(i, "fi", {"mission": [], "vision": [], "value": [], "goal": []}) for i in ids}


def test_select_documents_globs_and_file_choose_subset(tmp_path):
    from pipeline.evaluate import select_documents

    golds = _golds("01_a", "46_b", "51_c", "94_d")
    assert sorted(select_documents(golds, ["4*,5*"])) == ["46_b", "51_c"]
    listing = tmp_path / "half.txt"
    listing.write_text("# a comment\n01_a\n9*\n", encoding="utf-8")
    assert sorted(select_documents(golds, [f"@{listing}"])) == ["01_a", "94_d"]
    assert select_documents(golds, []) == golds


def test_select_documents_no_match_is_one_line_error():
    from pipeline.evaluate import select_documents

    with pytest.raises(GoldFormatError, match="no gold document matches 7"):
        select_documents(_golds("01_a"), ["7*"])


@pytest.mark.parametrize("text, surface, expected", [
    ("Arvot\n\n• Avoimuus\n• Rohkeus\n", "Rohkeus", "section"),
    ("Arvomme ovat:\n\n• Avoimuus\n", "Avoimuus", "label-list"),
    ("Missio: Turvaamme palvelut.", "Turvaamme palvelut", "colon"),
    ("Strategian missiona on Terve maakunta.", "Terve maakunta", "essive"),
    ("Visiomme on olla paras kumppani.", "paras kumppani", "copula"),
    ("Alue keskittyy talouden tasapainottamiseen.", "talouden tasapainottamiseen", "focus"),
    ("Ostoskoriin päätyivät rohkeus ja luottamus.", "rohkeus", "prose"),
    ("Arvot ovat avoimuus.", "luottamus", "not located"),
])
def test_miss_construction_names_the_rule_family(text, surface, expected):
    from pipeline.evaluate import miss_construction

    assert miss_construction(text, surface) == expected


def test_score_counts_misses_by_construction():
    gold = {"d": Gold("d", "fi", {"mission": [], "vision": [], "value": ["avoimuus"], "goal": []},
                      {"mission": [], "vision": [], "value": ["Avoimuus"], "goal": []}, "Arvot\n\n• Avoimuus\n")}
    result = score({}, {"d": "fi"}, gold).as_dict()
    assert result["misses_by_construction"] == {"value": {"section": 1}}
