"""The one writer of the output directory, and the reader of previous outputs.

Layout of an output directory::

    runs/<run_id>/{documents,tokens,extractions,strategies}.parquet, report.html, run.json
    current -> runs/<run_id>            # switched atomically when a run commits
    documents.parquet -> current/documents.parquet   (same for every table and report.html)
    .lock                               # held with flock while a run writes

A run writes its tables into a hidden staging folder, fsyncs them, renames the
folder into `runs/` and then replaces the `current` symlink with one atomic
`rename`.  A run killed at any moment therefore leaves `current` pointing at the
previous complete run; the next run removes the leftover staging folder.  The
lock is an `flock` on `.lock`: the kernel drops it when its process dies, so a
crashed run never blocks the next one.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import OutputError, OutputLockedError
from .schema import TABLES
from .types import (Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, RunResults, Sentence,
                    StoredDocument, Strategy, Token, WorkItem)

CURRENT = "current"
RUNS = "runs"
LOCK = ".lock"
REPORT = "report.html"


# --------------------------------------------------------------------------- rows (pure)

def document_row(result: DocumentResult, processed_at: datetime, rules_version: str | None) -> dict:
    raw, analysis, meta = result.raw, result.analysis, result.metadata
    return {
        "doc_id": raw.doc_id, "source": raw.source, "sha256": raw.sha256, "status": raw.status,
        "reason": raw.reason, "notes": list(raw.notes), "language": raw.language,
        "region": meta.region, "decided_on": meta.decided_on, "decided_by": meta.decided_by,
        "period": meta.period,
        "n_sentences": len(analysis.sentences) if analysis else 0,
        "n_tokens": len(analysis.tokens) if analysis else 0,
        "processed_at": processed_at,
        "model": analysis.model if analysis else None,
        "rules_version": rules_version if analysis else None,
        "text": raw.text,
    }


def token_rows(analysis: Analysis) -> dict[str, list]:
    toks = analysis.tokens
    return {
        "doc_id": [analysis.doc_id] * len(toks),
        "sentence": [t.sentence for t in toks], "token": [t.index for t in toks],
        "text": [t.text for t in toks], "lemma": [t.lemma for t in toks], "upos": [t.upos for t in toks],
        "start": [t.start for t in toks], "end": [t.end for t in toks],
    }


def extraction_rows(extractions: Iterable[Extraction]) -> list[dict]:
    return [asdict(e) for e in extractions]


def strategy_row(result: DocumentResult) -> dict:
    by_field: dict[str, list[str]] = {"mission": [], "vision": [], "value": [], "goal": []}
    for e in result.extractions:
        by_field[e.field].append(e.normalized)
    return {
        "doc_id": result.raw.doc_id, "region": result.metadata.region,
        "mission": " / ".join(by_field["mission"]) or None,
        "vision": " / ".join(by_field["vision"]) or None,
        "values": by_field["value"], "goals": by_field["goal"],
    }


def analysis_from_tokens(doc_id: str, text: str, model: str, frame: pd.DataFrame | None) -> Analysis:
    """Rebuild an `Analysis` from stored token rows (sentences follow from them); None: no tokens."""
    if frame is None:
        return Analysis(doc_id, text, (), (), model)
    if not frame["token"].is_monotonic_increasing:
        frame = frame.sort_values("token")
    columns = [frame[c].tolist() for c in ("token", "sentence", "text", "lemma", "upos", "start", "end")]
    tokens = tuple(map(Token, *columns))
    sentences = []
    first = 0
    for i, tok in enumerate(tokens):
        last_of_sentence = i + 1 == len(tokens) or tokens[i + 1].sentence != tok.sentence
        if last_of_sentence:
            sentences.append(Sentence(tok.sentence, tokens[first].start, tok.end, first, i + 1))
            first = i + 1
    return Analysis(doc_id, text, tuple(sentences), tokens, model)


def _table(rows: list[dict] | dict[str, list], name: str) -> pa.Table:
    schema = TABLES[name]
    if isinstance(rows, dict):
        return pa.Table.from_pydict(rows, schema=schema)
    return pa.Table.from_pylist(rows, schema=schema)


# --------------------------------------------------------------------------- reading

def resolve_run(out_dir: Path | str) -> Path | None:
    """The folder of the current complete run, or None before the first run."""
    link = Path(out_dir) / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if (target / "run.json").is_file() else None


def previous_run(out_dir: Path | str) -> Path | None:
    """The run before the current one (what the report compares against)."""
    current = resolve_run(out_dir)
    if current is None:
        return None
    info = json.loads((current / "run.json").read_text(encoding="utf-8"))
    prev = info.get("previous_run")
    if prev and (Path(out_dir) / RUNS / prev / "run.json").is_file():
        return Path(out_dir) / RUNS / prev
    return None


def read_tables(run_dir: Path, names: Iterable[str] = ("documents", "extractions", "strategies")) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(run_dir / f"{name}.parquet") for name in names}


def _rows(path: Path) -> list[dict]:
    # Arrow's own conversion gives None for nulls, lists for list cells and datetimes for
    # timestamps; going through pandas would give NaN/NaT and numpy arrays to undo.
    return pq.read_table(path).to_pylist()


def read_results(run_dir: Path) -> RunResults:
    """A run's documents, extractions and strategies as typed records (for the report).

    Nulls are None and list cells tuples; documents come sorted by doc_id, each
    with its extractions in the order the run wrote them.
    """
    extractions: dict[str, list[Extraction]] = {}
    for row in _rows(run_dir / "extractions.parquet"):
        extractions.setdefault(row["doc_id"], []).append(Extraction(**row))
    strategies = {row["doc_id"]: Strategy(row["mission"], row["vision"], tuple(row["values"]), tuple(row["goals"]))
                  for row in _rows(run_dir / "strategies.parquet")}
    documents = []
    for row in sorted(_rows(run_dir / "documents.parquet"), key=lambda r: r["doc_id"]):
        doc_id = row["doc_id"]
        raw = RawDocument(doc_id, row["source"], row["sha256"], row["status"], reason=row["reason"],
                          text=row["text"], language=row["language"], notes=tuple(row["notes"]))
        metadata = DocumentMetadata(row["region"], row["decided_on"], row["decided_by"], row["period"])
        documents.append(StoredDocument(raw, metadata, row["n_sentences"], row["n_tokens"], row["processed_at"],
                                        row["model"], row["rules_version"], tuple(extractions.get(doc_id, ())),
                                        strategies.get(doc_id)))
    return RunResults(tuple(documents))


def load(out_dir: Path | str = "outputs", tables: Iterable[str] = tuple(TABLES)) -> dict[str, pd.DataFrame]:
    """Load the current run's tables as DataFrames, all from the same run.

    >>> from pipeline import load
    >>> tables = load("outputs"); tables["extractions"].head()
    """
    run = resolve_run(out_dir)
    if run is None:
        raise OutputError(f"no complete run in {out_dir}; run `python -m pipeline run --out-dir {out_dir}` first")
    return read_tables(run, tables)


def run_info(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def _none_if_missing(value):
    """pandas gives NaN / NA for nulls; Arrow and our records want None."""
    if value is None or (hasattr(value, "__len__") and not isinstance(value, str)):
        return value
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value


class PreviousOutputs:
    """Read access to the current run's outputs, used to skip unchanged work."""

    def __init__(self, run_dir: Path | None):
        self.run_dir = run_dir
        if run_dir is not None:
            self.documents = pd.read_parquet(run_dir / "documents.parquet")
        else:
            self.documents = pd.DataFrame({c: pd.Series(dtype="object") for c in TABLES["documents"].names})
        self.by_id = {r["doc_id"]: {k: _none_if_missing(v) for k, v in r.items()}
                      for r in self.documents.to_dict("records")}

    def languages_by_sha256(self) -> dict[str, str]:
        """sha256 → detected language of every file in this run.

        Detection is a pure function of the file's bytes, so an unchanged file
        need not be classified again.
        """
        return {r["sha256"]: r["language"] for r in self.by_id.values() if r.get("sha256") and r.get("language")}

    def processed_at(self, doc_id: str) -> datetime | None:
        """When the stored result of `doc_id` was computed (kept while it is reused)."""
        return (self.by_id.get(doc_id) or {}).get("processed_at")

    def reused_results(self, items: Sequence[WorkItem]) -> list[DocumentResult]:
        """The stored results of unchanged documents, in the order of `items`.

        Every item gets its stored analysis; those planned "reuse_all" also get
        their stored metadata and extractions, the others ("reuse_analysis")
        none, for the caller to extract again.  One filtered scan per table.
        """
        if not items:
            return []
        tokens = self._tokens_for([w.raw.doc_id for w in items])
        extractions = self._extractions_for([w.raw.doc_id for w in items if w.action == "reuse_all"])
        out = []
        for w in items:
            prev = self.by_id[w.raw.doc_id]
            analysis = analysis_from_tokens(w.raw.doc_id, w.raw.text or "", prev["model"], tokens.get(w.raw.doc_id))
            if w.action == "reuse_all":
                meta = DocumentMetadata(prev.get("region"), prev.get("decided_on"), prev.get("decided_by"),
                                        prev.get("period"))
                out.append(DocumentResult(w.raw, analysis, meta, tuple(extractions.get(w.raw.doc_id, ()))))
            else:
                out.append(DocumentResult(w.raw, analysis))
        return out

    def _tokens_for(self, doc_ids: list[str]) -> dict[str, pd.DataFrame]:
        if self.run_dir is None or not doc_ids:
            return {}
        frame = pq.read_table(self.run_dir / "tokens.parquet", filters=[("doc_id", "in", doc_ids)]).to_pandas()
        return {doc_id: group for doc_id, group in frame.groupby("doc_id", sort=False)}

    def _extractions_for(self, doc_ids: list[str]) -> dict[str, list[Extraction]]:
        if self.run_dir is None or not doc_ids:
            return {}
        frame = pq.read_table(self.run_dir / "extractions.parquet", filters=[("doc_id", "in", doc_ids)]).to_pandas()
        out: dict[str, list[Extraction]] = {}
        for row in frame.sort_values(["doc_id", "start", "field", "item"]).to_dict("records"):
            out.setdefault(row["doc_id"], []).append(Extraction(**{k: row[k] for k in Extraction.__dataclass_fields__}))
        return out


