"""The organisation registry and the recognition of who a text is by."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.extract.metadata import extract_metadata
from pipeline.extract.organisations import slug
from pipeline.extract.rules import RULES_DIR, load_rules

DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"


@pytest.fixture(scope="module")
def rules():
    return load_rules().metadata


def test_registry_lists_21_counties_and_helsinki_with_slug_ids():
    entries = yaml.safe_load((RULES_DIR / "organisations.yaml").read_text(encoding="utf-8"))["organisations"]
    counties = [e for e in entries if e["name"].endswith(" hyvinvointialue")]
    assert len(counties) == 21 and [e["name"] for e in entries if e not in counties] == ["Helsingin kaupunki"]
    assert all(e["id"] == slug(e["name"]) for e in entries)


@pytest.mark.parametrize(("text", "org_id", "name"), [
    ("Pirhan strategia hyväksyttiin. Pirha on Suomen suurin.", "pirkanmaan-hyvinvointialue",
     "Pirkanmaan hyvinvointialue"),
    ("VAKE:n uusi strategia linjaa toimintaa.", "vantaan-ja-keravan-hyvinvointialue",
     "Vantaan ja Keravan hyvinvointialue"),
    ("Oma Häme julkaisi arvonsa: rohkeus ja luottamus.", "kanta-hameen-hyvinvointialue", "Kanta-Hämeen hyvinvointialue"),
    ("Strategia linjaa Pohjois-Pohjanmaan kehittämistä. Hyvinvointialueella on tavoitteita.",
     "pohjois-pohjanmaan-hyvinvointialue", "Pohjois-Pohjanmaan hyvinvointialue"),
])
def test_extract_metadata_registry_name_gives_official_name_and_id(rules, text, org_id, name):
    meta = extract_metadata(text, rules)
    assert (meta.organisation_id, meta.region, meta.organisation_kind) == (org_id, name, "hyvinvointialue")


@pytest.mark.parametrize(("text", "name", "kind"), [
    ("Oulun kaupungin strategia on valmis. Oulun kaupunki kasvaa.", "Oulun kaupunki", "kaupunki"),
    ("Muonion kunnan arvot ovat avoimuus.", "Muonion kunta", "kunta"),
    ("Lahden kaupunginvaltuusto hyväksyi strategian.", "Lahden kaupunki", "kaupunki"),
    ("Varsinais-Suomen liiton maakuntastrategia.", "Varsinais-Suomen liitto", "liitto"),
    ("Itä-Savon kuntayhtymän toiminta-ajatus.", "Itä-Savon kuntayhtymä", "kuntayhtymä"),
])
def test_extract_metadata_generic_body_gets_base_form_and_slug_id(rules, text, name, kind):
    meta = extract_metadata(text, rules)
    assert (meta.region, meta.organisation_id, meta.organisation_kind) == (name, slug(name), kind)


def test_extract_metadata_area_without_county_word_names_nobody(rules):
    # "Pohjanmaan" alone is a region, not an organisation, unless the text speaks of the county.
    assert extract_metadata("Pohjanmaan luonto on kaunis.", rules).organisation_id is None


def test_extract_metadata_city_region_compound_is_not_the_city(rules):
    assert extract_metadata("Tampereen kaupunkiseudun kunnat tekevät yhteistyötä.", rules).region is None


@pytest.mark.skipif(not DEV.is_dir(), reason="development corpus not present")
def test_extract_metadata_dev_corpus_counties_named_in_issue_are_recognised(rules):
    # The five counties whose region was null (issue 16), and every gold region of a county found.
    for prefix in ("10_", "16_", "18_", "22_", "33_", "63_"):
        path = next(DEV.glob(f"{prefix}*.txt"))
        gold = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
        meta = extract_metadata(path.read_text(encoding="utf-8"), rules)
        assert meta.region == gold["region"], path.name
        assert meta.organisation_id == slug(gold["region"]), path.name
