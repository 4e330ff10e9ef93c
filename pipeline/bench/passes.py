"""What runs inside a benchmark child process: one timed pass of each kind, and the child's main loop.

A child is started as ``python -m pipeline.bench JSON`` (see `processes`); `serve_child`
reads its role from that JSON and answers on stdout, one JSON object a line.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from .corpus import finnish_texts
from ..settings import RunSettings

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, value) of calling `fn` once."""
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry calls from an offline box


def start_prefect_api() -> None:
    """Start the process's Prefect API server for runs now, so a timed run does not include it."""
    from .. import prefect_server

    if not prefect_server.configured_api_url():
        prefect_server.run_api_server().wait_until_healthy()


def raw_stanza_pass(analyzer, texts: Sequence[str], batch_size: int) -> dict:
    """One pass of Stanza alone (`Analyzer.stanza_documents`) over `texts`, batched like the pipeline."""
    t0 = time.perf_counter()
    tokens = 0
    for i in range(0, len(texts), batch_size):
        for doc in analyzer.stanza_documents(list(texts[i:i + batch_size])):
            tokens += sum(len(s.tokens) for s in doc.sentences)
    return {"seconds": time.perf_counter() - t0, "tokens": tokens}


def _n_tokens(out_dir: Path | str) -> int:
    from .. import store

    return int(store.load(out_dir, ("documents",))["documents"]["n_tokens"].sum())


def pipeline_pass(raw_dir: Path | str, out: Path | str, batch_size: int, models_dir: str, model: str,
                  threads_per_worker: int | None = None, rerun: bool = True) -> dict:
    """`run_pipeline` into a fresh folder, then (optionally) once more, unchanged, into the same folder."""
    from ..flows import run_pipeline

    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    settings = RunSettings(Path(raw_dir), out, Path(models_dir), model, batch_size=batch_size, workers=1,
                           threads_per_worker=threads_per_worker)
    t_first, _ = timed(lambda: run_pipeline(settings))
    row: dict = {"seconds": t_first, "tokens": _n_tokens(out)}
    if rerun:
        try:
            t_again, summary = timed(lambda: run_pipeline(settings))
        except Exception as err:  # noqa: BLE001 - a failing re-run is a result to report, not a crash
            row["rerun_error"] = f"{type(err).__name__}: {err}"
        else:
            row["rerun_seconds"] = t_again
            row["rerun_counts"] = summary.get("counts", {})
    shutil.rmtree(out, ignore_errors=True)
    return row


def serve_child(args: dict) -> None:
    """Entry point of every benchmark child (`python -m pipeline.bench JSON`); answers on stdout."""
    import resource

    answer = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed (Prefect, Stanza) goes to the child's log, not into the answers
    sys.stdout = sys.stderr
    quiet_prefect()

    def reply(obj: dict) -> None:
        answer.write(json.dumps(obj) + "\n")

    role = args["role"]
    if role == "once":
        from ..flows import run_pipeline

        start_prefect_api()
        t, _ = timed(lambda: run_pipeline(RunSettings(
            Path(args["raw_dir"]), Path(args["out_dir"]), Path(args["models_dir"]), args["model"],
            batch_size=args["batch_size"], workers=args["workers"], threads_per_worker=args.get("threads_per_worker"))))
        from .. import store

        docs = store.load(args["out_dir"], ("documents",))["documents"]
        maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
        reply({"run_s": round(t, 3), "tokens": int(docs["n_tokens"].sum()), "documents": int(len(docs)),
               "maxrss_mb": round(maxrss_kb / 1024, 1)})
        return

    if role == "raw":
        from ..nlp import analyzer as nlp

        texts = finnish_texts(args["raw_dir"])
        if "part" in args:  # one of n processes sharing the texts: every n-th, from the k-th
            k, n = args["part"]
            texts = texts[k::n]
        analyzer = nlp.get_analyzer(args["models_dir"], args["model"], args["threads"])
        load_s, _ = timed(analyzer.load)
        analyzer.stanza_documents(texts[:2])  # first call: allocations, lazy initialisation
        reply({"ready": True, "model_load_s": round(load_s, 3), "documents": len(texts)})
        serve = lambda cmd: raw_stanza_pass(analyzer, texts, args["batch_size"])  # noqa: E731
    elif role == "pipeline":
        from ..flows import run_pipeline

        cold, _ = timed(lambda: run_pipeline(RunSettings(
            Path(args["warm_dir"]), Path(args["warm_out"]), Path(args["models_dir"]), args["model"],
            batch_size=args["batch_size"], workers=1, threads_per_worker=args.get("threads_per_worker"))))
        reply({"ready": True, "cold_start_s": round(cold, 3)})
        serve = lambda cmd: pipeline_pass(args["raw_dir"], args["out_dir"], args["batch_size"],  # noqa: E731
                                          args["models_dir"], args["model"], args.get("threads_per_worker"))
    else:
        raise ValueError(f"unknown benchmark child role {role!r}")
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("op") == "quit":
            break
        reply(serve(cmd))
