"""Benchmark: Stanza alone vs the whole pipeline, re-run cost, memory, process-pool speed-up.

`python -m pipeline bench` measures, in one run, on the same texts and model:

* raw Stanza throughput: `Analyzer.stanza_documents` alone over the Finnish
  texts, in batches of the pipeline's batch size (tokens/s);
* whole-pipeline throughput: `run_pipeline` end to end into a fresh output
  folder (tokens = sum of ``documents.n_tokens``) and its ratio to raw Stanza;
* an unchanged re-run's time as a fraction of the first run's;
* the peak resident memory of a whole pipeline run for each corpus size, each
  in a fresh process (the RSS of the process tree, polled with psutil, and the
  flow process's own ``ru_maxrss``);
* the process-pool speed-up: `workers=1` vs `workers=2`, each run in a fresh
  process that loads the model, as `python -m pipeline run` does.

Every measurement runs in a child process of its own kind, never in the
process that also ran another kind: torch's OpenMP threads behave differently
once a process has run torch on more than one thread (the main thread for raw
Stanza, a task-runner thread for the pipeline), which would bias the
comparison either way.  Raw Stanza and the pipeline run in two long-lived
children (model loaded, Prefect's API server started, not timed) that are
asked for one pass each in turn, so background load hits both alike; medians
of ``--repeats``.

The corpus is built from the texts at hand (``raw_texts/*.txt`` and, when
present, ``../shared/corpus/dev/*.txt``), cycled to N documents; copy ``i``
gets a short numbered sentence appended, so every file's sha256 differs and
nothing is served from a previous run.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

DEFAULT_SOURCES = (Path("raw_texts"), Path("../shared/corpus/dev"))
TARGETS = {"pipeline_vs_raw_min": 0.85, "rerun_fraction_max": 0.05, "memory_growth_max": 1.2}
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- corpus

@dataclass(frozen=True)
class SourceText:
    name: str  # file stem
    text: str


def source_texts(dirs: Iterable[Path | str] = DEFAULT_SOURCES) -> list[SourceText]:
    """Every `*.txt` in `dirs` that exists (missing folders are skipped), identical texts once.

    Ordered by folder, then file name, so the corpus built from them is deterministic.
    """
    dirs = list(dirs)
    seen: set[str] = set()
    out: list[SourceText] = []
    for folder in dirs:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if text in seen or not text.strip():
                continue
            seen.add(text)
            out.append(SourceText(path.stem, text))
    if not out:
        raise FileNotFoundError(f"no .txt files to build a benchmark corpus from in {', '.join(map(str, dirs))}")
    return out


def variant(text: str, i: int) -> str:
    """Copy `i` of a text: a short numbered sentence at the end makes its hash unique."""
    return f"{text.rstrip()}\n\nKopio numero {i + 1}.\n"


def build_corpus(texts: Sequence[SourceText], n: int, dest: Path | str) -> list[Path]:
    """Write N documents into `dest` (created; must not hold other .txt files): texts cycled, each varied."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(n)))
    paths = []
    for i in range(n):
        src = texts[i % len(texts)]
        path = dest / f"{i:0{width}d}_{src.name}.txt"
        path.write_text(variant(src.text, i), encoding="utf-8")
        paths.append(path)
    return paths


def finnish_texts(raw_dir: Path | str) -> list[str]:
    """The texts the pipeline would analyze (status ok), read exactly as it reads them, in doc_id order."""
    from . import ingest

    docs = [ingest.read_document(src) for src in ingest.discover(Path(raw_dir))]
    return [d.text for d in docs if d.status == "ok" and d.text and d.text.strip()]


# --------------------------------------------------------------------------- one pass of each kind (in a child)

def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def raw_stanza_pass(analyzer, texts: Sequence[str], batch_size: int) -> dict:
    """One pass of Stanza alone (`Analyzer.stanza_documents`) over `texts`, batched like the pipeline."""
    t0 = time.perf_counter()
    tokens = 0
    for i in range(0, len(texts), batch_size):
        for doc in analyzer.stanza_documents(list(texts[i:i + batch_size])):
            tokens += sum(len(s.tokens) for s in doc.sentences)
    return {"seconds": time.perf_counter() - t0, "tokens": tokens}


def _n_tokens(out_dir: Path | str) -> int:
    from . import store

    return int(store.load(out_dir, ("documents",))["documents"]["n_tokens"].sum())


