"""A run over unchanged input starts nothing slow and leaves the output folder as it is."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from pipeline import store
from pipeline.settings import RunSettings
from pipeline.unchanged import check_unchanged

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    from pipeline.flows import run_pipeline

    base = tmp_path_factory.mktemp("unchanged")
    raw, out = base / "raw", base / "out"
    shutil.copytree(REPO / "raw_texts", raw)
    (raw / "empty.txt").write_bytes(b"")  # a rejected file is part of the state too
    run_pipeline(RunSettings(raw, out, REPO / "models"))
    return raw, out


def _copy(published, tmp_path):
    raw, out = published
    shutil.copytree(raw, tmp_path / "raw")
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return RunSettings(tmp_path / "raw", tmp_path / "out", REPO / "models")


def test_check_unchanged_same_files_returns_published_run(published, tmp_path):
    settings = _copy(published, tmp_path)
    found = check_unchanged(settings)
    assert found is not None and found.run_id == store.resolve_run(settings.out_dir).name and found.documents == 3


@pytest.mark.parametrize("change", ["edit", "add", "remove", "fix_rejected"])
def test_check_unchanged_any_file_change_needs_a_run(published, tmp_path, change):
    settings = _copy(published, tmp_path)
    sample = sorted(p for p in settings.raw_dir.glob("*.txt") if p.stat().st_size)[0]
    if change == "edit":
        sample.write_text(sample.read_text(encoding="utf-8") + "\nUusi kappale.", encoding="utf-8")
    elif change == "add":
        shutil.copy(sample, settings.raw_dir / "copy-of-sample.txt")
    elif change == "remove":
        sample.unlink()
    else:
        (settings.raw_dir / "empty.txt").write_text("Arvomme ovat rohkeus ja avoimuus.", encoding="utf-8")
    assert check_unchanged(settings) is None


def test_check_unchanged_rules_or_code_changed_needs_a_run(published, tmp_path, monkeypatch):
    import pipeline.extract as extract

    settings = _copy(published, tmp_path)
    monkeypatch.setattr(extract, "rules_version", lambda rules_dir=None: "changed-rules")
    assert check_unchanged(settings) is None


def test_check_unchanged_no_published_run_needs_a_run(tmp_path):
    shutil.copytree(REPO / "raw_texts", tmp_path / "raw")
    assert check_unchanged(RunSettings(tmp_path / "raw", tmp_path / "out", REPO / "models")) is None


def test_cli_run_unchanged_input_imports_nothing_slow_and_keeps_outputs(published, tmp_path):
    settings = _copy(published, tmp_path)
    before = store.resolve_run(settings.out_dir)
    probe = ("import sys; from pipeline.cli import main; sys.argv = sys.argv[1:]\n"
             "try:\n    main()\nfinally:\n"
             "    print('loaded:', sorted(m for m in ('prefect', 'spacy', 'stanza', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, "pipeline", "run", "--raw-dir", str(settings.raw_dir),
                           "--out-dir", str(settings.out_dir), "--models-dir", str(REPO / "models")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"No changes: the 3 files in {settings.raw_dir} are as in run {before.name}" in done.stdout
    assert "loaded: []" in done.stdout
    assert store.resolve_run(settings.out_dir) == before


def test_check_unchanged_decision_since_the_run_needs_a_run(published, tmp_path):
    from pipeline.review.decisions import DecisionStore, NewDecision, default_reviews_path, text_sha256

    settings = _copy(published, tmp_path)
    docs = store.load(settings.out_dir)["documents"]
    doc = docs[docs.status == "ok"].iloc[0]
    DecisionStore(default_reviews_path(settings.out_dir)).add(
        NewDecision(doc.doc_id, text_sha256(doc.text), "reviewed"), reviewer="test")
    assert check_unchanged(settings) is None
