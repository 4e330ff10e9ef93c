"""Prefect wiring: discover → read & validate → analyze → extract → write.

The flow is thin: every task wraps a pure function of the package, paths
arrive as parameters, only the I/O tasks retry, and all writing goes through
`pipeline.store`.  Analysis runs in batches; with `workers > 1` the batches go
to a process pool (or a Dask cluster) whose workers each build the Stanza
pipeline once.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from . import extract, incremental, ingest, store
from .errors import PipelineError
from .nlp import analyzer as nlp
from .types import DocumentMetadata, DocumentResult, RawDocument, SourceFile, StageSpec, WorkItem
from .worker import analyze_and_extract, init_worker

DEFAULT_BATCH_SIZE = 16
REUSE_WINDOW = 256

STAGES = (
    StageSpec("ingest", frozenset(), frozenset({"text", "language", "sha256"})),
    StageSpec("analyze", frozenset({"text"}), frozenset(nlp.Analyzer.provides)),
    extract.STAGE,
    store.STAGE,
)


# --------------------------------------------------------------------------- tasks

def _retry_on_io_error(task, task_run, state) -> bool:
    """Retry only transient I/O failures, never a user error such as a missing folder."""
    try:
        state.result()
    except PipelineError:
        return False
    except OSError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


@task(name="discover", retries=2, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error)
def discover_task(raw_dir: str) -> list[SourceFile]:
    return ingest.discover(Path(raw_dir))


@task(name="read-and-validate", retries=2, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error)
def read_task(sources: list[SourceFile], max_bytes: int, known_languages: dict[str, str]) -> list[RawDocument]:
    return [ingest.read_document(src, max_bytes, known_languages) for src in sources]


# One task per batch, not one per stage: a batch crosses to a worker process (or a Dask
# worker) and back once, and no analysis becomes another task's input, which Prefect
# would walk object by object (about 10 % of a run's time at 16 documents a batch).
# No cache policy: the inputs are whole texts, and hashing them buys nothing here.
@task(name="analyze-and-extract", cache_policy=NO_CACHE)
def analyze_batch_task(docs: list[RawDocument], models_dir: str, model_choice: str, threads: int | None,
                       pool: Executor | None = None) -> list[DocumentResult]:
    if pool is not None:
        return pool.submit(analyze_and_extract, docs, models_dir, model_choice, threads).result()
    return analyze_and_extract(docs, models_dir, model_choice, threads)


# --------------------------------------------------------------------------- the flow

def _batches(items: Sequence, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def _reused_results(batch: list[WorkItem], previous: store.PreviousOutputs, model: str) -> list[DocumentResult]:
    """Results for unchanged documents, rebuilt from the previous run's tables."""
    ids = [w.raw.doc_id for w in batch]
    tokens = previous.tokens_for(ids)
    extractions = previous.extractions_for([w.raw.doc_id for w in batch if w.action == "reuse_all"])
    out = []
    for w in batch:
        prev = previous.by_id[w.raw.doc_id]
        analysis = store.analysis_from_tokens(w.raw.doc_id, w.raw.text or "", model, tokens.get(w.raw.doc_id, _empty_tokens()))
        if w.action == "reuse_all":
            meta = DocumentMetadata(prev.get("region"), prev.get("decided_on"), prev.get("decided_by"), prev.get("period"))
            out.append(DocumentResult(w.raw, analysis, meta, tuple(extractions.get(w.raw.doc_id, ()))))
        else:
            meta, ext = extract.get_extractor().extract(analysis)
            out.append(DocumentResult(w.raw, analysis, meta, ext))
    return out


def _empty_tokens():
    import pandas as pd

    return pd.DataFrame({c: [] for c in ("doc_id", "sentence", "token", "text", "lemma", "upos", "start", "end")})