def pipeline_pass(raw_dir: Path | str, out: Path | str, batch_size: int, models_dir: str, model: str,
                  threads_per_worker: int | None = None, rerun: bool = True) -> dict:
    """`run_pipeline` into a fresh folder, then (optionally) once more, unchanged, into the same folder."""
    from .flows import run_pipeline

    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    kw = {"batch_size": batch_size, "workers": 1, "threads_per_worker": threads_per_worker}
    t_first, _ = _timed(lambda: run_pipeline(raw_dir, out, models_dir, model, **kw))
    row: dict = {"seconds": t_first, "tokens": _n_tokens(out)}
    if rerun:
        try:
            t_again, summary = _timed(lambda: run_pipeline(raw_dir, out, models_dir, model, **kw))
        except Exception as err:  # noqa: BLE001 - a failing re-run is a result to report, not a crash
            row["rerun_error"] = f"{type(err).__name__}: {err}"
        else:
            row["rerun_seconds"] = t_again
            row["rerun_counts"] = summary.get("counts", {})
    shutil.rmtree(out, ignore_errors=True)
    return row


def _start_prefect_api() -> None:
    """Start Prefect's ephemeral API server now (a health check), so a timed run does not include it."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.hello()


# --------------------------------------------------------------------------- child processes

def _child_env() -> dict:
    path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


class _Server:
    """A long-lived child that sets up once (not timed) and then answers {"op": "pass"} with one timed pass."""

    def __init__(self, role: str, args: dict, log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "pipeline.bench", json.dumps({"role": role, **args})],
                                     env=_child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True)
        self.ready = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.wait()
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"benchmark child failed (exit {self.proc.returncode}):\n{tail}")
        return json.loads(line)

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def _tree_rss(proc, per_process: dict) -> int:
    """Sum of the RSS of `proc` and its descendants; also keeps each process's peak in `per_process`."""
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            rss = p.memory_info().rss
            if p.pid not in per_process:
                per_process[p.pid] = {"cmd": " ".join(p.cmdline())[:120], "peak_mb": 0.0}
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        total += rss
        per_process[p.pid]["peak_mb"] = max(per_process[p.pid]["peak_mb"], round(rss / 2**20, 1))
    return total


def single_run(raw_dir: Path, out_dir: Path, batch_size: int, models_dir: str, model: str, workers: int = 1,
               threads_per_worker: int | None = None, interval: float = 0.05) -> dict:
    """One whole pipeline run in a fresh process (Prefect's API server started first, not timed).

    The run's time includes loading the model (in every worker).  Memory: the peak RSS of the
    process tree, polled every `interval` s, and the flow process's own ``ru_maxrss``.
    """
    import psutil

    args = {"role": "once", "raw_dir": str(raw_dir), "out_dir": str(out_dir), "models_dir": models_dir,
            "model": model, "batch_size": batch_size, "workers": workers, "threads_per_worker": threads_per_worker}
    log_path = out_dir.parent / f"{out_dir.name}.log"
    with log_path.open("wb") as log:
        t0 = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "pipeline.bench", json.dumps(args)], env=_child_env(),
                                 stdout=subprocess.PIPE, stderr=log, text=True)
        handle = psutil.Process(child.pid)
        peak, per_process = 0, {}
        while child.poll() is None:
            peak = max(peak, _tree_rss(handle, per_process))
            time.sleep(interval)
        wall = time.perf_counter() - t0
    output = child.stdout.read() if child.stdout else ""
    if child.returncode != 0 or not output.strip():
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"benchmark run failed (exit {child.returncode}):\n{tail}")
    inner = json.loads(output.strip().splitlines()[-1])
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"workers": workers, "run_s": inner["run_s"], "tokens": inner["tokens"], "documents": inner["documents"],
            "peak_tree_rss_mb": round(peak / 2**20, 1), "peak_flow_process_rss_mb": inner["maxrss_mb"],
            "process_wall_s": round(wall, 2),
            "processes": sorted(per_process.values(), key=lambda p: -p["peak_mb"])}


