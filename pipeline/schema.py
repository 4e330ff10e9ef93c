"""The output contract: table names, columns and their Arrow types (and how `load` types them).

Analysts rely on these being identical every run (`pd.read_parquet` gives the
same dtypes); README.md's data dictionary documents each column.
"""
from __future__ import annotations

import pyarrow as pa

# Bumped when a table gains, loses or retypes a column; stored in every table's parquet metadata.
SCHEMA_VERSION = "2"

TS = pa.timestamp("us", tz="UTC")
STR_LIST = pa.list_(pa.string())

DOCUMENTS = pa.schema([
    ("doc_id", pa.string()),        # raw-dir-relative path without .txt, '/'-separated
    ("source", pa.string()),        # raw-dir-relative path of the file
    ("sha256", pa.string()),        # of the file's bytes; null when unreadable
    ("status", pa.string()),        # ok | rejected | skipped
    ("reason", pa.string()),        # why rejected / skipped; null when ok
    ("notes", STR_LIST),            # repairs made while reading (encoding, BOM, CRLF, HTML)
    ("language", pa.string()),      # ISO 639-1 code detected from the text
    ("region", pa.string()),        # organisation named in the text (= organisation_name)
    ("organisation_id", pa.string()),    # stable id: registry id or slug of the name
    ("organisation_name", pa.string()),  # official name (registry) or the name's base form
    ("organisation_kind", pa.string()),  # hyvinvointialue | kaupunki | kunta | liitto | kuntayhtymä | ...
    ("decided_on", pa.date32()),    # date of the decision, where stated
    ("decided_by", pa.string()),    # aluevaltuusto | aluehallitus | ..., where stated
    ("period", pa.string()),        # strategy period, e.g. "2026–2029" or "vuoteen 2025"
    ("n_sentences", pa.int64()),
    ("n_tokens", pa.int64()),
    ("processed_at", TS),           # when this document's analysis was produced
    ("model", pa.string()),         # NLP model name@fingerprint
    ("rules_version", pa.string()), # hash of the extraction rules used
    ("text", pa.string()),          # decoded text all offsets index into
    ("run_id", pa.string()),        # the run these tables belong to
])

TOKENS = pa.schema([
    ("doc_id", pa.string()),
    ("sentence", pa.int64()),
    ("token", pa.int64()),
    ("text", pa.string()),
    ("lemma", pa.string()),
    ("upos", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
])

EXTRACTIONS = pa.schema([
    ("doc_id", pa.string()),
    ("field", pa.string()),         # mission | vision | value | goal
    ("item", pa.int64()),           # order within the field
    ("text", pa.string()),          # verbatim: documents.text[start:end]
    ("normalized", pa.string()),
    ("concept", pa.string()),       # values: forms of one value grouped (pipeline/concepts.py); else null
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("sentence", pa.int64()),
    ("rule_id", pa.string()),
    ("confidence", pa.float64()),
    ("review", pa.string()),        # unreviewed | accepted | rejected | edited | added (pipeline.review)
    ("run_id", pa.string()),
])

STRATEGIES = pa.schema([
    ("doc_id", pa.string()),
    ("region", pa.string()),
    ("organisation_id", pa.string()),
    ("organisation_name", pa.string()),
    ("mission", pa.string()),
    ("vision", pa.string()),
    ("values", STR_LIST),           # normalized base forms
    ("goals", STR_LIST),
    ("run_id", pa.string()),
])

# One row per organisation and value, from the organisation's latest strategy that states values.
VALUES = pa.schema([
    ("organisation_id", pa.string()),    # null when no organisation was recognised (one document then)
    ("organisation_name", pa.string()),
    ("organisation_kind", pa.string()),
    ("value", pa.string()),              # normalized, as stated
    ("concept", pa.string()),            # the value's concept (vastuullinen, vastuullisuus → vastuullisuus)
    ("item", pa.int64()),                # order in that document's values
    ("doc_id", pa.string()),             # the strategy the row comes from
    ("decided_on", pa.date32()),
    ("period", pa.string()),
    ("n_documents", pa.int64()),         # documents of this organisation that state values
    ("run_id", pa.string()),
])

# Append-only: every run adds what it changed (nothing when nothing changed); kept by the store.
HISTORY = pa.schema([
    ("run_id", pa.string()),             # the run that made the change
    ("committed_at", TS),
    ("previous_run", pa.string()),       # what it was compared with (null: first run)
    ("object", pa.string()),             # document | extraction
    ("change", pa.string()),             # added | changed | removed
    ("doc_id", pa.string()),
    ("field", pa.string()),              # extractions: mission | vision | value | goal
    ("normalized", pa.string()),         # extractions: the item's normalized form
    ("text", pa.string()),               # extractions: verbatim text (the new one when changed)
    ("detail", pa.string()),             # what changed: "content", "status ok → rejected", "text", ...
])

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "tokens": TOKENS,
    "extractions": EXTRACTIONS,
    "strategies": STRATEGIES,
    "values": VALUES,
    "history": HISTORY,
}

# Kept in each run folder beside the tables, not linked at the top: the extractions as the
# machine made them, before reviewers' decisions (every `review` "unreviewed").  What a
# later run reuses, what `load(reviewed=False)` and `evaluate` read.
MACHINE_EXTRACTIONS = "machine_extractions"
SCHEMAS: dict[str, pa.Schema] = {**TABLES, MACHINE_EXTRACTIONS: EXTRACTIONS}
# Columns `load()` gives a pandas categorical dtype (fixed categories first where the set is known).
CATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "documents": {"status": ("ok", "rejected", "skipped"), "language": (), "decided_by": (),
                  "organisation_kind": (), "run_id": ()},
    "extractions": {"field": ("mission", "vision", "value", "goal"), "rule_id": (), "run_id": ()},
    "strategies": {"run_id": ()},
    "values": {"organisation_kind": (), "run_id": ()},
    "history": {"object": ("document", "extraction"), "change": ("added", "changed", "removed"),
                "field": ("mission", "vision", "value", "goal"), "run_id": ()},
    "tokens": {"upos": ()},
}
DATES = {"documents": ("decided_on",), "values": ("decided_on",)}
LISTS = {"documents": ("notes",), "strategies": ("values", "goals")}
