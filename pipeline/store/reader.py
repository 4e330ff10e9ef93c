"""Reading published runs: the analysts' `load`, the report's typed records, and what a run may reuse."""
from __future__ import annotations

from typing import TYPE_CHECKING

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError
from ..schema import CATEGORIES, DATES, LISTS, MACHINE_EXTRACTIONS, TABLES
from ..types import (Change, DocumentMetadata, DocumentResult, Extraction, RawDocument, RunResults, StoredDocument,
                     Strategy, WorkItem)
from .history import document_changes, extraction_changes
from .layout import CURRENT, RUNS
from .rows import analysis_from_tokens, arrow_table, strategy_row, to_iso

if TYPE_CHECKING:
    import pandas as pd  # imported when a table is read: a check that reads none stays fast


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
    return {name: read_table(run_dir, name) for name in names}


def _arrow(run_dir: Path, name: str) -> pa.Table:
    path = run_dir / f"{name}.parquet"
    # A run written before the table existed (schema 1 had no values or history) reads as empty.
    return pq.read_table(path) if path.is_file() else arrow_table([], name)


def table_metadata(table: pa.Table) -> dict[str, str]:
    """The `pipeline.*` parquet metadata of a table (schema_version, run_id, model, rules_version, table)."""
    raw = table.schema.metadata or {}
    return {k.decode()[len("pipeline."):]: v.decode() for k, v in raw.items() if k.startswith(b"pipeline.")}


def typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table as analysts get it: categoricals, dates as datetime64, list cells as lists."""
    import pandas as pd

    for column, known in CATEGORIES.get(name, {}).items():
        if column in frame:
            seen = sorted(set(frame[column].dropna()) - set(known))
            frame[column] = pd.Categorical(frame[column], categories=[*known, *seen], ordered=column == "field")
    for column in DATES.get(name, ()):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    for column in LISTS.get(name, ()):
        if column in frame:
            frame[column] = pd.Series([None if v is None else list(v) for v in frame[column]], index=frame.index,
                                      dtype=object)
    return frame


def read_table(run_dir: Path, name: str) -> pd.DataFrame:
    """One table of a run, typed (`typed`), its parquet metadata in `frame.attrs["pipeline"]`."""
    table = _arrow(run_dir, name)
    frame = typed(table.to_pandas(), name)
    frame.attrs["pipeline"] = table_metadata(table)
    return frame


def _rows(path: Path) -> list[dict]:
    # Arrow's own conversion gives None for nulls, lists for list cells and datetimes for
    # timestamps; going through pandas would give NaN/NaT and numpy arrays to undo.
    return pq.read_table(path).to_pylist()


def machine_extractions_path(run_dir: Path) -> Path:
    """The run's extractions before review (runs older than reviews have only extractions.parquet)."""
    path = run_dir / f"{MACHINE_EXTRACTIONS}.parquet"
    return path if path.is_file() else run_dir / "extractions.parquet"


def _extraction(row: dict) -> Extraction:
    return Extraction(**{k: row[k] for k in Extraction.__dataclass_fields__ if k in row})


def read_results(run_dir: Path, reviewed: bool = True) -> RunResults:
    """A run's documents, extractions and strategies as typed records (for the report).

    Nulls are None and list cells tuples; documents come sorted by doc_id, each
    with its extractions in the order the run wrote them: as reviewed (the
    tables), or with `reviewed=False` as the machine made them.
    """
    extractions: dict[str, list[Extraction]] = {}
    source = run_dir / "extractions.parquet" if reviewed else machine_extractions_path(run_dir)
    for row in _rows(source):
        extractions.setdefault(row["doc_id"], []).append(_extraction(row))
    strategies = {row["doc_id"]: Strategy(row["mission"], row["vision"], tuple(row["values"]), tuple(row["goals"]))
                  for row in _rows(run_dir / "strategies.parquet")}
    documents = []
    for row in sorted(_rows(run_dir / "documents.parquet"), key=lambda r: r["doc_id"]):
        doc_id = row["doc_id"]
        raw = RawDocument(doc_id, row["source"], row["sha256"], row["status"], reason=row["reason"],
                          text=row["text"], language=row["language"], notes=tuple(row["notes"]))
        metadata = DocumentMetadata(row["region"], to_iso(row["decided_on"]), row["decided_by"], row["period"],
                                    organisation_id=row.get("organisation_id"),
                                    organisation_kind=row.get("organisation_kind"))
        documents.append(StoredDocument(raw, metadata, row["n_sentences"], row["n_tokens"], row["processed_at"],
                                        row["model"], row["rules_version"], tuple(extractions.get(doc_id, ())),
                                        strategies.get(doc_id)))
    history = tuple(Change(**row) for row in _arrow(run_dir, "history").to_pylist())
    return RunResults(tuple(documents), history)