def _child_main(args: dict) -> None:
    """Entry point of every benchmark child (`python -m pipeline.bench JSON`); answers on stdout."""
    import resource

    answer = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed (Prefect, Stanza) goes to the child's log, not into the answers
    sys.stdout = sys.stderr
    _quiet_prefect()

    def reply(obj: dict) -> None:
        answer.write(json.dumps(obj) + "\n")

    role = args["role"]
    if role == "once":
        from .flows import run_pipeline

        _start_prefect_api()
        t, _ = _timed(lambda: run_pipeline(args["raw_dir"], args["out_dir"], args["models_dir"], args["model"],
                                           batch_size=args["batch_size"], workers=args["workers"],
                                           threads_per_worker=args.get("threads_per_worker")))
        from . import store

        docs = store.load(args["out_dir"], ("documents",))["documents"]
        maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
        reply({"run_s": round(t, 3), "tokens": int(docs["n_tokens"].sum()), "documents": int(len(docs)),
               "maxrss_mb": round(maxrss_kb / 1024, 1)})
        return

    if role == "raw":
        from .nlp import analyzer as nlp

        texts = finnish_texts(args["raw_dir"])
        analyzer = nlp.get_analyzer(args["models_dir"], args["model"], args["threads"])
        load_s, _ = _timed(analyzer.load)
        analyzer.stanza_documents(texts[:2])  # first call: allocations, lazy initialisation
        reply({"ready": True, "model_load_s": round(load_s, 3), "documents": len(texts)})
        serve = lambda cmd: raw_stanza_pass(analyzer, texts, args["batch_size"])  # noqa: E731
    elif role == "pipeline":
        from .flows import run_pipeline

        cold, _ = _timed(lambda: run_pipeline(args["warm_dir"], args["warm_out"], args["models_dir"], args["model"],
                                              batch_size=args["batch_size"], workers=1,
                                              threads_per_worker=args.get("threads_per_worker")))
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


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry calls from an offline box
    # The ephemeral API server's 20 s start-up limit is too short on a busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


# --------------------------------------------------------------------------- summaries

def summarize_throughput(raw_rows: list[dict], pipe_rows: list[dict], n_texts: int, threads: int) -> tuple[dict, dict]:
    raw_s = [r["seconds"] for r in raw_rows]
    raw_tokens = raw_rows[-1]["tokens"]
    raw_med = _median(raw_s)
    raw = {"documents": n_texts, "tokens": raw_tokens, "seconds": [round(t, 3) for t in raw_s],
           "median_s": round(raw_med, 3), "tokens_per_s": round(raw_tokens / raw_med, 1), "threads": threads}
    first = [r["seconds"] for r in pipe_rows]
    med = _median(first)
    tokens = pipe_rows[-1]["tokens"]
    reruns = [r for r in pipe_rows if "rerun_seconds" in r]
    errors = [r["rerun_error"] for r in pipe_rows if "rerun_error" in r]
    pipe = {
        "tokens": tokens,
        "seconds": [round(t, 3) for t in first], "median_s": round(med, 3), "tokens_per_s": round(tokens / med, 1),
        # per token, so the few tokens the pipeline adds (split punctuation) do not count against it
        "ratio_to_raw": round((tokens / med) / (raw_tokens / raw_med), 3),
        "rerun_seconds": [round(r["rerun_seconds"], 3) for r in reruns],
        "rerun_median_s": round(_median([r["rerun_seconds"] for r in reruns]), 3) if reruns else None,
        "rerun_fraction": round(_median([r["rerun_seconds"] / r["seconds"] for r in reruns]), 4) if reruns else None,
        "rerun_counts": reruns[-1]["rerun_counts"] if reruns else None,
        "rerun_error": errors[0] if errors else None,
    }
    return raw, pipe


