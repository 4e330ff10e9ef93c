"""The parent's side of the benchmark's child processes: starting them, asking them, watching their memory.

Every measurement runs in a child of its own kind (see the package docstring for why);
the children themselves run `passes.serve_child`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding `pipeline/`


def _child_env() -> dict:
    path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _child_command(args: dict) -> list[str]:
    return [sys.executable, "-m", "pipeline.bench", json.dumps(args)]


class Server:
    """A long-lived child that sets up once (not timed) and then answers {"op": "pass"} with one timed pass."""

    def __init__(self, role: str, args: dict, log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(_child_command({"role": role, **args}), env=_child_env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)
        self.ready = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.wait()
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"benchmark child failed (exit {self.proc.returncode}):\n{tail}")
        return json.loads(line)

    def send(self, **cmd) -> None:
        assert self.proc.stdin is not None  # opened with stdin=PIPE
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict:
        return self._read()

    def ask(self, **cmd) -> dict:
        self.send(**cmd)
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
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
        child = subprocess.Popen(_child_command(args), env=_child_env(), stdout=subprocess.PIPE, stderr=log,
                                 text=True)
        handle = psutil.Process(child.pid)
        peak = 0
        per_process: dict = {}
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
