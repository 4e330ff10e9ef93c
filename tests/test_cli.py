"""The command line's contract: one line per failure, documented exit codes, checks before Prefect starts."""
from __future__ import annotations

import errno
import os
import signal
import sys
import time

import pytest

from pipeline import cli, flows, preflight, store
from pipeline.errors import ConfigError, ModelNotFoundError, OutputError, OutputLockedError
from pipeline.settings import RunSettings


def _main(monkeypatch, capsys, *argv: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["pipeline", *argv])
    try:
        cli.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.err.strip()


@pytest.mark.parametrize("argv", [["rn"], ["run", "--workrs", "2"], ["run", "--workers", "abc"], ["evaluate"],
                                  ["run", "--max-bytes", "-5"], ["run", "--batch-size", "0"],
                                  ["run", "--batch-size", "-1"], ["run", "--threads-per-worker", "-1"]])
def test_main_usage_error_one_line_exit_2(monkeypatch, capsys, argv):
    monkeypatch.setattr(flows, "run_pipeline", lambda settings: pytest.fail("must fail before running"))
    code, err = _main(monkeypatch, capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err


def test_main_version_prints_version_exit_0(monkeypatch, capsys):
    code, _ = _main(monkeypatch, capsys, "--version")
    assert code == 0
    monkeypatch.setattr(sys, "argv", ["pipeline", "--version"])
    cli.main()
    assert capsys.readouterr().out.startswith("pipeline ")


def _fake_run(tmp_path, monkeypatch, behaviour):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setattr(preflight, "preflight", lambda settings: settings)
    monkeypatch.setattr(flows, "run_pipeline", behaviour)
    return ["run", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out")]


def test_main_ctrl_c_during_run_exit_130_one_line(tmp_path, monkeypatch, capsys):
    def interrupted(settings):
        raise KeyboardInterrupt

    code, err = _main(monkeypatch, capsys, *_fake_run(tmp_path, monkeypatch, interrupted))
    assert code == 130
    assert err.startswith("error: interrupted") and "previous tables" in err and "\n" not in err


def test_main_sigterm_during_run_exit_143_one_line(tmp_path, monkeypatch, capsys):
    def terminated(settings):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        pytest.fail("SIGTERM must stop the run")

    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        code, err = _main(monkeypatch, capsys, *_fake_run(tmp_path, monkeypatch, terminated))
    finally:
        signal.signal(signal.SIGTERM, previous)
        cli._SIGNALS.clear()
    assert code == 143 and err.startswith("error: terminated") and "\n" not in err


def test_main_disk_full_one_line_exit_4(tmp_path, monkeypatch, capsys):
    def full(settings):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "runs" / "x"))

    code, err = _main(monkeypatch, capsys, *_fake_run(tmp_path, monkeypatch, full))
    assert code == 4 and "no space left" in err and "previous run stays published" in err and "\n" not in err


# ---------------------------------------------------------------- preflight: before Prefect starts