def summarize_workers(rows: dict[int, list[dict]], threads_per_worker: int | None = None) -> list[dict]:
    out = []
    for w, runs in rows.items():
        seconds = [r["run_s"] for r in runs]
        med = _median(seconds)
        out.append({"workers": w, "threads_per_worker": threads_per_worker or max(1, (os.cpu_count() or 1) // w),
                    "tokens": runs[-1]["tokens"], "seconds": [round(t, 3) for t in seconds],
                    "median_s": round(med, 3), "tokens_per_s": round(runs[-1]["tokens"] / med, 1),
                    "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in runs)})
    base = next((row["median_s"] for row in out if row["workers"] == 1), out[0]["median_s"] if out else None)
    for row in out:
        row["speedup_vs_1"] = round(base / row["median_s"], 3) if base else None
    return out


# --------------------------------------------------------------------------- the whole benchmark

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
    from .nlp.analyzer import get_analyzer

    info["model"] = get_analyzer(models_dir, model).model_name  # as recorded in documents.model; not loaded
    info["load_average"] = list(os.getloadavg())
    return info


def run_benchmark(sizes: Sequence[int] = (100, 1000), repeats: int = 3, workers: Sequence[int] = (1, 2),
                  throughput_size: int | None = None, batch_size: int | None = None,
                  models_dir: str | Path = "models", model: str = "auto",
                  sources: Iterable[Path | str] = DEFAULT_SOURCES, log: Callable[[str], None] = print,
                  threads_per_worker: int | None = None, workers_size: int | None = None) -> dict:
    _quiet_prefect()
    from .flows import DEFAULT_BATCH_SIZE

    sources = list(sources)
    batch_size = batch_size or DEFAULT_BATCH_SIZE
    models_dir = str(Path(models_dir).resolve())  # children (and pool workers) resolve it alike
    sizes = sorted(set(sizes))
    n = throughput_size or sizes[0]
    # The pool pays a fixed start (processes, imports, a model per worker): at 100 documents
    # that start is most of a run, so the speed-up is measured on a larger corpus by default.
    n_workers = workers_size or max(n, 300)
    texts = source_texts(sources)
    threads = threads_per_worker or max(1, (os.cpu_count() or 1))  # what the pipeline gives torch with workers=1
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
    servers: list[_Server] = []
    try:
        raw = work / f"raw-{n}"
        build_corpus(texts, n, raw)
        warm = work / "raw-warmup"
        build_corpus(texts[:2], 2, warm)
        common = {"raw_dir": str(raw), "models_dir": models_dir, "model": model, "batch_size": batch_size}

        log("starting the raw-Stanza and pipeline processes (model load, Prefect API server; not timed)")
        raw_server = _Server("raw", {**common, "threads": threads}, work / "raw-child.log")
        servers.append(raw_server)
        pipe_server = _Server("pipeline", {**common, "out_dir": str(work / "out"), "warm_dir": str(warm),
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


def markdown_table(results: dict, command: str | None = None) -> str:
    raw, pipe, m = results["raw_stanza"], results["pipeline"], results["machine"]
    s = results["settings"]
    n = s["throughput_size"]
    lines = ["| measure | result | target |", "|---|---|---|",
             f"| raw Stanza, N={n} ({raw['documents']} Finnish docs, {raw['tokens']} tokens, batch {s['batch_size']}, "
             f"torch threads {raw['threads']}) | {raw['tokens_per_s']:.0f} tokens/s | |",
             f"| whole pipeline, fresh output folder | {pipe['tokens_per_s']:.0f} tokens/s = "
             f"{pipe['ratio_to_raw']:.2f} × raw | ≥ {TARGETS['pipeline_vs_raw_min']} |",
             "| unchanged re-run | " + (f"{pipe['rerun_median_s']:.2f} s = {pipe['rerun_fraction']:.1%} of the first run"
                                       if pipe["rerun_error"] is None else f"failed: {pipe['rerun_error'][:120]}")
             + f" | ≤ {TARGETS['rerun_fraction_max']:.0%} |"]
    for row in results.get("memory", []):
        lines.append(f"| peak RSS, N={row['n']} ({row['tokens']} tokens, run {row['run_s']:.0f} s) | "
                     f"{row['peak_tree_rss_mb']:.0f} MB process tree, {row['peak_flow_process_rss_mb']:.0f} MB "
                     f"flow process | |")
    growth = results.get("memory_growth")
    if growth:
        lines.append(f"| peak RSS N={growth['to_n']} / N={growth['from_n']} | {growth['tree']:.2f} × (tree), "
                     f"{growth['flow_process']:.2f} × (flow process) | ≤ {TARGETS['memory_growth_max']} × |")
    for row in results.get("workers", []):
        lines.append(f"| workers={row['workers']} (torch threads {row['threads_per_worker']}), "
                     f"N={s.get('workers_size', n)}, "
                     f"model load included | {row['median_s']:.1f} s, {row['tokens_per_s']:.0f} tokens/s, "
                     f"speed-up {row['speedup_vs_1']:.2f} ×, peak RSS {row['peak_tree_rss_mb']:.0f} MB | |")
    lines.append("")
    lines.append(f"{m['cpu_count']} CPUs, {m['platform']}, Python {m['python']}, torch {m['torch']}, "
                 f"stanza {m['stanza']}, prefect {m['prefect']}, model {m['model']}, {m['date']}; "
                 f"medians of {s['repeats']} runs.  Not in the throughput timings: model load "
                 f"({results['model_load_s']:.1f} s) and a cold start of the pipeline process "
                 f"(Prefect API server + model, {results['cold_start_s']:.1f} s).")
    loads = [x[2] for x in results.get("load_samples", [])]
    if loads:
        lines.append(f"1-minute load average after the timed steps: {min(loads):.1f}–{max(loads):.1f} "
                     f"(on {m['cpu_count']} CPUs; above {m['cpu_count']} means other work competed for the cores).")
    if command:
        lines.append(f"Command: `{command}`")
    return "\n".join(lines)


if __name__ == "__main__":
    _child_main(json.loads(sys.argv[1]))
