"""Command line: `python -m pipeline …`.

Expected failures (`PipelineError`) print one line and exit non-zero; no traceback.
"""
from __future__ import annotations

import errno
import gc
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Optional

import typer

from .cli_models import models_app
from .errors import EXIT_SYSTEM_ERROR, ConfigError, Interrupted, PipelineError
from .settings import RunSettings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Finnish wellbeing-county strategy extraction.")
app.add_typer(models_app, name="models")
review_app = typer.Typer(add_completion=False, invoke_without_command=True,
                         help="Review the extractions in the browser; export reviewed documents as gold.")
app.add_typer(review_app, name="review")

# Option defaults come from the settings record, so the CLI and the API cannot disagree.
_RUN = RunSettings()


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Finnish wellbeing-county strategy extraction."""


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(processName)s %(name)s: %(message)s")


def _print_summary(summary: dict, wall: float | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    counts, fields = summary.get("counts", {}), summary.get("extractions", {})
    table = Table(title=f"Run {summary.get('run_id')} → {summary.get('out_dir')}", show_header=True)
    table.add_column("documents")
    table.add_column("", justify="right")
    table.add_column("extractions")
    table.add_column("", justify="right")
    left = [("ok", counts.get("ok", 0)), ("rejected", counts.get("rejected", 0)),
            ("skipped (not Finnish, duplicate)", counts.get("skipped", 0)), ("analyzed now", counts.get("analyzed", 0)),
            ("unchanged, reused", counts.get("reused_analysis", 0))]
    right = [(f, fields.get(f, 0)) for f in ("mission", "vision", "value", "goal")] + [("", "")]
    for (ln, lv), (rn, rv) in zip(left, right):
        table.add_row(ln, str(lv), rn, str(rv))
    console.print(table)
    redone = [(n, counts.get(k, 0)) for k, n in (("reanalyzed_model_or_code", "analyzed again: model or analyzer code changed"),
                                                 ("reextracted_rules_or_code", "extracted again: rules or extraction code changed"),
                                                 ("reused_moved", "renamed or moved: analysis reused, extracted again"))]
    for label, n in redone:
        if n:
            console.print(f"{label}: {n}")
    for line in _changes_and_problems(Path(summary.get("out_dir", ".")), summary.get("run_id")):
        console.print(line, markup=False, highlight=False)
    took = f"{wall:.1f} s" if wall is not None else f"{summary.get('seconds')} s"
    console.print(f"model {summary.get('model')} · rules {summary.get('rules_version')} · "
                  f"took {took} · report: {Path(summary.get('out_dir', '.')) / 'report.html'}")


SUMMARY_LINES = 15  # files named per list; more are counted ("… and 12 more")


def _listed(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    shown = items[:SUMMARY_LINES]
    more = [f"  … and {len(items) - len(shown)} more (see report.html)"] if len(items) > len(shown) else []
    return [f"{title} ({len(items)}):", *(f"  {item}" for item in shown), *more]


def _changes_and_problems(out_dir: Path, run_id: str | None) -> list[str]:
    """The documents this run added, changed or removed, and every file it could not use, with why."""
    from . import store

    try:
        tables = store.load(out_dir, ("documents", "history"))
    except Exception:  # noqa: BLE001 - the summary must never fail a run that succeeded
        return []
    docs, history = tables["documents"], tables["history"]
    mine = history[(history["run_id"] == run_id) & (history["object"] == "document")]
    lines: list[str] = []
    for change, title in (("added", "new"), ("changed", "changed"), ("removed", "removed")):
        lines += _listed(title, sorted(mine.loc[mine["change"] == change, "doc_id"].astype(str)))
    for status, title in (("rejected", "rejected"), ("skipped", "skipped")):
        rows = docs[docs["status"] == status]
        lines += _listed(title, [f"{r.source}: {r.reason}" for r in rows.itertuples()])
    return lines


def _quiet_prefect() -> None:
    import os

    # The run prints its own summary; Prefect's per-task logs would bury it.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # No network here: telemetry only logs errors.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A failed run is reported by the CLI in one line; Prefect's tracebacks stay out of the way.
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "CRITICAL")


@app.command("run")
def run(
    raw_dir: Path = typer.Option(_RUN.raw_dir, help="Folder of raw .txt strategy texts."),
    out_dir: Path = typer.Option(_RUN.out_dir, help="Where the tables and report go."),
    models_dir: Path = typer.Option(_RUN.models_dir, help="Folder holding compact/ (and official/)."),
    model: str = typer.Option(_RUN.model, help="auto | compact | official"),
    max_bytes: int = typer.Option(_RUN.max_bytes, help="Reject files larger than this."),
    batch_size: int = typer.Option(_RUN.batch_size, help="Documents per analysis batch."),
    workers: int = typer.Option(_RUN.workers, help="Worker processes for analysis (each loads the model once)."),
    threads_per_worker: Optional[int] = typer.Option(None, help="Torch threads per worker (default: cores / workers)."),
    dask_address: Optional[str] = typer.Option(None, help="Run analysis on an existing Dask cluster (tcp://host:8786)."),
    dask_local: bool = typer.Option(False, help="Run analysis on a local Dask cluster of --workers processes."),
    wait: float = typer.Option(0.0, help="Seconds to wait if another run holds the output folder."),
    reviews: Optional[Path] = typer.Option(None, help="Reviewers' decisions to apply (default: OUT_DIR.reviews.sqlite beside OUT_DIR)."),
    follow_links: bool = typer.Option(False, help="Read links in RAW_DIR to files outside it (rejected by default)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's task logs."),
    force: bool = typer.Option(False, "--force", help="Run and publish even when no file, model or rule changed."),
) -> None:
    """Process new and changed texts in RAW_DIR into parquet tables and report.html in OUT_DIR.

    When nothing changed since the published run, no run starts and OUT_DIR is left as it is."""
    if not verbose:
        _quiet_prefect()
    _logging(verbose)
    import os
    import time

    from . import preflight

    started = time.monotonic()
    # Checked before Prefect starts: a bad value fails in one line at once.
    settings = RunSettings(raw_dir, out_dir, models_dir, model, max_bytes, batch_size, workers,
                           threads_per_worker, dask_address, dask_local, wait, show_progress=sys.stderr.isatty(),
                           reviews=reviews, follow_links=follow_links)
    try:
        settings = preflight.preflight(settings)  # folders, lock and model: before Prefect is even imported
        if not force:
            from .unchanged import check_unchanged

            unchanged = check_unchanged(settings)
            if unchanged is not None:
                typer.echo(f"No changes: the {unchanged.documents} files in {raw_dir} are as in run "
                           f"{unchanged.run_id}; {out_dir} is left as it is ({time.monotonic() - started:.1f} s).")
                return
        if not os.environ.get("PREFECT_API_URL"):
            from . import prefect_server

            # There is work: start the run's Prefect API server now, so that it comes up while Prefect
            # and the flow are imported and the model loads (run_pipeline waits for it, or stops it
            # if the active Prefect profile names an API after all).
            prefect_server.run_api_server()
        from .flows import run_pipeline

        summary = run_pipeline(settings)
    except KeyboardInterrupt:
        raise _interrupted(f"nothing was published; the previous tables in {out_dir} are kept") from None
    _print_summary(summary, time.monotonic() - started)  # the time the user waited, start-up included


@app.command("report")
def report_cmd(out_dir: Path = typer.Option(Path("outputs"), help="Output folder of a previous run."),
               reviews: Optional[Path] = typer.Option(None, help="Reviewers' decisions (default: OUT_DIR.reviews.sqlite).")
               ) -> None:
    """Re-render report.html from the last run (its tables' review statuses; review marks and stale decisions as they stand now)."""
    from . import report, store
    from .review.decisions import default_reviews_path
    from .review.state import review_states

    run_dir = store.resolve_run(out_dir)
    if run_dir is None:
        raise store.OutputError(f"no complete run in {out_dir}; run `python -m pipeline run --out-dir {out_dir}` first")
    prev = store.previous_run(out_dir)
    html = report.render_report(store.read_results(run_dir), store.read_results(prev) if prev else None,
                                store.run_info(run_dir),
                                reviews=review_states(out_dir, reviews or default_reviews_path(out_dir)))
    path = store.write_report(out_dir, html)
    typer.echo(f"report written to {path}")


@app.command("evaluate")
def evaluate_cmd(
    gold: Path = typer.Option(..., help="Folder with NN_slug.txt and NN_slug.gold.json files."),
    out_dir: Optional[Path] = typer.Option(None, help="Output folder for the pipeline run (default: a temporary folder)."),
    reuse: bool = typer.Option(False, help="Score the existing outputs in --out-dir without running the pipeline."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    docs: list[str] = typer.Option([], "--docs", help="Score only these documents: glob(s) of doc ids "
                                   "('4*,5*'), or @FILE with one id or glob a line. Repeatable."),
    workers: int = typer.Option(1),
    models_dir: Path = typer.Option(Path("models")),
    model: str = typer.Option("auto"),
) -> None:
    """Run the pipeline on GOLD/*.txt and score it against GOLD/*.gold.json (or a subset: --docs)."""
    import tempfile

    from . import evaluate, store

    _quiet_prefect()
    _logging(False)
    golds = evaluate.select_documents(evaluate.load_gold(gold), docs)
    tmp = None
    if out_dir is None:
        if reuse:
            raise store.OutputError("--reuse needs --out-dir")
        tmp = tempfile.TemporaryDirectory(prefix="evaluate-")
        out_dir = Path(tmp.name)
    if not reuse:
        from .flows import run_pipeline
        from .settings import RunSettings

        run_pipeline(RunSettings(gold, out_dir, models_dir, model, workers=workers))
    tables = store.load(out_dir, ("documents", "extractions"), reviewed=False)  # the machine's own output
    preds, languages = evaluate.predictions_from_tables(tables["extractions"], tables["documents"])
    result = evaluate.score(preds, languages, golds).as_dict()
    if tmp:
        tmp.cleanup()
    if as_json:
        typer.echo(json.dumps({k: result[k] for k in ("fields", "overall", "non_finnish", "misses_by_construction")},
                              ensure_ascii=False))
    else:
        typer.echo(evaluate.format_table(result))


def _comma_list(text: str) -> list[str]:
    """The items of a comma-separated option, stripped, empty ones left out."""
    return [item.strip() for item in text.split(",") if item.strip()]


@app.command("bench")
def bench_cmd(
    sizes: str = typer.Option("100,1000", help="Corpus sizes (documents) for the memory runs, comma-separated."),
    repeats: int = typer.Option(3, help="Timed runs per measurement; medians are reported."),
    out: Path = typer.Option(Path("bench/results.json"), help="Where the JSON results go."),
    workers: str = typer.Option("1,2", help="Worker counts to compare, comma-separated."),
    throughput_size: Optional[int] = typer.Option(None, help="Documents in the timed runs (default: smallest size)."),
    batch_size: Optional[int] = typer.Option(None, help="Analysis batch size (default: the pipeline's)."),
    workers_size: Optional[int] = typer.Option(None, help="Documents in the worker speed-up runs (default: 300, or the throughput size if larger)."),
    quick: bool = typer.Option(False, help="Small and fast: sizes 20,200, 1 repeat (a smoke run, not for the README)."),
    threads_per_worker: Optional[int] = typer.Option(None, help="Torch threads per worker, raw Stanza alike (default: cores / workers)."),
    models_dir: Path = typer.Option(Path("models")),
    model: str = typer.Option("auto"),
    sources: Optional[str] = typer.Option(
        None, help="Folders of texts the corpus is built from, comma-separated "
                   "(default: raw_texts,../shared/corpus/dev, those that exist)."),
) -> None:
    """Measure Stanza vs whole-pipeline throughput, re-run cost, peak memory and worker speed-up."""
    _quiet_prefect()
    _logging(False)
    from .bench import markdown_table, run_benchmark

    if quick:
        sizes, repeats = "20,200", 1
    size_list = [int(s) for s in _comma_list(sizes)]
    worker_list = [int(w) for w in _comma_list(workers)]
    from .bench.corpus import DEFAULT_SOURCES

    source_dirs = list(DEFAULT_SOURCES)  # those that exist
    if sources:  # asked for by name: a typo must not shrink the corpus silently
        source_dirs = [Path(d) for d in _comma_list(sources)]
        missing = [str(d) for d in source_dirs if not d.is_dir()]
        if missing:
            raise ConfigError(f"--sources: no such folder: {', '.join(missing)}")
    results = run_benchmark(size_list, repeats, worker_list, throughput_size, batch_size, models_dir, model,
                            sources=source_dirs,
                            log=lambda msg: typer.echo(msg, err=True), threads_per_worker=threads_per_worker,
                            workers_size=workers_size if not quick else (workers_size or 40))
    command = "python -m pipeline " + " ".join(sys.argv[1:])
    results["command"] = command
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(markdown_table(results, command))
    typer.echo(f"\nresults written to {out}")


@app.command("serve")
def serve_cmd(
    flows_file: Path = typer.Option(Path("flows.yaml"), help="Prefect deployment file (prefect.yaml format)."),
    interval: Optional[float] = typer.Option(None, help="Run every SECONDS instead of the file's schedule (tests, demos)."),
    raw_dir: Optional[Path] = typer.Option(None, help="Override the deployments' raw_dir parameter."),
    out_dir: Optional[Path] = typer.Option(None, help="Override the deployments' out_dir parameter."),
    models_dir: Optional[Path] = typer.Option(None, help="Override the deployments' models_dir parameter."),
) -> None:
    """Run the deployments in FLOWS_FILE on their schedule until Ctrl-C (local Prefect server unless PREFECT_API_URL is set)."""
    import os

    # A Prefect home of its own (database, server log) beside the flows file, unless one is set:
    # the shared ~/.prefect database is locked by other runs ("database is locked"), and /tmp is
    # no place for a service's log.
    home = os.environ.setdefault("PREFECT_HOME", str(flows_file.resolve().parent / ".prefect-serve"))
    Path(home).mkdir(parents=True, exist_ok=True)
    from .serve import serve_flows

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API poll otherwise
    serve_flows(flows_file, interval=interval, raw_dir=raw_dir, out_dir=out_dir, models_dir=models_dir,
                echo=lambda msg: typer.echo(msg, err=True))


@review_app.callback()
def review_cmd(
    ctx: typer.Context,
    out_dir: Path = typer.Option(Path("outputs"), help="Output folder of the run to review."),
    reviews: Optional[Path] = typer.Option(None, help="Decisions database (default: OUT_DIR.reviews.sqlite beside OUT_DIR)."),
    port: int = typer.Option(8765, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; anything but loopback needs the printed access token."),
    reviewer: Optional[str] = typer.Option(None, help="Name recorded with each decision (default: the OS user)."),
) -> None:
    """Start the review server: accept, reject, edit and add extractions in the browser."""
    from .review.decisions import default_reviewer, default_reviews_path

    ctx.obj = {"out_dir": out_dir, "reviews": reviews or default_reviews_path(out_dir)}
    if ctx.invoked_subcommand is not None:
        return
    from .review.server import serve

    serve(out_dir, reviews or default_reviews_path(out_dir), reviewer or default_reviewer(), host, port,
          echo=lambda msg: typer.echo(msg, err=True))


@review_app.command("export")
def review_export(
    ctx: typer.Context,
    to: Path = typer.Option(..., help="Folder for <doc>.txt + <doc>.gold.json (the corpus's gold format)."),
) -> None:
    """Write every document marked reviewed as gold, for `python -m pipeline evaluate --gold DIR`."""
    from .review.export import export_gold

    written = export_gold(ctx.obj["out_dir"], ctx.obj["reviews"], to)
    typer.echo(f"{len(written)} reviewed document(s) exported to {to}")


_SIGNALS: dict[str, int] = {}


def _on_sigterm(signum, frame):  # noqa: ARG001
    # Unwind like Ctrl-C (staging removed, workers and the Prefect server stopped), then exit 143.
    _SIGNALS["received"] = signum
    raise KeyboardInterrupt


def _interrupted(what: str) -> Interrupted:
    if _SIGNALS.get("received") == signal.SIGTERM:
        return Interrupted(f"terminated (SIGTERM): {what}", exit_code=143)
    return Interrupted(f"interrupted: {what}", exit_code=130)


def _system_error(err: OSError) -> str:
    where = f" ({err.filename})" if err.filename else ""
    if err.errno == errno.ENOSPC:
        return f"no space left on the device{where}; free some space and run again (the previous run stays published)"
    return f"{err.strerror or err}{where}; the previous run stays published"


def _stopped() -> int:
    stop = _interrupted("stopped before it finished; the previous outputs are kept")
    typer.echo(f"error: {stop}", err=True)
    return stop.exit_code


def main() -> None:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _main()
    finally:
        # The process ends now: the interpreter's last garbage collection over the model, Prefect
        # and pandas would take about 0.8 s of the user's wait and free nothing the OS does not.
        # Frozen objects are skipped; atexit handlers (Prefect's, the API server's stop) still run.
        gc.freeze()


def _main() -> None:
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        rc = app(standalone_mode=False)
    except PipelineError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(_stopped())
    except NoArgsIsHelpError as err:
        err.show()
        sys.exit(0)
    except ClickException as err:  # usage errors: unknown command or option, bad value, missing option
        hint = " (see --help)" if err.exit_code == 2 else ""
        typer.echo(f"error: {err.format_message().strip().splitlines()[0]}{hint}", err=True)
        sys.exit(err.exit_code)
    except FileNotFoundError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except OSError as err:  # disk full, I/O error: the data already published is safe
        typer.echo(f"error: {_system_error(err)}", err=True)
        sys.exit(EXIT_SYSTEM_ERROR)
    except (typer.Exit, SystemExit):  # typer's own exits keep their code
        raise
    if isinstance(rc, int) and rc:  # typer turns Ctrl-C into a return value of 130 here
        sys.exit(_stopped() if rc == 130 else rc)
