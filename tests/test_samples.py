"""End to end on the two sample texts: the exact extractions, the parquet contract."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline import load
from pipeline.flows import run_pipeline
from pipeline.settings import RunSettings
from pipeline.schema import TABLES

pytestmark = [pytest.mark.model, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
KP = "keski-pohjanmaa-strategia-2022"
PH = "paijat-hame-strategia-2022"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    for path in (REPO / "raw_texts").glob("*.txt"):
        shutil.copy(path, raw / path.name)
    out = tmp_path_factory.mktemp("out")
    run_pipeline(RunSettings(raw, out, REPO / "models"))
    return load(out)


def _field(tables, doc_id, field, column="text"):
    ext = tables["extractions"]
    rows = ext[(ext.doc_id == doc_id) & (ext.field == field)].sort_values("item")
    return list(rows[column])


def test_samples_keski_pohjanmaa_extracted_exactly(tables):
    assert _field(tables, KP, "mission") == ["Hyvinvointia, terveyttä ja turvallisuutta – Ihmiselle"]
    assert _field(tables, KP, "vision") == ["Suomen toimivin hyvinvointialue"]
    assert _field(tables, KP, "value", "normalized") == [
        "vaikuttavuus", "osallisuus", "yhdenvertaisuus", "turvallisuus", "arvostava kohtaaminen", "rohkeus"]
    assert _field(tables, KP, "goal") == [
        "Ennakoivat, yhdenvertaiset ja sujuvat palveluketjut ihmisen tukena arjessa",
        "Vahvat peruspalvelut ja päivystävä keskussairaala alueella",
        "Vaikuttavuutta hyvällä johtamisella sekä inhimillisesti ja taloudellisesti kestävillä ratkaisuilla",
        "Hyvinvoiva ja osaava henkilöstö",
        "Yhteistyöllä hyvinvointia, terveyttä ja turvallisuutta Keski-Pohjanmaalla",
    ]


def test_samples_paijat_hame_extracted_exactly_once_each(tables):
    assert _field(tables, PH, "mission") == [
        "tuemme päijäthämäläisten hyvinvointia ja järjestämme laadukkaat palvelut vastuullisesti ja joustavasti"]
    assert _field(tables, PH, "vision") == [
        "hyvinvoivat asukkaat turvallisessa, elinvoimaisessa ja uudistuvassa Päijät-Hämeessä"]
    assert _field(tables, PH, "value", "normalized") == ["luottamus", "rohkeus", "välittäminen", "oikeudenmukaisuus"]
    assert _field(tables, PH, "goal") == [
        "Vaikuttavat, kustannustehokkaat ja saavutettavat palvelut sekä erinomainen asiakaskokemus",
        "Saavutettu asema alan parhaana julkisena työpaikkana",
        "Luottamuksen avulla rakennettu, sujuva yhteistyö alueen kuntien, yhteisöjen ja valtionhallinnon kanssa "
        "– asukkaiden parhaaksi",
    ]


def test_samples_every_extraction_is_verbatim_at_its_offsets(tables):
    texts = dict(zip(tables["documents"].doc_id, tables["documents"].text))
    ext = tables["extractions"]
    assert len(ext) == 22  # 13 + 9 items asserted field by field above
    for row in ext.itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.text
    assert not ext.text.str.contains("Siirry sisältöön|Katso myös nämä").any()


def test_samples_documents_metadata_and_status(tables):
    docs = tables["documents"].set_index("doc_id")
    assert docs.loc[PH, "region"] == "Päijät-Hämeen hyvinvointialue"
    assert docs.loc[KP, "region"] == "Keski-Pohjanmaan hyvinvointialue"
    assert (docs.loc[PH, "decided_on"], docs.loc[PH, "decided_by"], docs.loc[PH, "period"]) == (
        pd.Timestamp("2022-06-13"), "aluevaltuusto", "vuoteen 2025")
    assert docs.loc[PH, "organisation_id"] == "paijat-hameen-hyvinvointialue"
    assert docs.loc[KP, "organisation_id"] == "keski-pohjanmaan-hyvinvointialue"
    assert set(docs.status) == {"ok"} and set(docs.language) == {"fi"} and docs.reason.isna().all()
    assert (docs.n_tokens > 200).all() and docs.model.str.startswith("fi-").all()


def test_samples_parquet_schema_names_and_dtypes_fixed(tables):
    expected = {
        "documents": {"doc_id": "str", "n_sentences": "int64", "n_tokens": "int64",
                      "processed_at": "datetime64[us, UTC]", "notes": "object", "status": "category",
                      "decided_on": "datetime64[s]"},
        "tokens": {"sentence": "int64", "token": "int64", "start": "int64", "end": "int64", "lemma": "str"},
        "extractions": {"item": "int64", "start": "int64", "end": "int64", "confidence": "float64",
                        "field": "category", "rule_id": "category", "concept": "str"},
        "strategies": {"values": "object", "goals": "object", "mission": "str"},
        "values": {"value": "str", "concept": "str", "n_documents": "int64", "decided_on": "datetime64[s]"},
        "history": {"committed_at": "datetime64[us, UTC]", "change": "category"},
    }
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].names
        for column, dtype in expected[name].items():
            assert str(frame[column].dtype) == dtype, (name, column)
    strategies = tables["strategies"].set_index("doc_id")
    assert list(strategies.loc[PH, "values"]) == ["luottamus", "rohkeus", "välittäminen", "oikeudenmukaisuus"]
    assert len(strategies.loc[KP, "goals"]) == 5 and isinstance(strategies.loc[KP, "vision"], str)


def test_samples_report_lists_every_extraction_and_the_edit_of_a_second_run(tmp_path):
    import html

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in (REPO / "raw_texts").glob("*.txt"):
        shutil.copy(path, raw / path.name)
    run_pipeline(RunSettings(raw, out, REPO / "models"))
    edited = raw / f"{KP}.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "Visio: Suomen toimivin hyvinvointialue", "Visio: Suomen <script>alert(1)</script> hyvinvointialue"),
        encoding="utf-8")
    summary = run_pipeline(RunSettings(raw, out, REPO / "models"))
    assert summary["counts"]["analyzed"] == 1 and summary["counts"]["reused_analysis"] == 1
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for row in load(out)["extractions"].itertuples():
        assert html.escape(row.text, quote=False) in page
    changes = page[page.index('id="changes"'):]
    assert KP in changes and "Suomen toimivin hyvinvointialue" in changes


def test_report_command_renders_the_page_the_run_rendered(tmp_path):
    from pipeline.cli import report_cmd

    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(REPO / "raw_texts", raw)
    run_pipeline(RunSettings(raw, out, REPO / "models"))
    by_run = (out / "report.html").read_text(encoding="utf-8")
    report_cmd(out_dir=out, reviews=None)
    assert (out / "report.html").read_text(encoding="utf-8") == by_run