@flow(name="ingest-strategies", log_prints=True)
def ingest_strategies(
    raw_dir: str = "raw_texts",
    out_dir: str = "outputs",
    models_dir: str = "models",
    model: str = "auto",
    max_bytes: int = ingest.DEFAULT_MAX_BYTES,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    threads_per_worker: int | None = None,
    wait_for_lock: float = 0.0,
    show_progress: bool = False,
) -> dict:
    """Process every text in `raw_dir` that is new or changed; publish all tables to `out_dir`."""
    logger = get_run_logger()
    started = time.monotonic()
    incremental.check_stages(STAGES)
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // max(1, workers))
    # Fails here, before any work, if no model is installed; builds no Stanza pipeline yet.
    # The same analyzer (same threads) is the one the batches use when they run in this process.
    model_name = nlp.get_analyzer(models_dir, model, threads).model_name
    rules_version = extract.rules_version()

    sources = discover_task(raw_dir)
    with store.open_run(out_dir, wait_for_lock) as (writer, previous), \
            _worker_pool(workers, models_dir, model, threads) as pool:
        known_languages = previous.languages_by_sha256()
        raws: list[RawDocument] = []
        for chunk in _batches(sources, 64):
            raws.extend(read_task(chunk, max_bytes, known_languages))
        by_id = {r.doc_id: r for r in raws}

        work = incremental.plan(raws, previous.by_id, model_name, rules_version)
        planned = {w.raw.doc_id for w in work}
        to_analyze = [w for w in work if w.action == "analyze"]
        logger.info("%d files: %d to analyze, %d unchanged", len(raws), len(to_analyze), len(work) - len(to_analyze))

        now = datetime.now(timezone.utc)
        # Analysis batches are submitted ahead (bounded) and written strictly in doc_id order,
        # so output row order never depends on which worker finishes first.
        pending: deque = deque()
        analyze_batches = iter(list(_batches(to_analyze, batch_size)))
        in_flight_limit = max(2, 2 * workers)

        def submit_next() -> bool:
            batch = next(analyze_batches, None)
            if batch is None:
                return False
            docs = [w.raw for w in batch]
            pending.append((docs, analyze_batch_task.submit(docs, models_dir, model, threads, pool)))
            return True

        while len(pending) < in_flight_limit and submit_next():
            pass
        ready: dict[str, DocumentResult] = {}
        progress = _progress(show_progress, len(work))
        # Unchanged documents are read back from the previous run a window at a time: one
        # filtered parquet scan per window, with memory bounded by the window, not the corpus.
        for window in _batches(work, max(batch_size, REUSE_WINDOW)):
            reused = [w for w in window if w.action != "analyze"]
            for result in _reused_results(reused, previous, model_name) if reused else []:
                ready[result.raw.doc_id] = result
            for w in window:
                while w.raw.doc_id not in ready:
                    docs, fut = pending.popleft()
                    for result in fut.result():
                        ready[result.raw.doc_id] = result
                    submit_next()
                result = ready.pop(w.raw.doc_id)
                stamp = now if w.action == "analyze" else previous.by_id[w.raw.doc_id].get("processed_at") or now
                writer.add(result, stamp, rules_version)
                writer.counts["analyzed" if w.action == "analyze" else "reused_analysis"] += 1
                if w.reason in ("model", "rules"):  # redone because the model, the rules or their code changed
                    key = "reanalyzed_model_or_code" if w.reason == "model" else "reextracted_rules_or_code"
                    writer.counts[key] = writer.counts.get(key, 0) + 1
                progress.advance()
        progress.close()
        for raw in sorted(raws, key=lambda r: r.doc_id):
            if raw.doc_id not in planned:
                writer.add(DocumentResult(raw), now, None)

        removed = sorted(set(previous.by_id) - set(by_id))
        info = {
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "raw_dir": str(raw_dir), "model": model_name, "rules_version": rules_version,
            "removed": removed, "seconds": round(time.monotonic() - started, 2),
        }
        report_html = _render_report(writer, previous, info, logger)
        final = writer.commit(info, report_html)
    summary = {**store.run_info(final), "out_dir": str(out_dir)}
    logger.info("run %s: %s", summary["run_id"], summary["counts"])
    return summary


def _render_report(writer: store.RunWriter, previous: store.PreviousOutputs, info: dict, logger) -> str | None:
    """The review page; a failure here is logged and never costs the run its data."""
    try:
        from . import report

        current = writer.staged_results()
        prev = store.read_results(previous.run_dir) if previous.run_dir else None
        return report.render_report(current, prev, {**info, "run_id": writer.run_id,
                                                    "counts": writer.counts, "extractions": writer.field_counts})
    except Exception as err:  # noqa: BLE001
        logger.error("report could not be rendered: %s", err)
        return None


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self._bar = None
        if enabled and total:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("documents", total=total)

    def advance(self) -> None:
        if self._bar:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar:
            self._bar.stop()


def _worker_pool(workers: int, models_dir: str, model: str, threads: int):
    """Worker processes for the analysis when the flow's own runner is threads and `workers` > 1.

    Each worker builds the model once (the initializer).  The batches' Prefect
    tasks stay in the flow's thread pool and hand the work over, so a task
    costs what it costs with one worker; Prefect's process-pool runner spent
    about 5 s starting and 1 s per batch more than this on the 2-core machine.
    A Dask runner brings its own workers: no pool then.
    """
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    if workers <= 1 or not isinstance(runner, ThreadPoolTaskRunner):
        return nullcontext(None)
    # spawn, not fork: a forked copy of a process that holds torch's thread pools can hang.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=init_worker, initargs=(str(models_dir), model, threads))


def task_runner_for(workers: int, models_dir: str, model: str, threads: int | None, dask_address: str | None = None,
                    dask_local: bool = False):
    """Pick the task runner: Dask when asked, else threads (a process pool comes with the flow)."""
    threads = threads or max(1, (os.cpu_count() or 1) // max(1, workers))
    if dask_address or dask_local:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "host": "127.0.0.1", "dashboard_address": None})
    # With workers > 1 the flow starts its own process pool (see `_worker_pool`); the
    # threads only wait on it, one per worker.
    return ThreadPoolTaskRunner(max_workers=max(1, workers))


def run_pipeline(raw_dir: str | Path = "raw_texts", out_dir: str | Path = "outputs", models_dir: str | Path = "models",
                 model: str = "auto", max_bytes: int = ingest.DEFAULT_MAX_BYTES, batch_size: int = DEFAULT_BATCH_SIZE,
                 workers: int = 1, threads_per_worker: int | None = None, dask_address: str | None = None,
                 dask_local: bool = False, wait_for_lock: float = 0.0, show_progress: bool = False) -> dict:
    """Run the flow once with the chosen task runner; returns the run summary."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    runner = task_runner_for(workers, str(models_dir), model, threads_per_worker, dask_address, dask_local)
    configured = ingest_strategies.with_options(task_runner=runner)
    updates = {}
    if get_current_settings().api.url is None:
        # Heartbeats let a Prefect server mark a crashed run; the ephemeral server lives and dies with
        # this process, and the heartbeat thread (1 s sleeps, joined at the end) adds up to a second per run.
        updates[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] = None
    with temporary_settings(updates=updates):
        return configured(raw_dir=str(raw_dir), out_dir=str(out_dir), models_dir=str(models_dir), model=model,
                          max_bytes=max_bytes, batch_size=batch_size, workers=workers,
                          threads_per_worker=threads_per_worker, wait_for_lock=wait_for_lock,
                          show_progress=show_progress)
