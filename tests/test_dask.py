"""The flow on worker processes (its own pool, or a Dask cluster) gives the same tables as in one process."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.settings import RunSettings

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SAMPLES = ROOT / "raw_texts"

# Columns that legitimately differ between two runs.
VOLATILE = {"processed_at", "run_id", "committed_at", "previous_run"}  # when and in which run, not what
SORT_KEYS = {"documents": ["doc_id"], "tokens": ["doc_id", "token"],
             "extractions": ["doc_id", "field", "item"], "strategies": ["doc_id"],
             "values": ["organisation_id", "value"], "history": ["object", "doc_id", "field", "normalized"]}


def _tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    from pipeline import store

    tables = store.load(out_dir)
    out = {}
    for name, frame in tables.items():
        frame = frame.drop(columns=[c for c in VOLATILE if c in frame.columns])
        out[name] = frame.sort_values(SORT_KEYS[name]).reset_index(drop=True)
    return out


def _loaded_analyzers() -> list[tuple[str, int]]:
    """Runs on each Dask worker: the analyzers this process holds and its Stanza pipeline's id."""
    from pipeline.nlp import analyzer

    return [(repr(key), id(a._pipeline)) for key, a in analyzer._ANALYZERS.items() if a._pipeline is not None]


def test_process_pool_run_equals_single_process_run(tmp_path, monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    import pipeline.flows as flows

    submitted = []

    class CountingPool(ProcessPoolExecutor):
        """The flow's pool, counting the batches handed to its worker processes."""

        def submit(self, fn, /, *args, **kwargs):
            submitted.append(fn.__name__)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(flows, "ProcessPoolExecutor", CountingPool)
    single = flows.run_pipeline(RunSettings(SAMPLES, tmp_path / "single", MODELS, workers=1))
    assert submitted == []  # one worker: analysis in the flow's own process
    # batch_size=1: one batch per document, so both worker processes get work.
    pooled = flows.run_pipeline(RunSettings(SAMPLES, tmp_path / "pooled", MODELS, batch_size=1, workers=2))
    assert submitted == ["analyze_and_extract"] * single["counts"]["analyzed"]
    assert pooled["counts"] == single["counts"]
    expected, got = _tables(tmp_path / "single"), _tables(tmp_path / "pooled")
    for name in ("documents", "tokens", "extractions", "strategies"):
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    assert len(got["extractions"]) > 0


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


def test_dask_run_equals_single_process_run(tmp_path, cluster):
    from pipeline.flows import run_pipeline

    local_cluster, client = cluster
    single = run_pipeline(RunSettings(SAMPLES, tmp_path / "single", MODELS, workers=1))
    # batch_size=1: one analysis task per document, so both workers get work.
    on_dask = run_pipeline(RunSettings(SAMPLES, tmp_path / "dask", MODELS, batch_size=1,
                           dask_address=local_cluster.scheduler_address))
    assert on_dask["counts"] == single["counts"]
    assert on_dask["counts"]["analyzed"] == len(list(SAMPLES.glob("*.txt")))

    expected, got = _tables(tmp_path / "single"), _tables(tmp_path / "dask")
    for name in ("documents", "tokens", "extractions", "strategies"):
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    assert len(got["tokens"]) > 0 and len(got["extractions"]) > 0

    # The analysis ran on the workers, each building the Stanza pipeline at most once …
    first = client.run(_loaded_analyzers)
    assert sum(len(v) for v in first.values()) >= 1, f"no worker loaded the model: {first}"
    assert all(len(v) <= 1 for v in first.values()), f"a worker holds several models: {first}"

    # … and a second run (new output folder, so everything is analyzed again) reuses them.
    again = run_pipeline(RunSettings(SAMPLES, tmp_path / "dask2", MODELS, batch_size=1,
                         dask_address=local_cluster.scheduler_address))
    assert again["counts"]["analyzed"] == on_dask["counts"]["analyzed"]
    second = client.run(_loaded_analyzers)
    for worker, loaded in first.items():
        if loaded:
            assert second[worker] == loaded, f"{worker} rebuilt its Stanza pipeline: {loaded} -> {second[worker]}"
    assert all(len(v) <= 1 for v in second.values())
