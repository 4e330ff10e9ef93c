"""Prefect wiring: discover → read & validate → analyze → extract → write.

The flow is thin: tasks wrap the package's functions, paths arrive as
parameters, only I/O that can fail transiently retries, and the run's work
itself (what to recompute, ordered writes) is `runner.process_run`.  All
writing goes through `pipeline.store`.  With `workers > 1` analysis batches go
to a process pool (or a Dask cluster) whose workers each build the model once.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from . import extract, ingest, invisible, language, prefect_server, runner, stages, store
from .preflight import check_folders, preflight
from .errors import PipelineError
from .nlp import analyzer as nlp
from .defaults import BATCH_SIZE, MAX_BYTES
from .settings import RunSettings
from .types import DocumentResult, RawDocument, SourceFile
from .worker import analyze_and_extract, init_worker, limit_malloc_arenas

READ_CHUNK = 64  # files per read task: few tasks, and a retry re-reads little
# Seconds to wait for the run's own Prefect API server; a first start creates its database.
EPHEMERAL_START_TIMEOUT = 180.0


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


# Listing the folder is the one read whose failure fails the run: a transient error there
# (EIO, ESTALE on a network share) is raised as OSError and retried.
@task(name="discover", retries=2, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error)
def discover_task(raw_dir: str, out_dir: str | None = None, follow_links: bool = False) -> list[SourceFile]:
    # An output folder inside the raw folder is never read as input.
    return ingest.discover(Path(raw_dir), exclude=[Path(out_dir)] if out_dir else (),
                           allow_outside_links=follow_links)


# No retries: a file that cannot be read is an outcome (rejected, with its reason), not a
# failure, and the next scheduled run reads it again.
@task(name="read-and-validate")
def read_task(sources: list[SourceFile], max_bytes: int, known_languages: dict[str, str]) -> list[RawDocument]:
    return [ingest.read_document(src, max_bytes, known_languages) for src in sources]


# One task per batch, not one per stage: a batch crosses to a worker process (or a Dask
# worker) and back once, and no analysis becomes another task's input, which Prefect
# would walk object by object (about 10 % of a run's time at 16 documents a batch).
# No cache policy: the inputs are whole texts, and hashing them buys nothing here.
@task(name="analyze-and-extract", cache_policy=NO_CACHE)
def analyze_batch_task(docs: list[RawDocument], models_dir: str, model_choice: str, threads: int,
                       pool: Executor | None = None) -> list[DocumentResult]:
    if pool is not None:
        return pool.submit(analyze_and_extract, docs, models_dir, model_choice, threads).result()
    return analyze_and_extract(docs, models_dir, model_choice, threads)


# --------------------------------------------------------------------------- the flow

IN_FLIGHT_PER_WORKER = 2  # batches submitted ahead per worker: the next is queued while one runs


def batches_in_flight(workers: int) -> int:
    """How many batches `process_run` keeps submitted.

    With one worker the batches run in this process, in Prefect's thread pool, two at a time:
    measured against one at a time (100 documents, fresh processes, two runs each twice),
    2,379-2,461 vs 2,289-2,393 tokens/s; the Python parts of one overlap the other's torch.
    """
    return IN_FLIGHT_PER_WORKER * max(1, workers)


# What each step consumes and produces, read from the functions' signatures; checked when
# the flow starts (reused documents are rebuilt by the store as the same DocumentResult).
STAGES = (
    stages.Stage("discover", ingest.discover),
    stages.Stage("read-and-validate", ingest.read_document),
    stages.Stage("analyze-and-extract", analyze_and_extract),
    stages.Stage("write", store.RunWriter.add),
)


@flow(name="ingest-strategies", log_prints=True)
def ingest_strategies(
    raw_dir: str = "raw_texts",
    out_dir: str = "outputs",
    models_dir: str = "models",
    model: str = "auto",
    max_bytes: int = MAX_BYTES,
    batch_size: int = BATCH_SIZE,
    workers: int = 1,
    threads_per_worker: int | None = None,
    wait_for_lock: float = 0.0,
    show_progress: bool = False,
    reviews: str | None = None,
    follow_links: bool = False,
) -> dict:
    """Process every text in `raw_dir` that is new or changed; publish all tables to `out_dir`."""
    logger = get_run_logger()
    started = time.monotonic()
    stages.check(STAGES)
    settings = RunSettings(Path(raw_dir), Path(out_dir), Path(models_dir), model, max_bytes, batch_size, workers,
                           threads_per_worker, wait_for_lock=wait_for_lock, show_progress=show_progress,
                           reviews=Path(reviews) if reviews else None, follow_links=follow_links)
    check_folders(settings)
    threads = settings.threads
    # Fails here, before any work, if no model is installed; builds no Stanza pipeline yet.
    # The same analyzer (same threads) is the one the batches use when they run in this process.
    keys = runner.RunKeys(nlp.get_analyzer(models_dir, model, threads).model_name, extract.rules_version())

    sources = discover_task(raw_dir, out_dir, follow_links)
    with store.open_run(out_dir, wait_for_lock, settings.reviews, {"model": keys.model, "rules_version": keys.rules}) \
            as (writer, previous):
        known_languages = previous.languages_by_sha256()
        raws: list[RawDocument] = []
        for chunk in runner.batches(sources, READ_CHUNK):
            raws.extend(read_task(chunk, max_bytes, known_languages))
        readable = sum(1 for r in raws if r.status == "ok")
        progress = _progress(show_progress, readable)
        # The worker processes end with the analysis, before the tables are finished and the report
        # is rendered: that is the flow process's largest moment, and idle workers held about
        # 500 MB each through it.
        with _worker_pool(workers, models_dir, model, threads) as pool:
            work = runner.process_run(
                raws, previous, writer, keys,
                submit=lambda docs: analyze_batch_task.submit(docs, models_dir, model, threads, pool),
                # Built on first use: only documents whose stored analysis is reused under changed rules
                # are extracted here, and with worker processes this process would otherwise import spaCy
                # (and, through thinc, torch) for nothing: about 250 MB.
                extract=lambda analysis: invisible.extract_visible(extract.get_extractor().extract, analysis),
                batch_size=batch_size,
                in_flight=batches_in_flight(workers),
                now=datetime.now(timezone.utc), advance=progress.advance)
        progress.close()
        analyzed = sum(1 for w in work if w.action == "analyze")
        logger.info("%d files: %d analyzed, %d unchanged", len(raws), analyzed, len(work) - analyzed)
        info = {
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "raw_dir": str(raw_dir), "model": keys.model, "rules_version": keys.rules,
            "removed": sorted(set(previous.by_id) - {r.doc_id for r in raws}),
            "seconds": round(time.monotonic() - started, 2),
        }
        final = writer.commit(info, _render_report(writer, previous, info, logger))
    summary = {**store.run_info(final), "out_dir": str(out_dir)}
    logger.info("run %s: %s", summary["run_id"], summary["counts"])
    return summary


def _render_report(writer: store.RunWriter, previous: store.PreviousOutputs, info: dict, logger) -> str | None:
    """The review page; a failure here is logged and never costs the run its data."""
    try:
        from . import report

        current = writer.staged_results()
        prev = store.read_results(previous.run_dir) if previous.run_dir else None
        # The same run information run.json will hold, so `run` and `report` render the same page.
        run_info = {**info, "run_id": writer.run_id, "counts": writer.counts, "extractions": writer.field_counts,
                    "review": writer.review_counts()}
        return report.render_report(current, prev, run_info, reviews=writer.reviews)
    except Exception as err:  # noqa: BLE001
        logger.error("report could not be rendered: %s", err)
        return None


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self._bar = None
        if enabled and total:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            # Documents are counted as they are written, a batch at a time; the spinner and the
            # elapsed time show the run is alive while a batch is being analyzed.
            self._bar = Progress(SpinnerColumn(), "[progress.description]{task.description}", BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
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


def task_runner_for(settings: RunSettings):
    """Pick the task runner: Dask when asked, else threads (a process pool comes with the flow)."""
    if settings.dask_address or settings.dask_local:
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": settings.workers, "threads_per_worker": 1,
                                              "processes": True, "host": "127.0.0.1", "dashboard_address": None})
    # With workers > 1 the flow starts its own process pool (see `_worker_pool`); the
    # threads only wait on it, one per worker.
    return ThreadPoolTaskRunner(max_workers=max(1, settings.workers))


def _preload_in_background(settings: RunSettings) -> None:
    """Load what the run will need while its Prefect API server starts (a subprocess, about 4 s).

    Each would be loaded on first use anyway, in the flow's critical path once the server is up;
    loading them meanwhile overlaps the two waits.  The language identifier's model (read by the
    first read task), the model and extraction rules (only when the analysis runs in this
    process: one worker, no Dask), pandas and the report's template.
    """
    import threading

    in_process = settings.workers <= 1 and not settings.dask_address and not settings.dask_local

    def load() -> None:
        try:
            language.warm_up()
            if in_process:
                nlp.get_analyzer(settings.models_dir, settings.model, settings.threads).load()
                extract.get_extractor()
            # The writer needs it even in a first run: pyarrow imports it to check whether the rows
            # it converts are pandas objects.
            import pandas  # noqa: F401

            from . import report

            report.warm_up()
        except Exception:  # noqa: BLE001 - first use loads each again and reports the error
            pass

    threading.Thread(target=load, name="preload", daemon=True).start()


def run_pipeline(settings: RunSettings) -> dict:
    """Run the flow once with the chosen task runner; returns the run summary."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    settings = preflight(settings)
    limit_malloc_arenas()  # before the preload thread and the task runner's threads allocate

    configured = ingest_strategies.with_options(task_runner=task_runner_for(settings))
    api: contextlib.AbstractContextManager = nullcontext()
    if prefect_server.configured_api_url():
        prefect_server.stop_run_server()  # launched by the CLI before the profile could be read
    else:
        # No API of the user's: the flow records to this process's own ephemeral server (started
        # already by `python -m pipeline run`, which launches it before importing this module).
        server = prefect_server.run_api_server()
        _preload_in_background(settings)
        server.wait_until_healthy(EPHEMERAL_START_TIMEOUT)
        # Heartbeats let a Prefect server mark a crashed run; this server lives and dies with the
        # process, and the heartbeat thread (1 s sleeps, joined at the end) adds up to a second per run.
        # Dask workers (processes) report there too, through the environment.
        api = prefect_server.using_api(server.api_url, {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with api:
        return configured(raw_dir=str(settings.raw_dir), out_dir=str(settings.out_dir),
                          models_dir=str(settings.models_dir), model=settings.model, max_bytes=settings.max_bytes,
                          batch_size=settings.batch_size, workers=settings.workers,
                          threads_per_worker=settings.threads_per_worker, wait_for_lock=settings.wait_for_lock,
                          show_progress=settings.show_progress, follow_links=settings.follow_links,
                          reviews=str(settings.reviews) if settings.reviews else None)
