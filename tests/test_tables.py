"""The tables as analysts load them: dtypes, metadata, the load/diff API, values per organisation, history."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import diff, load, store
from pipeline.concepts import concept_of
from pipeline.errors import OutputError
from pipeline.schema import TABLES
from pipeline.store.rows import values_rows
from pipeline.types import Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, Sentence, Token

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _doc(doc_id, values=("rohkeus",), org="testin-hyvinvointialue", decided_on="2025-06-01", text=None):
    text = text or "Arvot: " + ", ".join(values) + "."
    raw = RawDocument(doc_id, f"{doc_id}.txt", str(hash(text)), "ok", None, text, "utf-8", "fi", len(text))
    toks = (Token(0, 0, "Arvot", "arvo", "NOUN", 0, 5),)
    analysis = Analysis(doc_id, text, (Sentence(0, 0, len(text), 0, 1),), toks, "fi-test@0")
    ext, pos = [], 7
    for i, v in enumerate(values, 1):
        ext.append(Extraction(doc_id, "value", i, v, v, pos, pos + len(v), 0, "value.cue", 0.9))
        pos += len(v) + 2
    meta = DocumentMetadata(region="Testin hyvinvointialue" if org else None, decided_on=decided_on,
                            decided_by="aluevaltuusto", organisation_id=org,
                            organisation_kind="hyvinvointialue" if org else None)
    return DocumentResult(raw, analysis, meta, tuple(ext))


def _publish(out, results, metadata=None):
    with store.open_run(out, metadata=metadata or {"model": "fi-test@0", "rules_version": "r1"}) as (writer, _):
        for r in results:
            writer.add(r, NOW, "r1")
        return writer.commit({"model": "fi-test@0"})


def test_load_typed_columns_categorical_date_and_lists(tmp_path):
    _publish(tmp_path, [_doc("a", ("vastuullinen", "luottamus")), _doc("b", decided_on=None)])
    t = load(tmp_path)
    docs, ext = t["documents"], t["extractions"]
    for frame, column in ((docs, "status"), (docs, "language"), (docs, "decided_by"), (ext, "field"),
                          (ext, "rule_id"), (docs, "run_id")):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    assert list(ext["field"].cat.categories) == ["mission", "vision", "value", "goal"]
    assert str(docs["decided_on"].dtype) == "datetime64[s]" and str(t["values"]["decided_on"].dtype) == "datetime64[s]"
    assert docs.loc[0, "decided_on"] == pd.Timestamp("2025-06-01") and pd.isna(docs.loc[1, "decided_on"])
    assert type(t["strategies"].loc[0, "values"]) is list and type(docs.loc[0, "notes"]) is list
    # The file itself stores a date, so other readers (pyarrow, duckdb, polars) see one too.
    assert str(pq.read_schema(tmp_path / "documents.parquet").field("decided_on").type) == "date32[day]"


def test_load_tables_carry_schema_model_rules_metadata(tmp_path):
    final = _publish(tmp_path, [_doc("a")], {"model": "fi-test@0", "rules_version": "r1"})
    for name, frame in load(tmp_path).items():
        assert frame.attrs["pipeline"] == {"schema_version": "2", "run_id": final.name, "model": "fi-test@0",
                                           "rules_version": "r1", "table": name}, name
    assert set(load(tmp_path)["extractions"]["run_id"]) == {final.name}


def test_load_bad_table_name_lists_valid_ones(tmp_path):
    _publish(tmp_path, [_doc("a")])
    with pytest.raises(ValueError, match="unknown table 'extraction'.*documents, tokens, extractions, strategies"):
        load(tmp_path, ["extraction"])


def test_load_run_previous_reads_the_run_before(tmp_path):
    _publish(tmp_path, [_doc("a")])
    _publish(tmp_path, [_doc("a"), _doc("b")])
    assert list(load(tmp_path, ["documents"], run="previous")["documents"]["doc_id"]) == ["a"]
    assert list(load(tmp_path, ["documents"])["documents"]["doc_id"]) == ["a", "b"]
    with pytest.raises(OutputError, match="kept runs"):
        load(tmp_path, run="20000101T000000000000Z")


def test_load_run_previous_on_first_run_raises_clear_error(tmp_path):
    _publish(tmp_path, [_doc("a")])
    with pytest.raises(OutputError, match="no run before the current one"):
        load(tmp_path, run="previous")


def test_diff_reports_added_changed_removed_documents_and_extractions(tmp_path):
    _publish(tmp_path, [_doc("a", ("rohkeus",)), _doc("b")])
    _publish(tmp_path, [_doc("a", ("rohkeus", "avoimuus")), _doc("c")])
    d = diff(tmp_path)
    assert d["documents"][["doc_id", "change"]].values.tolist() == [["a", "changed"], ["b", "removed"],
                                                                    ["c", "added"]]
    ext = d["extractions"]
    assert ext[["doc_id", "normalized", "change"]].values.tolist() == [
        ["a", "avoimuus", "added"], ["b", "rohkeus", "removed"], ["c", "rohkeus", "added"]]


def test_values_table_one_row_per_organisation_and_value_latest_strategy_wins(tmp_path):
    _publish(tmp_path, [_doc("old", ("rohkeus", "avoimuus"), decided_on="2020-01-01"),
                        _doc("new", ("vastuullisuus", "vastuullisuus"), decided_on="2025-01-01"),
                        _doc("other", ("rohkeus",), org="muun-kunta", decided_on=None)])
    values = load(tmp_path, ["values"])["values"]
    assert values[["organisation_id", "value", "doc_id", "n_documents"]].values.tolist() == [
        ["muun-kunta", "rohkeus", "other", 1], ["testin-hyvinvointialue", "vastuullisuus", "new", 2]]
    assert list(values.columns) == TABLES["values"].names


def test_values_rows_unrecognised_organisations_stand_alone_and_period_dates_them():
    docs = [{"doc_id": "x", "organisation_id": None, "decided_on": None, "period": None},
            {"doc_id": "y", "organisation_id": None, "decided_on": None, "period": None},
            {"doc_id": "p1", "organisation_id": "o", "decided_on": None, "period": "2026–2029"},
            {"doc_id": "p2", "organisation_id": "o", "decided_on": date(2022, 5, 1), "period": None}]
    rows = values_rows(docs, {"x": ["a"], "y": ["b"], "p1": ["uusi"], "p2": ["vanha"]})
    assert [(r["organisation_id"], r["doc_id"], r["value"]) for r in rows] == [
        ("o", "p1", "uusi"), (None, "x", "a"), (None, "y", "b")]


@pytest.mark.parametrize(("forms", "concept"), [
    (("vastuullinen", "vastuullisesti", "vastuullisuus"), "vastuullisuus"),
    (("luotettava", "luottamus", "luotettavuus"), "luottamus"),
    (("inhimillinen", "inhimillisesti", "inhimillisyys"), "inhimillisyys"),  # front vowels: only e/i
    (("rohkea", "rohkeasti", "rohkeus"), "rohkeus"),
    (("kestävä", "kestävyys"), "kestävyys"),
    (("asiakaslähtöinen", "asiakaslähtöisyys"), "asiakaslähtöisyys"),
])
def test_concept_of_adjective_adverb_and_noun_forms_share_a_concept(forms, concept):
    assert {concept_of(f) for f in forms} == {concept}


@pytest.mark.parametrize("value", ["ihminen", "välittäminen", "arvostava kohtaaminen", "toimimme yhdessä"])
def test_concept_of_nouns_verbal_nouns_and_phrases_are_their_own_concept(value):
    assert concept_of(value) == value


def test_extractions_concept_column_only_for_values(tmp_path):
    _publish(tmp_path, [_doc("a", ("vastuullinen",))])
    ext = load(tmp_path, ["extractions"])["extractions"]
    assert ext[["normalized", "concept"]].values.tolist() == [["vastuullinen", "vastuullisuus"]]


def test_report_values_by_concept_counts_organisations_not_documents(tmp_path):
    import re

    from pipeline.report import render_report

    final = _publish(tmp_path, [_doc("a1", ("vastuullinen",), decided_on="2020-01-01"),
                                _doc("a2", ("vastuullisuus",), decided_on="2024-01-01"),
                                _doc("b", ("vastuullisesti",), org="muun-kunta")])
    html = render_report(store.read_results(final))
    section = html[html.index('id="concepts"'):html.index("</section>", html.index('id="concepts"'))]
    row = re.search(r"<th scope=\"row\">vastuullisuus.*?</tr>", section, re.S).group(0)
    assert 'data-sort="2"' in row and "vastuullisesti" in row  # two organisations, forms listed
