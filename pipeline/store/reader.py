"""Reading published runs: the analysts' `load`, the report's typed records, and what a run may reuse."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
import pyarrow.parquet as pq

from ..errors import OutputError
from ..schema import TABLES
from ..types import DocumentMetadata, DocumentResult, Extraction, RawDocument, RunResults, StoredDocument, Strategy, WorkItem
from .layout import CURRENT, RUNS
from .rows import analysis_from_tokens


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


class PreviousOutputs:
    """Read access to the current run's outputs, used to skip unchanged work."""

    def __init__(self, run_dir: Path | None):
        self.run_dir = run_dir
        rows = _rows(run_dir / "documents.parquet") if run_dir is not None else []
        self.by_id: dict[str, dict] = {r["doc_id"]: r for r in rows}

    def languages_by_sha256(self) -> dict[str, str]:
        """sha256 → detected language of every file in this run.

        Detection is a pure function of the file's bytes, so an unchanged file
        need not be classified again.
        """
        return {r["sha256"]: r["language"] for r in self.by_id.values() if r.get("sha256") and r.get("language")}

    def processed_at(self, doc_id: str) -> datetime | None:
        """When the stored result of `doc_id` was computed (kept while it is reused)."""
        return (self.by_id.get(doc_id) or {}).get("processed_at")

    def processed_at_if_unchanged(self, raw: RawDocument) -> datetime | None:
        """The stored processed_at of a rejected or skipped document whose bytes, status and reason are unchanged.

        Keeps an unchanged re-run's tables identical; any change gives the caller None (stamp it anew).
        """
        prev = self.by_id.get(raw.doc_id)
        if prev is None or (prev.get("sha256"), prev.get("status"), prev.get("reason")) != (
                raw.sha256, raw.status, raw.reason):
            return None
        return prev.get("processed_at")

    def reused_results(self, items: Sequence[WorkItem]) -> list[DocumentResult]:
        """The stored results of unchanged documents, in the order of `items`.

        Every item gets its stored analysis; those planned "reuse_all" also get
        their stored metadata and extractions, the others ("reuse_analysis")
        none, for the caller to extract again.  One filtered scan per table.
        """
        if not items:
            return []
        tokens = self._tokens_for([w.reuse_from or w.raw.doc_id for w in items])
        extractions = self._extractions_for([w.raw.doc_id for w in items if w.action == "reuse_all"])
        out = []
        for w in items:
            stored_id = w.reuse_from or w.raw.doc_id
            prev = self.by_id[stored_id]
            analysis = analysis_from_tokens(w.raw.doc_id, w.raw.text or "", prev["model"], tokens.get(stored_id))
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
