"""Extractors on short Finnish sentences written for these tests (needs the committed model)."""
from __future__ import annotations

import pytest


pytestmark = pytest.mark.model


def texts(found, field):
    return [t for t, _ in found.get(field, [])]


def norms(found, field):
    return [n for _, n in found.get(field, [])]


def test_extract_labelled_lines_found_without_cue_or_final_stop(extract):
    found = extract("Missio: Turvaamme hyvinvoinnin jokaiselle.\nVisio: Suomen paras hyvinvointialue\n"
                    "Arvot: Avoimuus, rohkeus ja luottamus.\n")
    assert texts(found, "mission") == ["Turvaamme hyvinvoinnin jokaiselle"]
    assert texts(found, "vision") == ["Suomen paras hyvinvointialue"]
    assert norms(found, "value") == ["avoimuus", "rohkeus", "luottamus"]


def test_extract_copula_with_quotation_takes_quoted_statement(extract):
    found = extract("Perustehtävä eli missio on ”autamme ihmisiä arjessa”. Muuta ei päätetty.")
    assert texts(found, "mission") == ["autamme ihmisiä arjessa"]


def test_extract_vision_copula_infinitive_is_part_of_cue(extract):
    found = extract("Visiomme on olla alueen luotetuin palveluiden järjestäjä.")
    assert texts(found, "vision") == ["alueen luotetuin palveluiden järjestäjä"]


def test_extract_values_partitive_copula_split_into_items(extract):
    found = extract("Hyvinvointialueen arvoja ovat yhteisöllisyys, avoimuus sekä vastuullisuus.")
    assert norms(found, "value") == ["yhteisöllisyys", "avoimuus", "vastuullisuus"]


def test_extract_apposition_quotation_gives_vision(extract):
    found = extract("Aluevaltuusto asetti toiminnalle tulevaisuuden tavoitekuvaksi ”terveet ja turvalliset kunnat”.")
    assert texts(found, "vision") == ["terveet ja turvalliset kunnat"]


def test_extract_statements_inside_longer_sentence_split_at_next_cue(extract):
    found = extract("Strategia pohjautuu arvoihin: avoimuuteen, rohkeuteen ja luottamukseen, "
                    "sekä visioomme olla rohkea uudistaja.")
    assert norms(found, "value") == ["avoimuus", "rohkeus", "luottamus"]
    assert texts(found, "value") == ["avoimuuteen", "rohkeuteen", "luottamukseen"]
    assert texts(found, "vision") == ["rohkea uudistaja"]


def test_extract_bullet_list_under_heading_keeps_multiword_values(extract):
    found = extract("Arvomme\n\n• Luotettavuus\n• Arvostava kohtaaminen\n• Yhdenvertaisuus\n\nLue lisää strategiasta.")
    assert texts(found, "value") == ["Luotettavuus", "Arvostava kohtaaminen", "Yhdenvertaisuus"]
    assert norms(found, "value") == ["luotettavuus", "arvostava kohtaaminen", "yhdenvertaisuus"]


def test_extract_numbered_goals_after_announced_count(extract):
    found = extract("Strategiassa on kolme painopistettä:\n\n1. Sujuvat palvelut arjen tueksi.\n"
                    "2. Osaava ja hyvinvoiva henkilöstö.\n3. Kestävä talous.\n")
    assert texts(found, "goal") == ["Sujuvat palvelut arjen tueksi", "Osaava ja hyvinvoiva henkilöstö", "Kestävä talous"]


def test_extract_goal_item_with_explanation_keeps_heading_sentence(extract):
    found = extract("Strategiset tavoitteet:\n\n- Ennaltaehkäisy vahvistuu. Lisäämme neuvontaa kaikissa kunnissa.\n"
                    "- Digitaaliset palvelut yleistyvät. Kehitämme sähköistä asiointia.\n")
    assert texts(found, "goal") == ["Ennaltaehkäisy vahvistuu", "Digitaaliset palvelut yleistyvät"]


def test_extract_goal_paragraphs_separated_by_blank_lines(extract):
    found = extract("Strategian keskiössä ovat kaksi painopistettä:\n\n"
                    "Palvelumme ovat helposti saatavilla. Kehitämme palveluverkkoa koko alueella.\n\n\n"
                    "Olemme vetovoimainen työnantaja. Panostamme johtamiseen ja osaamiseen.\n")
    assert texts(found, "goal") == ["Palvelumme ovat helposti saatavilla", "Olemme vetovoimainen työnantaja"]


def test_extract_inline_goal_enumeration_split_at_commas_and_last_conjunction(extract):
    found = extract("Keskeiset tavoitteet ovat sujuvat palvelut, osaava henkilöstö ja tasapainoinen talous.")
    assert texts(found, "goal") == ["sujuvat palvelut", "osaava henkilöstö", "tasapainoinen talous"]


def test_extract_statement_given_twice_extracted_once(extract):
    found = extract("Missiomme on tukea asukkaiden hyvinvointia joka päivä.\n\n"
                    "Hyvinvointialueen perustehtäväksi eli missioksi on määritelty ”tukea asukkaiden hyvinvointia joka päivä”.")
    assert texts(found, "mission") == ["tukea asukkaiden hyvinvointia joka päivä"]


def test_extract_value_clauses_under_heading_keep_phrase(extract):
    found = extract("Arvomme\n\nToimimme avoimesti yhdessä.\n\nKerromme päätöksistä ajoissa ja kuuntelemme asukkaita. "
                    "Yhteistyö on meille tärkeää.\n\nKohtaamme ihmiset arvostaen.\n")
    assert norms(found, "value") == ["toimimme avoimesti yhdessä", "kohtaamme ihmiset arvostaen"]


@pytest.mark.parametrize("text", [
    "Visio ja missio säilyvät ennallaan.",
    "Strategiassa päätettiin visiosta, missiosta, arvoista ja tavoitteista.",
    "Uudessa strategiassa visiota on kirkastettu.",
    "Arvot ovat ennallaan.",
    "Palvelulupauksemme on: oikeat palvelut oikeaan aikaan.",
    "Tavoitteenamme on, että asukkaat saavat apua nopeasti.",
    "Tavoitteisiin pyrkiessämme tunnistimme seuraavat kriittiset menestystekijät:\n\n• Osaava henkilöstö\n• Hyvä johtaminen\n",
    "Siirry sisältöön\nKatso myös nämä\nStrategia hyväksyttiin aluevaltuustossa.",
    "Strategialuonnos sisältää tavoitetilan, palvelulupauksen sekä arvot.\n\nLausuntoja pyydetään kesäkuun loppuun mennessä.",
])
def test_extract_talk_about_strategy_without_statement_extracts_nothing(extract, text):
    assert extract(text) == {}
