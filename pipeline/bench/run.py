"""The whole benchmark: build the corpora, drive the child processes, collect the results."""
from __future__ import annotations

import json
import os
import platform
import time
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .. import defaults
from .corpus import DEFAULT_SOURCES, build_corpus, finnish_texts, source_texts
from .passes import quiet_prefect
from .processes import Server, single_run
from .startup import cli_run, cold_runs, noop_runs, spacy_missing, spacy_pass_child
from .summary import TARGETS, _median, summarize_throughput, summarize_workers


def machine_info(models_dir: str, model: str) -> dict:
    import psutil

    info = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for name in ("torch", "stanza", "prefect", "dask", "distributed", "pyarrow"):
        try:
            info[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001
            info[name] = None
    from ..nlp.analyzer import get_analyzer

    info["model"] = get_analyzer(models_dir, model).model_name  # as recorded in documents.model; not loaded
    info["load_average"] = list(os.getloadavg())
    return info


def spacy_beside_analyzer(texts: Sequence[str], work: Path, repeats: int, common: dict, results: dict,
                          log: Callable[[str], None]) -> dict:
    """spaCy's model with n_process=2 against the analyzer with two processes of one torch thread each
    (every other text to each; the wall time from sending both their passes to the later answer):
    like with like, each using both cores as the pipeline does with `--workers 2`.  Their passes
    alternate, so a change in background load hits both.  The one-process figure (torch threads 2,
    `raw_stanza`) is compared too."""
    texts_file = work / "spacy-texts.json"
    texts_file.write_text(json.dumps(list(texts), ensure_ascii=False), encoding="utf-8")
    halves = [Server("raw", {**common, "threads": 1, "part": [k, 2]}, work / f"raw-half-{k}.log") for k in (0, 1)]
    spacy_rows, analyzer_rows = [], []
    try:
        for r in range(repeats):
            spacy_rows.append(spacy_pass_child(texts_file, 2))
            t0 = time.perf_counter()
            for half in halves:
                half.send(op="pass")
            tokens = sum(half.receive()["tokens"] for half in halves)
            analyzer_rows.append({"seconds": time.perf_counter() - t0, "tokens": tokens})
            log(f"  [{r + 1}/{repeats}] spaCy {spacy_rows[-1]['seconds']:.1f} s, "
                f"analyzer (2 processes) {analyzer_rows[-1]['seconds']:.1f} s")
    finally:
        for half in halves:
            half.close()
    spacy_tps = _median([row["tokens"] / row["seconds"] for row in spacy_rows])
    analyzer_tps = _median([row["tokens"] / row["seconds"] for row in analyzer_rows])
    row = {"tokens": spacy_rows[-1]["tokens"], "seconds": [round(x["seconds"], 3) for x in spacy_rows],
           "tokens_per_s": round(spacy_tps, 1), "pipes": spacy_rows[-1]["pipes"], "n_process": 2,
           "analyzer_two_processes": {"tokens": analyzer_rows[-1]["tokens"], "threads": 1,
                                      "seconds": [round(x["seconds"], 3) for x in analyzer_rows],
                                      "tokens_per_s": round(analyzer_tps, 1)},
           "analyzer_ratio": round(analyzer_tps / spacy_tps, 3),
           "analyzer_one_process_ratio": round(results["raw_stanza"]["tokens_per_s"] / spacy_tps, 3)}
    log(f"  spaCy {spacy_tps:.0f} tokens/s; analyzer {analyzer_tps:.0f} tokens/s in 2 processes = "
        f"{row['analyzer_ratio']} × spaCy ({row['analyzer_one_process_ratio']} × in one process, 2 threads)")
    return row


def run_benchmark(sizes: Sequence[int] = (100, 1000), repeats: int = 3, workers: Sequence[int] = (1, 2),
                  throughput_size: int | None = None, batch_size: int | None = None,
                  models_dir: str | Path = "models", model: str = "auto",
                  sources: Iterable[Path | str] = DEFAULT_SOURCES, log: Callable[[str], None] = print,
                  threads_per_worker: int | None = None, workers_size: int | None = None) -> dict:
    quiet_prefect()

    sources = list(sources)
    batch_size = batch_size or defaults.BATCH_SIZE
    models_dir = str(Path(models_dir).resolve())  # children (and pool workers) resolve it alike
    sizes = sorted(set(sizes))
    n = throughput_size or sizes[0]
    # The pool pays a fixed start (processes, imports, a model per worker): at 100 documents
    # that start is most of a run, so the speed-up is measured on a larger corpus by default.
    n_workers = workers_size or max(n, 300)
    texts = source_texts(sources)
    spacy_reason = spacy_missing()
    if spacy_reason:
        log(f"spaCy's row will be skipped: {spacy_reason}")
    threads = threads_per_worker or defaults.threads_per_worker(1)  # what the pipeline gives torch with workers=1
    results: dict = {"machine": machine_info(models_dir, model),
                     "settings": {"sizes": sizes, "throughput_size": n, "workers_size": n_workers,
                                  "repeats": repeats, "workers": list(workers),
                                  "batch_size": batch_size, "models_dir": models_dir, "model": model,
                                  "threads_per_worker": threads_per_worker,
                                  "sources": [str(s) for s in sources if Path(s).is_dir()],
                                  "source_texts": len(texts)},
                     "targets": TARGETS, "load_samples": []}  # 1-minute load average after each timed step

    def sample_load(step: str, r: int) -> None:
        results["load_samples"].append([step, r, round(os.getloadavg()[0], 2)])

    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    servers: list[Server] = []
    try:
        raw = work / f"raw-{n}"
        build_corpus(texts, n, raw)
        warm = work / "raw-warmup"
        build_corpus(texts[:2], 2, warm)
        common = {"raw_dir": str(raw), "models_dir": models_dir, "model": model, "batch_size": batch_size}

        log("starting the raw-Stanza and pipeline processes (model load, Prefect API server; not timed)")
        raw_server = Server("raw", {**common, "threads": threads}, work / "raw-child.log")
        servers.append(raw_server)
        pipe_server = Server("pipeline", {**common, "out_dir": str(work / "out"), "warm_dir": str(warm),
                                          "warm_out": str(work / "out-warmup"),
                                          "threads_per_worker": threads_per_worker}, work / "pipeline-child.log")
        servers.append(pipe_server)
        n_fi = raw_server.ready["documents"]
        results["corpus"] = {"documents": n, "finnish_documents": n_fi}
        results["model_load_s"] = raw_server.ready["model_load_s"]
        results["cold_start_s"] = pipe_server.ready["cold_start_s"]

        log(f"raw Stanza vs whole pipeline: N={n} ({n_fi} Finnish texts) × {repeats}, "
            "each pipeline run followed by an unchanged re-run")
        raw_rows, pipe_rows = [], []
        for r in range(repeats):
            raw_rows.append(raw_server.ask(op="pass"))
            pipe_rows.append(pipe_server.ask(op="pass"))
            sample_load("throughput", r)
            row = pipe_rows[-1]
            log(f"  [{r + 1}/{repeats}] raw {raw_rows[-1]['seconds']:.1f} s, pipeline {row['seconds']:.1f} s, "
                f"re-run {row.get('rerun_seconds', float('nan')):.2f} s {row.get('rerun_error') or ''}")
        for server in servers:
            server.close()
        results["raw_stanza"], results["pipeline"] = summarize_throughput(raw_rows, pipe_rows, n_fi, threads)
        pipe = results["pipeline"]
        rerun = f"{pipe['rerun_fraction']:.1%}" if pipe["rerun_error"] is None else f"FAILED ({pipe['rerun_error']})"
        log(f"  raw {results['raw_stanza']['tokens_per_s']} tokens/s, pipeline {pipe['tokens_per_s']} tokens/s "
            f"({pipe['ratio_to_raw']} × raw); re-run {rerun}")

        log("no-op and cold runs from the command line (fresh processes, as a user runs them)")
        noop_out = work / "out-noop"
        cli_run(raw, noop_out, models_dir)
        results["noop_run_s"] = [round(t, 3) for t in noop_runs(raw, noop_out, models_dir, repeats)]
        cold = cold_runs(warm, work, models_dir, repeats)
        warm_tokens = sum(len(t.split()) for t in finnish_texts(warm))  # whitespace words: an estimate
        analysis_s = warm_tokens / results["raw_stanza"]["tokens_per_s"]
        results["cold_run"] = {"seconds": [round(t, 3) for t in cold], "analysis_estimate_s": round(analysis_s, 3),
                               "overhead_s": round(_median(cold) - analysis_s, 3)}
        log(f"  no-op {_median(results['noop_run_s']):.2f} s; cold run {_median(cold):.1f} s "
            f"(≈ {results['cold_run']['overhead_s']:.1f} s beyond the analysis)")
        if spacy_reason is None:
            log(f"spaCy's Finnish model (n_process=2) and the analyzer in 2 processes (1 thread each) "
                f"on the same {n_fi} texts, alternated, × {repeats}")
            results["spacy"] = spacy_beside_analyzer(finnish_texts(raw), work, repeats, common, results, log)
        else:
            results["spacy"] = {"missing": spacy_reason}
            log(f"  skipped: {spacy_reason}")

        raw_w = raw
        if n_workers != n:
            raw_w = work / f"raw-{n_workers}"
            build_corpus(texts, n_workers, raw_w)
        log(f"workers {list(workers)}: N={n_workers} × {repeats}, each run in a fresh process, model load included")
        by_workers: dict[int, list[dict]] = {w: [] for w in workers}
        for r in range(repeats):
            for w in workers:
                by_workers[w].append(single_run(raw_w, work / "out-w", batch_size, models_dir, model, w,
                                                threads_per_worker))
                sample_load(f"workers={w}", r)
                log(f"  [{r + 1}/{repeats}] workers={w}: {by_workers[w][-1]['run_s']:.1f} s")
        results["workers"] = summarize_workers(by_workers, threads_per_worker)
        for row in results["workers"]:
            log(f"  workers={row['workers']}: {row['median_s']} s, speed-up {row['speedup_vs_1']}")

        memory = []
        for size in sizes:
            raw_m = work / f"raw-mem-{size}"
            build_corpus(texts, size, raw_m)
            log(f"memory: N={size} in a fresh process")
            row = single_run(raw_m, work / f"out-mem-{size}", batch_size, models_dir, model,
                             threads_per_worker=threads_per_worker)
            row["n"] = size
            memory.append(row)
            shutil.rmtree(raw_m, ignore_errors=True)
            sample_load(f"memory N={size}", 0)
            log(f"  peak {row['peak_tree_rss_mb']} MB (tree), {row['peak_flow_process_rss_mb']} MB (flow process), "
                f"{row['run_s']:.0f} s")
        big_n = sizes[-1]
        if 2 in workers:
            raw_m = work / f"raw-mem-{big_n}"
            build_corpus(texts, big_n, raw_m)
            log(f"memory: N={big_n} with 2 workers in a fresh process")
            row = single_run(raw_m, work / f"out-mem2-{big_n}", batch_size, models_dir, model, 2,
                             threads_per_worker=threads_per_worker)
            row.update(n=big_n, workers=2)
            shutil.rmtree(raw_m, ignore_errors=True)
            results["memory_two_workers"] = row
            log(f"  peak {row['peak_tree_rss_mb']} MB (tree), {row['run_s']:.0f} s")
        results["memory"] = memory
        if len(memory) >= 2:
            small, big = memory[0], memory[-1]
            results["memory_growth"] = {
                "from_n": small["n"], "to_n": big["n"],
                "tree": round(big["peak_tree_rss_mb"] / small["peak_tree_rss_mb"], 3),
                "flow_process": round(big["peak_flow_process_rss_mb"] / small["peak_flow_process_rss_mb"], 3)}
    finally:
        for server in servers:
            server.close()
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_average_after"] = list(os.getloadavg())
    return results
