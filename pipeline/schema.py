"""The output contract: table names, columns and their Arrow types.

Analysts rely on these being identical every run (`pd.read_parquet` gives the
same dtypes); README.md's data dictionary documents each column.
"""
from __future__ import annotations

import pyarrow as pa

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
    ("region", pa.string()),        # organisation named in the text
    ("decided_on", pa.string()),    # ISO date of the decision, where stated
    ("decided_by", pa.string()),    # aluevaltuusto | aluehallitus | ..., where stated
    ("period", pa.string()),        # strategy period, e.g. "2026–2029" or "vuoteen 2025"
    ("n_sentences", pa.int64()),
    ("n_tokens", pa.int64()),
    ("processed_at", TS),           # when this document's analysis was produced
    ("model", pa.string()),         # NLP model name@fingerprint
    ("rules_version", pa.string()), # hash of the extraction rules used
    ("text", pa.string()),          # decoded text all offsets index into
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
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("sentence", pa.int64()),
    ("rule_id", pa.string()),
    ("confidence", pa.float64()),
    ("review", pa.string()),        # unreviewed | accepted | rejected | edited | added (pipeline.review)
])

STRATEGIES = pa.schema([
    ("doc_id", pa.string()),
    ("region", pa.string()),
    ("mission", pa.string()),
    ("vision", pa.string()),
    ("values", STR_LIST),           # normalized base forms
    ("goals", STR_LIST),
])

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "tokens": TOKENS,
    "extractions": EXTRACTIONS,
    "strategies": STRATEGIES,
}

# Kept in each run folder beside the tables, not linked at the top: the extractions as the
# machine made them, before reviewers' decisions (every `review` "unreviewed").  What a
# later run reuses, what `load(reviewed=False)` and `evaluate` read.
MACHINE_EXTRACTIONS = "machine_extractions"
SCHEMAS: dict[str, pa.Schema] = {**TABLES, MACHINE_EXTRACTIONS: EXTRACTIONS}
