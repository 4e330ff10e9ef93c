"""The output contract: fixed schema, atomic publication, one writer at a time."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest

from pipeline import store
from pipeline.errors import OutputError, OutputLockedError
from pipeline.schema import TABLES
from pipeline.types import Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, Sentence, Token

TEXT = "Arvot: rohkeus."
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _result(doc_id="a", status="ok"):
    raw = RawDocument(doc_id, f"{doc_id}.txt", "0" * 64, status, None if status == "ok" else "empty file",
                      TEXT if status == "ok" else None, "utf-8", "fi", 15)
    if status != "ok":
        return DocumentResult(raw)
    toks = (Token(0, 0, "Arvot", "arvo", "NOUN", 0, 5), Token(1, 0, ":", ":", "PUNCT", 5, 6),
            Token(2, 0, "rohkeus", "rohkeus", "NOUN", 7, 14), Token(3, 0, ".", ".", "PUNCT", 14, 15))
    analysis = Analysis(doc_id, TEXT, (Sentence(0, 0, 15, 0, 4),), toks, "fi-test@0")
    ext = (Extraction(doc_id, "value", 1, "rohkeus", "rohkeus", 7, 14, 0, "value.cue", 0.95),)
    return DocumentResult(raw, analysis, DocumentMetadata(region="Testin hyvinvointialue"), ext)


def test_load_before_any_run_raises_clear_error(tmp_path):
    with pytest.raises(OutputError, match="no complete run"):
        store.load(tmp_path)


def test_commit_tables_have_fixed_schema_and_dtypes(tmp_path, publish):
    publish(tmp_path, [_result("a"), _result("b", "rejected")])
    tables = store.load(tmp_path)
    for name, schema in TABLES.items():
        assert list(tables[name].columns) == schema.names
        # The file on disk carries exactly the declared Arrow schema (names, types, nullability).
        assert pq.read_schema(tmp_path / f"{name}.parquet").remove_metadata().equals(schema), name
    docs = tables["documents"]
    assert str(docs["n_tokens"].dtype) == "int64" and str(docs["processed_at"].dtype) == "datetime64[us, UTC]"
    assert list(docs["status"]) == ["ok", "rejected"] and docs["reason"].isna().tolist() == [True, False]
    assert list(tables["strategies"].loc[0, "values"]) == ["rohkeus"]
    ext = tables["extractions"].iloc[0]
    assert docs.loc[0, "text"][ext.start:ext.end] == ext.text


def test_commit_many_documents_tokens_in_row_groups_of_bounded_size_in_order(tmp_path, publish, monkeypatch):
    # One row group per written document made tables of hundreds of tiny row groups; rows wait
    # until ROW_GROUP_ROWS have come and are written together, in the order they were added.
    monkeypatch.setattr(store.writer, "ROW_GROUP_ROWS", 10)
    publish(tmp_path, [_result(f"d{i:02d}") for i in range(7)])  # 4 tokens each: 28 rows
    tokens = pq.ParquetFile(tmp_path / "tokens.parquet")
    assert [tokens.metadata.row_group(i).num_rows for i in range(tokens.metadata.num_row_groups)] == [12, 12, 4]
    table = store.load(tmp_path)["tokens"]
    assert list(table["doc_id"]) == [f"d{i:02d}" for i in range(7) for _ in range(4)]
    assert pq.ParquetFile(tmp_path / "extractions.parquet").metadata.num_row_groups == 1  # 7 rows


def test_commit_empty_run_still_writes_every_table_with_schema(tmp_path, publish):
    publish(tmp_path, [_result("x", "rejected")])
    tables = store.load(tmp_path)
    assert len(tables["tokens"]) == 0 and list(tables["tokens"].columns) == TABLES["tokens"].names


def test_open_run_failure_publishes_nothing_and_keeps_previous(tmp_path, publish):
    first = publish(tmp_path, [_result("a")])
    with pytest.raises(RuntimeError):
        with store.open_run(tmp_path) as (writer, _):
            writer.add(_result("b"), NOW, "rules1")
            raise RuntimeError("crash mid-run")
    assert store.resolve_run(tmp_path) == first.resolve()
    assert list(store.load(tmp_path)["documents"]["doc_id"]) == ["a"]
    assert not list((tmp_path / "runs").glob(".staging-*"))


def test_second_writer_gets_one_line_locked_error(tmp_path):
    with store.open_run(tmp_path):
        with pytest.raises(OutputLockedError) as err:
            with store.open_run(tmp_path):
                pass
    assert "being written by another run" in str(err.value) and "\n" not in str(err.value)


def test_commit_keeps_current_and_previous_run_only(tmp_path, publish):
    runs = [publish(tmp_path, [_result("a")]) for _ in range(3)]
    kept = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert kept == sorted([runs[1].name, runs[2].name])
    assert store.previous_run(tmp_path).name == runs[1].name


def test_read_results_null_cells_none_and_list_cells_tuples(tmp_path, publish):
    ok = _result("a")
    noted = DocumentResult(replace(ok.raw, notes=("decoded as cp1252", "BOM removed")), ok.analysis, ok.metadata,
                           ok.extractions)
    run = store.read_results(publish(tmp_path, [noted, _result("b", "rejected")]))
    a, b = run.documents
    # nulls come back as None, never NaN/NaT/NA
    assert a.raw.reason is None and a.metadata.period is None and a.metadata.decided_on is None
    assert b.raw.text is None and b.model is None and b.rules_version is None and b.metadata.region is None
    assert a.strategy.mission is None and a.strategy.vision is None
    # list cells come back as tuples of str, not numpy arrays or lists
    assert a.raw.notes == ("decoded as cp1252", "BOM removed") and type(a.raw.notes) is tuple
    assert b.raw.notes == () and type(b.raw.notes) is tuple
    assert a.strategy.values == ("rohkeus",) and type(a.strategy.values) is tuple and a.strategy.goals == ()
    assert type(a.n_tokens) is int and a.n_tokens == 4 and a.processed_at == NOW
    assert a.extractions == ok.extractions and type(a.extractions[0].confidence) is float
    assert b.extractions == () and b.strategy is None  # only ok documents have a strategy


def test_read_results_documents_sorted_each_with_only_its_extractions(tmp_path, publish):
    run = store.read_results(publish(tmp_path, [_result("b"), _result("a"), _result("c", "skipped")]))
    assert [d.raw.doc_id for d in run.documents] == ["a", "b", "c"]
    assert all(e.doc_id == d.raw.doc_id for d in run.documents for e in d.extractions)
    assert [len(d.extractions) for d in run.documents] == [1, 1, 0]


def test_staged_results_before_commit_equal_read_results_after(tmp_path):
    with store.open_run(tmp_path) as (writer, _previous):
        writer.add(_result("a"), NOW, "rules1")
        writer.add(_result("b", "rejected"), NOW, None)
        staged = writer.staged_results()
        final = writer.commit({"model": "fi-test@0"})
    assert staged == store.read_results(final) and len(staged.documents) == 2


def test_read_results_renders_as_report(tmp_path, publish):
    from pipeline.report import render_report

    html = render_report(store.read_results(publish(tmp_path, [_result("a"), _result("b", "rejected")])))
    assert 'data-doc-id="a"' in html and '<li class="chip">rohkeus</li>' in html
    assert 'class="st-rejected" data-doc-id="b"' in html and "empty file" in html


# ---------------------------------------------------------------- ownership and links (issue 17: 1, 2, 8)

def test_open_run_folder_with_foreign_content_refused_and_left_intact(tmp_path, publish):
    out = tmp_path / "o"
    (out / "runs" / "keep").mkdir(parents=True)
    (out / "runs" / "keep" / "f").write_text("x")
    (out / "report.html").write_text("mine")
    with pytest.raises(OutputError, match="did not write"):
        publish(out, [_result("a")])
    assert (out / "runs" / "keep" / "f").read_text() == "x"
    assert not (out / "report.html").is_symlink() and (out / "report.html").read_text() == "mine"


def test_commit_owned_folder_prunes_own_runs_only(tmp_path, publish):
    out = tmp_path / "o"
    publish(out, [_result("a")])
    (out / "runs" / "keep").mkdir()
    (out / "runs" / "keep" / "f").write_text("x")
    (out / "runs" / "20990101T000000000000Z").mkdir()  # run-id name, but no run.json of its own
    for _ in range(3):
        publish(out, [_result("a")])
    assert (out / "runs" / "keep" / "f").read_text() == "x"
    assert (out / "runs" / "20990101T000000000000Z").is_dir()
    own = [p for p in (out / "runs").iterdir() if p.name not in ("keep", "20990101T000000000000Z")]
    assert len(own) == 2 and (out / store.MARKER).is_file()


def test_open_run_gitkeep_only_folder_adopted(tmp_path, publish):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    publish(out, [_result("a")])
    assert list(store.load(out)["documents"].doc_id) == ["a"]


def test_open_run_lock_symlink_refused_victim_untouched(tmp_path, publish):
    out, victim = tmp_path / "o", tmp_path / "victim"
    out.mkdir()
    victim.write_text("precious")
    (out / ".lock").symlink_to(victim)
    with pytest.raises(OutputError, match="lock"):
        publish(out, [_result("a")])
    assert victim.read_text() == "precious"


def test_open_run_lock_directory_one_line_error(tmp_path, publish):
    out = tmp_path / "o"
    publish(out, [_result("a")])
    (out / ".lock").unlink()
    (out / ".lock").mkdir()
    with pytest.raises(OutputError, match="remove it") as err:
        publish(out, [_result("a")])
    assert "\n" not in str(err.value)


def test_open_run_current_real_directory_refused_without_new_run_folder(tmp_path, publish):
    out = tmp_path / "o"
    publish(out, [_result("a")])
    (out / "current").unlink()
    (out / "current").mkdir()
    before = sorted(p.name for p in (out / "runs").iterdir())
    with pytest.raises(OutputError, match="current is a directory"):
        publish(out, [_result("a")])
    assert sorted(p.name for p in (out / "runs").iterdir()) == before


def test_write_report_planted_tmp_link_not_followed(tmp_path, publish):
    out, victim = tmp_path / "o", tmp_path / "victim"
    run = publish(out, [_result("a")])
    victim.write_text("precious")
    (run / ".report.html.tmp").symlink_to(victim)
    store.write_report(out, "<html>new</html>")
    assert victim.read_text() == "precious"
    assert (out / "report.html").read_text() == "<html>new</html>"


def test_check_not_locked_held_lock_raises_locked_error(tmp_path, publish):
    out = tmp_path / "o"
    publish(out, [_result("a")])
    with store.output_lock(out):
        with pytest.raises(OutputLockedError):
            store.check_not_locked(out)
    store.check_not_locked(out)