# --------------------------------------------------------------------------- writing

class RunWriter:
    """Streams one run's tables into a staging folder; `commit` publishes them atomically."""

    def __init__(self, out_dir: Path, run_id: str, previous: str | None):
        self.out_dir = out_dir
        self.run_id = run_id
        self.previous = previous
        self.staging = out_dir / RUNS / f".staging-{run_id}"
        self.staging.mkdir(parents=True)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._documents: list[dict] = []
        self._strategies: list[dict] = []
        self.counts = {"ok": 0, "rejected": 0, "skipped": 0, "reused_analysis": 0, "analyzed": 0}
        self.field_counts = {"mission": 0, "vision": 0, "value": 0, "goal": 0}
        self._finished = False

    def count(self, key: str) -> None:
        """Add one to a run count recorded in run.json (analyzed, reused_analysis, ...)."""
        self.counts[key] = self.counts.get(key, 0) + 1

    def _write(self, name: str, table: pa.Table) -> None:
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.staging / f"{name}.parquet", TABLES[name])
        if table.num_rows:
            self._writers[name].write_table(table)

    def add(self, result: DocumentResult, processed_at: datetime, rules_version: str | None) -> None:
        """Append one document's rows; token and extraction rows go to disk at once."""
        self._documents.append(document_row(result, processed_at, rules_version))
        self.counts[result.raw.status] = self.counts.get(result.raw.status, 0) + 1
        if result.analysis is not None:
            self._write("tokens", _table(token_rows(result.analysis), "tokens"))
        if result.raw.status == "ok":
            self._write("extractions", _table(extraction_rows(result.extractions), "extractions"))
            self._strategies.append(strategy_row(result))
            for e in result.extractions:
                self.field_counts[e.field] += 1

    def finish_tables(self) -> None:
        """Close the streamed tables and write the per-document ones (idempotent)."""
        if self._finished:
            return
        for name in ("tokens", "extractions"):
            self._write(name, _table([], name))
        for writer in self._writers.values():
            writer.close()
        docs = sorted(self._documents, key=lambda r: r["doc_id"])
        pq.write_table(_table(docs, "documents"), self.staging / "documents.parquet")
        strategies = sorted(self._strategies, key=lambda r: r["doc_id"])
        pq.write_table(_table(strategies, "strategies"), self.staging / "strategies.parquet")
        self._finished = True

    def staged_results(self) -> RunResults:
        """This run's results before they are published (for the report)."""
        self.finish_tables()
        return read_results(self.staging)

    def commit(self, info: dict, report_html: str | None = None) -> Path:
        self.finish_tables()
        if report_html is not None:
            (self.staging / REPORT).write_text(report_html, encoding="utf-8")
        info = {**info, "run_id": self.run_id, "previous_run": self.previous,
                "counts": self.counts, "extractions": self.field_counts}
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
    with output_lock(Path(out_dir)):
        tmp = run / f".{REPORT}.tmp"
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, run / REPORT)
        _ensure_stable_links(Path(out_dir))
    return Path(out_dir) / REPORT


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