def run_dir(out_dir: Path | str, run: str = "current") -> Path:
    """The folder of a run: "current", "previous" (the one before it) or a run_id kept in `out_dir`."""
    current = resolve_run(out_dir)
    if current is None:
        raise OutputError(f"no complete run in {out_dir}; run `python -m pipeline run --out-dir {out_dir}` first")
    if run == "current":
        return current
    if run == "previous":
        prev = previous_run(out_dir)
        if prev is None:
            raise OutputError(f"{out_dir} keeps no run before the current one ({current.name})")
        return prev
    folder = Path(out_dir) / RUNS / run
    if not (folder / "run.json").is_file():
        kept = sorted(p.name for p in (Path(out_dir) / RUNS).iterdir() if (p / "run.json").is_file())
        raise OutputError(f"no run {run!r} in {out_dir}; kept runs: {', '.join(kept)} (or 'current', 'previous')")
    return folder


def _check_names(names: Iterable[str]) -> list[str]:
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise ValueError(f"unknown table {', '.join(map(repr, unknown))}; the tables are: {', '.join(TABLES)}")
    return names


def load(out_dir: Path | str = "outputs", tables: Iterable[str] = tuple(TABLES),
         run: str = "current", reviewed: bool = True) -> dict[str, pd.DataFrame]:
    """Load a run's tables as DataFrames, all from the same run (the current one unless `run` says
    "previous" or a run_id); as reviewed (reviewers' decisions applied) unless `reviewed=False`,
    which gives the machine's extractions and strategies.  Categorical status/field/language/decided_by/rule_id, `decided_on` as
    datetime64, list cells as lists; each frame's `attrs["pipeline"]` holds the table's metadata.

    The tables are as reviewed: extractions carry a `review` status (rejected
    rows stay, marked), strategies leave rejected items out.  `reviewed=False`
    gives the machine's own extractions and strategies instead.

    >>> from pipeline import load
    >>> tables = load("outputs"); tables["extractions"].head()
    """
    names = _check_names(tables)
    folder = run_dir(out_dir, run)
    if reviewed:
        return read_tables(folder, names)
    out = read_tables(folder, [n for n in names if n not in ("extractions", "strategies")])
    machine = pq.read_table(machine_extractions_path(folder))
    if "extractions" in names:
        out["extractions"] = typed(arrow_table(machine.to_pylist(), "extractions").to_pandas(), "extractions")
    if "strategies" in names:
        out["strategies"] = typed(_machine_strategies(folder, machine.to_pylist()), "strategies")
    return {n: out[n] for n in names}


def _machine_strategies(run_dir: Path, machine_rows: list[dict]) -> pd.DataFrame:
    by_doc: dict[str, list[Extraction]] = {}
    for row in machine_rows:
        by_doc.setdefault(row["doc_id"], []).append(_extraction(row))
    rows = []
    for row in _rows(run_dir / "strategies.parquet"):
        raw = RawDocument(row["doc_id"], "", None, "ok")
        metadata = DocumentMetadata(row["region"], organisation_id=row.get("organisation_id"))
        result = DocumentResult(raw, None, metadata, tuple(by_doc.get(row["doc_id"], ())))
        rows.append({**strategy_row(result, row.get("run_id")), "organisation_name": row.get("organisation_name")})
    return arrow_table(rows, "strategies").to_pandas()


def diff(out_dir: Path | str = "outputs", old: str = "previous", new: str = "current") -> dict[str, pd.DataFrame]:
    """What changed between two runs: {"documents": doc_id, change, detail;
    "extractions": doc_id, field, normalized, change, text, detail} (change: added | changed | removed).

    The same comparison the change history records (`history.parquet`), for any two kept runs.
    """
    import pandas as pd

    a, b = run_dir(out_dir, old), run_dir(out_dir, new)
    ext_columns = ["doc_id", "field", "item", "normalized", "text", "start", "end", "rule_id"]
    docs = document_changes(*(_arrow(d, "documents").select(["doc_id", "sha256", "status"]).to_pylist() for d in (a, b)))
    exts = extraction_changes(*(_arrow(d, "extractions").select(ext_columns).to_pylist() for d in (a, b)))
    return {
        "documents": pd.DataFrame(docs, columns=["doc_id", "change", "detail"]),
        "extractions": pd.DataFrame(exts, columns=["doc_id", "field", "normalized", "change", "text", "detail"]),
    }


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
                meta = DocumentMetadata(prev.get("region"), to_iso(prev.get("decided_on")), prev.get("decided_by"),
                                        prev.get("period"), organisation_id=prev.get("organisation_id"),
                                        organisation_kind=prev.get("organisation_kind"))
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
        # The machine's own extractions: a reused document gets the decisions applied afresh.
        frame = pq.read_table(machine_extractions_path(self.run_dir),
                              filters=[("doc_id", "in", doc_ids)]).to_pandas()
        out: dict[str, list[Extraction]] = {}
        for row in frame.sort_values(["doc_id", "start", "field", "item"]).to_dict("records"):
            out.setdefault(row["doc_id"], []).append(replace(_extraction(row), review="unreviewed"))
        return out
