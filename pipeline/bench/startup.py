"""What a user waits for beyond the analysis: the command line's start, a run that has nothing to do,
and (side by side, same texts) spaCy's Finnish model as a reference for the analyzer's speed."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ..errors import first_line
from .processes import _child_env

SPACY_MODEL = "spacy_fi_experimental_web_md"
SPACY_INSTALL = "pip install '.[bench]'"
VOIKKO_INSTALL = "apt-get install libvoikko1 voikko-fi"


def cli_run(raw_dir: Path, out_dir: Path, models_dir: str, *extra: str) -> tuple[float, str]:
    """Wall seconds of `python -m pipeline run` in a fresh process, as a user starts it, and its stdout."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw-dir", str(raw_dir), "--out-dir",
                           str(out_dir), "--models-dir", models_dir, *extra],
                          env=_child_env(), capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"pipeline run failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return wall, done.stdout


def noop_runs(raw_dir: Path, out_dir: Path, models_dir: str, repeats: int) -> list[float]:
    """Wall seconds of `run` over input that has not changed since the published run in `out_dir`."""
    times = []
    for _ in range(repeats):
        wall, stdout = cli_run(raw_dir, out_dir, models_dir)
        if "No changes" not in stdout:
            raise RuntimeError(f"the unchanged run did work: {stdout[-500:]}")
        times.append(wall)
    return times


def cold_runs(raw_dir: Path, work: Path, models_dir: str, repeats: int) -> list[float]:
    """Wall seconds of a first `run` (fresh process, fresh output folder): start-up plus analysis."""
    times = []
    for r in range(repeats):
        wall, _ = cli_run(raw_dir, work / f"out-cold-{r}", models_dir)
        times.append(wall)
    return times


def spacy_missing() -> str | None:
    """Why spaCy's Finnish model cannot run here, in one line; None when it can.

    Asked before anything is measured: its lemmatizer opens the Voikko library and Finnish
    dictionary (Debian packages, not pip's) when the model loads, so a missing one used to end
    the benchmark with a traceback after the other measurements had run.
    """
    import importlib.util

    if importlib.util.find_spec(SPACY_MODEL) is None:
        return f"{SPACY_MODEL} is not installed: {SPACY_INSTALL}"
    try:
        import libvoikko  # installed with the model

        libvoikko.Voikko("fi").terminate()
    except Exception as err:  # noqa: BLE001 - OSError (no library) or VoikkoException (no dictionary)
        return (f"{SPACY_MODEL} needs the Voikko library and its Finnish dictionary ({first_line(err, 160)}): "
                f"{VOIKKO_INSTALL}")
    return None


def spacy_pass_child(texts_file: Path, n_process: int) -> dict:
    """spaCy's Finnish model over the texts in a fresh process: load (not timed), then one timed pass."""
    code = (
        "import json, sys, time, spacy\n"
        f"texts = json.load(open({str(texts_file)!r}, encoding='utf-8'))\n"
        f"nlp = spacy.load({SPACY_MODEL!r})\n"
        "list(nlp.pipe(texts[:2]))\n"
        "t0 = time.perf_counter()\n"
        f"tokens = sum(len(d) for d in nlp.pipe(texts, n_process={n_process}, batch_size=16))\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0, 'tokens': tokens, 'pipes': nlp.pipe_names}))\n")
    done = subprocess.run([sys.executable, "-c", code], env=_child_env(), capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"spaCy pass failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