def _point_current(out_dir: Path, run_dir: Path) -> None:
    tmp = out_dir / f".{CURRENT}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(run_dir, out_dir), tmp)
    os.replace(tmp, out_dir / CURRENT)  # rename(2) over the old link: atomic
    _fsync_dir(out_dir)


def _ensure_stable_links(out_dir: Path) -> None:
    for name in [f"{t}.parquet" for t in TABLES] + [REPORT]:
        link = out_dir / name
        target = os.path.join(CURRENT, name)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        tmp = out_dir / f".{name}.tmp"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(target, tmp)
        os.replace(tmp, link)


def _prune_runs(out_dir: Path, keep: set) -> None:
    for path in (out_dir / RUNS).iterdir():
        if path.name not in keep and not path.name.startswith(".staging-"):
            shutil.rmtree(path, ignore_errors=True)


def _remove_stale_staging(out_dir: Path) -> None:
    # Only called under the lock: any staging folder left is from a killed run.
    for path in (out_dir / RUNS).glob(".staging-*"):
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def output_lock(out_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the output directory's lock; fail with a clear message if another run has it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
                    raise OutputLockedError(
                        f"{out_dir} is being written by another run ({holder}); "
                        "wait for it to finish or use --wait to queue behind it"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def new_run_id(now: datetime, out_dir: Path) -> str:
    base = now.strftime("%Y%m%dT%H%M%S%fZ")
    run_id, n = base, 1
    while (out_dir / RUNS / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


@contextmanager
def open_run(out_dir: Path | str, wait_seconds: float = 0.0) -> Iterator[tuple[RunWriter, PreviousOutputs]]:
    """Lock `out_dir`, give a writer for the new run and the previous outputs.

    The caller must call `writer.commit(...)`; if the block raises, nothing
    is published and the staging folder is removed.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / RUNS).mkdir(exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create output directory {out_dir}: {err.strerror}") from err
    if not os.access(out_dir, os.W_OK):
        raise OutputError(f"output directory {out_dir} is not writable")
    with output_lock(out_dir, wait_seconds):
        _remove_stale_staging(out_dir)
        current = resolve_run(out_dir)
        previous = PreviousOutputs(current)
        writer = RunWriter(out_dir, new_run_id(datetime.now(timezone.utc), out_dir),
                           current.name if current else None)
        try:
            yield writer, previous
        except BaseException:
            writer.abort()
            raise
