"""Writing a run: staged tables, atomic publication, the output lock (the one writer of outputs)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError
from ..review.decisions import Decision, default_reviews_path, read_decisions
from ..schema import MACHINE_EXTRACTIONS, SCHEMA_VERSION, SCHEMAS, TABLES
from ..types import DocumentResult, RunResults
from .history import document_changes, extraction_changes, history_rows
from .folder import _claim, _prune_runs, _remove_stale_staging, _what_is, check_output_folder, output_lock
from .layout import CURRENT, REPORT, RUNS, STABLE_LINKS, STAGING_PREFIX
from .reader import PreviousOutputs, read_results, resolve_run
from .rows import arrow_table, document_row, extraction_rows, strategy_row, token_rows, values_rows

if TYPE_CHECKING:
    from ..review.apply import ReviewedDocument

# A streamed table's rows wait, as arrow tables, until this many have come, and are then written as
# one row group. Written as they came (one row group per document), the tokens of 300 documents
# were 264 row groups of about 220 rows, which pandas reads slower than one; memory stays bounded by
# this many rows (about 6 MB of tokens), not by the corpus.
ROW_GROUP_ROWS = 65_536


class RunWriter:
    """Streams one run's tables into a staging folder; `commit` publishes them atomically."""

    def __init__(self, out_dir: Path, run_id: str, previous: str | None,
                 decisions: Mapping[str, Sequence[Decision]] | None = None, metadata: Mapping[str, str] | None = None):
        self.out_dir = out_dir
        self.run_id = run_id
        self.previous = previous
        # Table-level parquet metadata: what produced the run (model, rules_version), besides schema and run.
        self.metadata = {"schema_version": SCHEMA_VERSION, "run_id": run_id, **(metadata or {})}
        self._values: dict[str, list[str]] = {}
        self.staging = out_dir / RUNS / f"{STAGING_PREFIX}{run_id}"
        self.staging.mkdir(parents=True)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._waiting: dict[str, list[pa.Table]] = {}  # rows not yet written, by table (see ROW_GROUP_ROWS)
        self._documents: list[dict] = []
        self._strategies: list[dict] = []
        self.counts = {"ok": 0, "rejected": 0, "skipped": 0, "reused_analysis": 0, "analyzed": 0}
        self.field_counts = {"mission": 0, "vision": 0, "value": 0, "goal": 0}
        self._finished = False
        # Reviewers' decisions by doc_id, applied to every document written (pipeline.review).
        self.decisions = decisions or {}
        self.reviews: dict[str, ReviewedDocument] = {}

    def count(self, key: str) -> None:
        """Add one to a run count recorded in run.json (analyzed, reused_analysis, ...)."""
        self.counts[key] = self.counts.get(key, 0) + 1

    def _write(self, name: str, table: pa.Table) -> None:
        if name not in self._writers:  # the file exists from the first row on; a killed run's stays staged
            self._writers[name] = pq.ParquetWriter(self.staging / f"{name}.parquet", self.schema(name))
            self._waiting[name] = []
        if table.num_rows:
            waiting = self._waiting[name]
            waiting.append(table)
            if sum(t.num_rows for t in waiting) >= ROW_GROUP_ROWS:
                self._flush(name)

    def _flush(self, name: str) -> None:
        """Write the rows waiting for table `name` as one row group."""
        waiting = self._waiting[name]
        if waiting:
            self._writers[name].write_table(pa.concat_tables(waiting))
            waiting.clear()

    def schema(self, name: str) -> pa.Schema:
        """The table's schema with the run's parquet metadata (`pipeline.<key>`: schema_version, run_id, model, ...)."""
        meta = {f"pipeline.{k}": str(v) for k, v in {**self.metadata, "table": name}.items() if v is not None}
        return SCHEMAS[name].with_metadata(meta)

    def _write_table(self, name: str, rows: list[dict]) -> None:
        pq.write_table(arrow_table(rows, name).replace_schema_metadata(self.schema(name).metadata),
                       self.staging / f"{name}.parquet")

    def add(self, result: DocumentResult, processed_at: datetime, rules_version: str | None) -> None:
        """Append one document's rows; token and extraction rows go to disk at once."""
        self._documents.append(document_row(result, processed_at, rules_version, self.run_id))
        self.counts[result.raw.status] = self.counts.get(result.raw.status, 0) + 1
        if result.analysis is not None:
            self._write("tokens", arrow_table(token_rows(result.analysis), "tokens"))
        if result.raw.status == "ok":
            self._write(MACHINE_EXTRACTIONS, arrow_table(extraction_rows(result.extractions, self.run_id),
                                                         MACHINE_EXTRACTIONS))
            reviewed = self._reviewed(result)
            self._write("extractions", arrow_table(extraction_rows(reviewed.extractions, self.run_id), "extractions"))
            self._strategies.append(strategy_row(reviewed, self.run_id))
            self._values[result.raw.doc_id] = [e.normalized for e in reviewed.extractions
                                               if e.field == "value" and e.review != "rejected"]
            for e in reviewed.extractions:
                if e.review != "rejected":
                    self.field_counts[e.field] += 1

    def _reviewed(self, result: DocumentResult) -> DocumentResult:
        """`result` with the reviewers' decisions on it applied (the machine's items, statuses set)."""
        from ..review.apply import apply_decisions, sentence_locator

        sentences = [(s.start, s.end) for s in result.analysis.sentences] if result.analysis else []
        state = apply_decisions(result.raw.doc_id, result.raw.text or "", result.extractions,
                                self.decisions.get(result.raw.doc_id, ()), sentence_locator(sentences))
        if self.decisions.get(result.raw.doc_id):
            self.reviews[result.raw.doc_id] = state
        return replace(result, extractions=state.extractions)

    def finish_tables(self) -> None:
        """Close the streamed tables and write the per-document ones (idempotent)."""
        if self._finished:
            return
        for name in ("tokens", "extractions", MACHINE_EXTRACTIONS):
            self._write(name, arrow_table([], name))
            self._flush(name)
        for writer in self._writers.values():
            writer.close()
        docs = sorted(self._documents, key=lambda r: r["doc_id"])
        self._write_table("documents", docs)
        self._write_table("strategies", sorted(self._strategies, key=lambda r: r["doc_id"]))
        self._write_table("values", values_rows(docs, self._values, self.run_id))
        self._write_history(docs)
        self._finished = True

    def review_counts(self) -> dict[str, int]:
        """Decisions applied in this run: documents reviewed, items by status, stale decisions."""
        out = {"documents_reviewed": sum(1 for r in self.reviews.values() if r.reviewed),
               # the newest decision this run saw: a later decision means the tables are out of date
               "last_decision": max((d.id for ds in self.decisions.values() for d in ds), default=0)}
        for state in self.reviews.values():
            for key, n in state.counts().items():
                if key != "unreviewed":
                    out[key] = out.get(key, 0) + n
        return out

    def _write_history(self, docs: list[dict]) -> None:
        """The previous run's history plus what this run changed (see `store.history`)."""
        prev_dir = self.out_dir / RUNS / self.previous if self.previous else None
        ext_columns = ["doc_id", "field", "item", "normalized", "text", "start", "end", "rule_id"]
        new_ext = pq.read_table(self.staging / "extractions.parquet", columns=ext_columns).to_pylist()
        old_docs: list[dict] = []
        old_ext: list[dict] = []
        kept = arrow_table([], "history")
        if prev_dir is not None and (prev_dir / "documents.parquet").is_file():
            old_docs = pq.read_table(prev_dir / "documents.parquet", columns=["doc_id", "sha256", "status"]).to_pylist()
            old_ext = pq.read_table(prev_dir / "extractions.parquet", columns=ext_columns).to_pylist()
            if (prev_dir / "history.parquet").is_file():
                kept = pq.read_table(prev_dir / "history.parquet").cast(TABLES["history"])
        rows = history_rows(self.run_id, datetime.now(timezone.utc), self.previous,
                            document_changes(old_docs, docs), extraction_changes(old_ext, new_ext))
        table = pa.concat_tables([kept.replace_schema_metadata(None), arrow_table(rows, "history")])
        pq.write_table(table.replace_schema_metadata(self.schema("history").metadata), self.staging / "history.parquet")

    def staged_results(self) -> RunResults:
        """This run's results before they are published (for the report)."""
        self.finish_tables()
        return read_results(self.staging)

    def commit(self, info: dict, report_html: str | None = None) -> Path:
        self.finish_tables()
        if report_html is not None:
            (self.staging / REPORT).write_text(report_html, encoding="utf-8")
        info = {**info, "run_id": self.run_id, "previous_run": self.previous,
                "counts": self.counts, "extractions": self.field_counts, "review": self.review_counts()}
        (self.staging / "run.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
        _fsync_tree(self.staging)
        final = self.out_dir / RUNS / self.run_id
        os.rename(self.staging, final)
        _fsync_dir(final.parent)
        _point_current(self.out_dir, final)
        _ensure_stable_links(self.out_dir)
        _prune_runs(self.out_dir, keep={self.run_id, self.previous})
        return final

    def abort(self) -> None:
        for writer in self._writers.values():
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - already failing; cleanup must not mask it
                pass
        shutil.rmtree(self.staging, ignore_errors=True)


def write_report(out_dir: Path | str, html: str) -> Path:
    """Rewrite the current run's report (for `python -m pipeline report`)."""
    run = resolve_run(out_dir)
    if run is None:
        raise OutputError(f"no complete run in {out_dir} to report on")
    check_output_folder(Path(out_dir))
    with output_lock(Path(out_dir)):
        _write_new_file(run / REPORT, html)
        _ensure_stable_links(Path(out_dir))
    return Path(out_dir) / REPORT


def _write_new_file(path: Path, text: str) -> None:
    """Write `path` through a fresh, exclusively created temporary beside it (never through a link)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # replaces a link at `path` itself, never its target
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_link(out_dir: Path, name: str) -> Path:
    """The temporary link `name` is published through; a leftover one (a killed run's) is removed."""
    tmp = out_dir / f".{name}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    elif tmp.exists():
        raise OutputError(f"{tmp} is {_what_is(tmp)} the pipeline did not write; move it away and run again")
    return tmp


def _point_current(out_dir: Path, run_dir: Path) -> None:
    tmp = _tmp_link(out_dir, CURRENT)
    os.symlink(os.path.relpath(run_dir, out_dir), tmp)
    os.replace(tmp, out_dir / CURRENT)  # rename(2) over the old link: atomic
    _fsync_dir(out_dir)


def _ensure_stable_links(out_dir: Path) -> None:
    for name in STABLE_LINKS:
        link = out_dir / name
        target = os.path.join(CURRENT, name)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        tmp = _tmp_link(out_dir, name)
        os.symlink(target, tmp)
        os.replace(tmp, link)


def new_run_id(now: datetime, out_dir: Path) -> str:
    base = now.strftime("%Y%m%dT%H%M%S%fZ")
    run_id, n = base, 1
    while (out_dir / RUNS / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


@contextmanager
def open_run(out_dir: Path | str, wait_seconds: float = 0.0, reviews: Path | str | None = None,
             metadata: Mapping[str, str] | None = None) -> Iterator[tuple[RunWriter, PreviousOutputs]]:
    """Lock `out_dir`, give a writer for the new run and the previous outputs.

    The writer applies the reviewers' decisions in `reviews` (default: the
    `<out_dir>.reviews.sqlite` beside the folder; none when it does not exist).
    `metadata` (e.g. model, rules_version) goes into every table's parquet metadata.

    The caller must call `writer.commit(...)`; if the block raises, nothing
    is published and the staging folder is removed.
    """
    out_dir = Path(out_dir)
    check_output_folder(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create output directory {out_dir}: {err.strerror}") from err
    if not os.access(out_dir, os.W_OK):
        raise OutputError(f"output directory {out_dir} is not writable")
    with output_lock(out_dir, wait_seconds):
        check_output_folder(out_dir)  # again under the lock: the folder may have changed meanwhile
        _claim(out_dir)
        (out_dir / RUNS).mkdir(exist_ok=True)
        _remove_stale_staging(out_dir)
        current = resolve_run(out_dir)
        previous = PreviousOutputs(current)
        decisions = read_decisions(reviews if reviews is not None else default_reviews_path(out_dir))
        writer = RunWriter(out_dir, new_run_id(datetime.now(timezone.utc), out_dir),
                           current.name if current else None, decisions, metadata)
        try:
            yield writer, previous
        except BaseException:
            writer.abort()
            raise