@pytest.fixture
def no_flow(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("the flow must not start")

    monkeypatch.setattr(flows.ingest_strategies, "with_options", started)


def test_run_pipeline_missing_raw_dir_fails_before_flow(tmp_path, no_flow):
    with pytest.raises(ConfigError, match="--raw-dir"):
        flows.run_pipeline(RunSettings(tmp_path / "nope", tmp_path / "out"))


def test_run_pipeline_locked_output_fails_before_flow(tmp_path, no_flow):
    (tmp_path / "raw").mkdir()
    out = tmp_path / "out"
    with store.output_lock(out):
        started = time.monotonic()
        with pytest.raises(OutputLockedError, match="--wait"):
            flows.run_pipeline(RunSettings(tmp_path / "raw", out))
        assert time.monotonic() - started < 2


def test_run_pipeline_no_model_error_names_models_dir_option(tmp_path, no_flow):
    (tmp_path / "raw").mkdir()
    with pytest.raises(ModelNotFoundError, match="--models-dir"):
        flows.run_pipeline(RunSettings(tmp_path / "raw", tmp_path / "out", tmp_path / "models"))


def test_run_pipeline_out_dir_containing_raw_dir_refused_inputs_kept(tmp_path, no_flow):
    raw = tmp_path / "r"
    (raw / "runs" / "2023").mkdir(parents=True)
    (raw / "runs" / "2023" / "a.txt").write_text("Teksti.")
    for out in (raw, tmp_path):
        with pytest.raises((ConfigError, OutputError), match="contains the raw folder"):
            flows.run_pipeline(RunSettings(raw, out))
    assert (raw / "runs" / "2023" / "a.txt").read_text() == "Teksti."


def test_preflight_workers_over_cores_capped_with_note(tmp_path, caplog):
    (tmp_path / "raw").mkdir()
    settings = preflight.preflight(RunSettings(tmp_path / "raw", tmp_path / "out", workers=64))
    assert settings.workers == (os.cpu_count() or 1)
    assert "capped" in caplog.text


def test_run_settings_zero_batch_size_config_error():
    with pytest.raises(ConfigError, match="--batch-size"):
        RunSettings(batch_size=0)


@pytest.mark.model
def test_analyzer_truncated_model_file_one_line_model_error(tmp_path):
    import shutil

    from pipeline.nlp.analyzer import Analyzer

    models = tmp_path / "models"
    shutil.copytree(flows.Path(__file__).resolve().parents[1] / "models" / "compact", models / "compact")
    pos = models / "compact" / "fi" / "tokenize" / "compact.pt"
    pos.write_bytes(pos.read_bytes()[:1000])
    with pytest.raises(ModelNotFoundError, match="truncated or damaged") as err:
        Analyzer(models, "compact", 1).load()
    assert "\n" not in str(err.value) and "--models-dir" in str(err.value)


def test_changes_and_problems_new_files_and_rejected_ones_named_with_reason(tmp_path):
    from datetime import datetime, timezone

    from pipeline import store
    from pipeline.cli import _changes_and_problems
    from pipeline.types import DocumentResult, RawDocument

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.open_run(tmp_path) as (writer, _previous):
        writer.add(DocumentResult(RawDocument("a", "a.txt", "1" * 64, "ok", text="Teksti.")), now, "r")
        writer.add(DocumentResult(RawDocument("b", "sub/b.txt", "2" * 64, "rejected", "empty file")), now, None)
        final = writer.commit({"model": "m"})
    lines = _changes_and_problems(tmp_path, final.name)
    assert lines == ["new (2):", "  a", "  b", "rejected (1):", "  sub/b.txt: empty file"]


@pytest.mark.model
def test_models_info_readable_summary_names_model_id_and_json_keeps_card(monkeypatch, capsys):
    import json as json_module

    from pipeline.nlp.analyzer import get_analyzer

    monkeypatch.setattr(sys, "argv", ["pipeline", "models", "info"])
    cli.main()
    summary = capsys.readouterr().out
    assert summary.startswith(f"model:      {get_analyzer('models').model_name}  (as written to documents.model)")
    assert "never used: UD_Finnish-TDT/fi_tdt-ud-test.conllu" in summary and "{" not in summary
    monkeypatch.setattr(sys, "argv", ["pipeline", "models", "info", "--json"])
    cli.main()
    assert json_module.loads(capsys.readouterr().out)["name"] == "fi-compact"


def test_main_bench_sources_missing_folder_one_line_exit_2_before_measuring(tmp_path, monkeypatch, capsys):
    import pipeline.bench

    monkeypatch.setattr(pipeline.bench, "run_benchmark", lambda *a, **k: pytest.fail("must fail before measuring"))
    code, err = _main(monkeypatch, capsys, "bench", "--sources", f"{tmp_path},{tmp_path / 'typo'}")
    assert code == 2
    assert err == f"error: --sources: no such folder: {tmp_path / 'typo'}"


def test_main_bench_sources_given_corpus_built_from_them_only(tmp_path, monkeypatch, capsys):
    import pipeline.bench

    seen = {}

    def fake_benchmark(*args, sources, **kwargs):
        seen["sources"] = list(sources)
        return {"machine": {}, "settings": {}, "targets": {}}

    monkeypatch.setattr(pipeline.bench, "run_benchmark", fake_benchmark)
    monkeypatch.setattr(pipeline.bench, "markdown_table", lambda results, command: "table")
    code, _ = _main(monkeypatch, capsys, "bench", "--sources", str(tmp_path), "--out", str(tmp_path / "r.json"))
    assert code == 0 and seen["sources"] == [tmp_path]
