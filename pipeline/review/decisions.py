"""Reviewers' decisions: an append-only SQLite history (user data, kept outside the output folder).

One row per decision; nothing is ever updated or deleted (triggers refuse it),
so the table is the audit trail, and undoing is a new decision (`undo`, naming
the decision it cancels).  Every write is one transaction in WAL mode with
`synchronous=FULL`: once `add` returns, the decision survives a crash of this
process (or of the machine), and a pipeline run reading at the same time sees
either all of it or nothing.
"""
from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..errors import PipelineError
from ..types import FIELDS

# accept / reject / edit name a machine extraction (field, start, end, text); edit gives its new
# field and span; add gives a new item; reviewed / unreviewed mark the document; undo cancels one.
ITEM_ACTIONS = ("accept", "reject", "edit")
ACTIONS = (*ITEM_ACTIONS, "add", "reviewed", "unreviewed", "undo")
REVIEWS_SUFFIX = ".reviews.sqlite"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,          -- ISO 8601, UTC
    reviewer TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,              -- of the document text (UTF-8) the decision was made on
    action TEXT NOT NULL CHECK (action IN ({", ".join(repr(a) for a in ACTIONS)})),
    field TEXT,                        -- the item decided on: the machine's (accept, reject, edit) or new (add)
    start INTEGER,
    "end" INTEGER,
    text TEXT,
    new_field TEXT,                    -- edit: the item as the reviewer corrected it
    new_start INTEGER,
    new_end INTEGER,
    new_text TEXT,
    normalized TEXT,                   -- add / edit: base form given by the reviewer (values)
    target INTEGER REFERENCES decisions(id)  -- undo: the decision it cancels
);
CREATE INDEX IF NOT EXISTS decisions_doc ON decisions(doc_id, id);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
"""


class ReviewError(PipelineError):
    """A decision that cannot be stored as given (the message says why)."""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_reviews_path(out_dir: Path | str) -> Path:
    """`outputs` -> `outputs.reviews.sqlite`, beside the folder that runs rewrite and prune."""
    out = Path(out_dir).absolute()
    return out.with_name(out.name + REVIEWS_SUFFIX)


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return os.environ.get("USER") or "reviewer"


@dataclass(frozen=True)
class NewDecision:
    """A decision as a reviewer makes it (before it has an id and a time)."""

    doc_id: str
    sha256: str
    action: str
    field: str | None = None
    start: int | None = None
    end: int | None = None
    text: str | None = None
    new_field: str | None = None
    new_start: int | None = None
    new_end: int | None = None
    new_text: str | None = None
    normalized: str | None = None
    target: int | None = None


@dataclass(frozen=True)
class Decision(NewDecision):
    """A stored decision."""

    id: int = 0
    created_at: str = ""
    reviewer: str = ""


_COLUMNS = ("id", "created_at", "reviewer", "doc_id", "sha256", "action", "field", "start", "end", "text",
            "new_field", "new_start", "new_end", "new_text", "normalized", "target")


def check_shape(d: NewDecision) -> None:
    """Raise ReviewError unless the decision has what its action needs (not checked against a text)."""
    if d.action not in ACTIONS:
        raise ReviewError(f"unknown action {d.action!r}; one of {', '.join(ACTIONS)}")
    if d.action in (*ITEM_ACTIONS, "add"):
        if d.field not in FIELDS or d.start is None or d.end is None or d.text is None:
            raise ReviewError(f"{d.action} needs field (one of {', '.join(FIELDS)}), start, end and text")
    if d.action == "edit":
        if d.new_field not in FIELDS or d.new_start is None or d.new_end is None or d.new_text is None:
            raise ReviewError("edit needs new_field, new_start, new_end and new_text")
    if d.action == "undo" and d.target is None:
        raise ReviewError("undo needs the id of the decision it cancels (target)")


class DecisionStore:
    """The decisions file.  Each call opens its own connection: safe across threads and processes."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise ReviewError(f"cannot open the reviews database {self.path}: {err}") from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=30000")
        db.row_factory = sqlite3.Row
        return db

    def add(self, decision: NewDecision, reviewer: str, now: datetime | None = None) -> Decision:
        """Store one decision in its own transaction; returns it with its id once it is durable."""
        check_shape(decision)
        created = (now or datetime.now(timezone.utc)).isoformat(timespec="milliseconds")
        values = {**{k: getattr(decision, k) for k in _COLUMNS if k not in ("id", "created_at", "reviewer")},
                  "created_at": created, "reviewer": reviewer}
        cols = [c for c in _COLUMNS if c != "id"]
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            if decision.target is not None:
                row = db.execute("SELECT doc_id FROM decisions WHERE id = ?", (decision.target,)).fetchone()
                if row is None or row["doc_id"] != decision.doc_id:
                    db.execute("ROLLBACK")
                    raise ReviewError(f"no decision {decision.target} on document {decision.doc_id!r} to undo")
            cur = db.execute(f"INSERT INTO decisions ({', '.join(_q(c) for c in cols)}) "
                             f"VALUES ({', '.join('?' for _ in cols)})", [values[c] for c in cols])
            db.execute("COMMIT")
            new_id = cur.lastrowid
        finally:
            db.close()
        return Decision(**{**values, "id": int(new_id or 0)})

    def all(self, doc_ids: Iterable[str] | None = None) -> list[Decision]:
        """Every decision (or those on `doc_ids`), oldest first."""
        db = self._connect()
        try:
            rows = db.execute(f"SELECT {', '.join(_q(c) for c in _COLUMNS)} FROM decisions ORDER BY id").fetchall()
        finally:
            db.close()
        wanted = set(doc_ids) if doc_ids is not None else None
        return [Decision(**dict(r)) for r in rows if wanted is None or r["doc_id"] in wanted]

    def by_document(self) -> dict[str, list[Decision]]:
        out: dict[str, list[Decision]] = {}
        for d in self.all():
            out.setdefault(d.doc_id, []).append(d)
        return out


def _q(column: str) -> str:
    return f'"{column}"'


def read_decisions(path: Path | str | None) -> dict[str, list[Decision]]:
    """The decisions in `path` by document; none when the file does not exist (nobody reviewed yet)."""
    if path is None or not Path(path).is_file():
        return {}
    return DecisionStore(path).by_document()


def last_decision_id(path: Path | str | None) -> int:
    """The id of the newest decision in `path` (0 when there is none); read-only, creates nothing.

    A run records it, so a later run can tell cheaply whether reviewers decided anything since.
    """
    if path is None or not Path(path).is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT max(id) FROM decisions").fetchone()
    except sqlite3.DatabaseError as err:
        raise ReviewError(f"cannot read the reviews database {path}: {err}") from None
    return int(row[0] or 0)
