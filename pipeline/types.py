"""Typed records exchanged between the pipeline's stages (frozen dataclasses only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FIELDS = ("mission", "vision", "value", "goal")
# An extraction's review status (the extractions table's `review` column).
REVIEW_STATUSES = ("unreviewed", "accepted", "rejected", "edited", "added")


@dataclass(frozen=True)
class SourceFile:
    """A file found in the raw directory, before it is read."""

    doc_id: str  # path relative to the raw dir, without .txt, '/'-separated
    path: str  # absolute path as found
    source: str  # path relative to the raw dir, as given to users
    # Set when the listing itself shows the file cannot be used (a name that is not UTF-8, a second
    # file for one document id, a link out of the raw folder): it is then rejected unread.
    rejected: str | None = None


@dataclass(frozen=True)
class RawDocument:
    """A raw file after reading and validation.

    `text` is the decoded text all character offsets refer to; it is None when
    the file was rejected.  `notes` lists harmless repairs made while reading
    (encoding, BOM, HTML); `reason` says why a file was rejected or skipped.
    """

    doc_id: str
    source: str
    sha256: str | None
    status: str  # "ok" | "rejected" | "skipped"
    reason: str | None = None
    text: str | None = None
    encoding: str | None = None
    language: str | None = None
    size_bytes: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Token:
    index: int  # position in the document
    sentence: int  # sentence index in the document
    text: str  # == document text[start:end]
    lemma: str
    upos: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int  # character offsets into the document text
    end: int
    first_token: int  # token index range [first_token, last_token)
    last_token: int


@dataclass(frozen=True)
class Analysis:
    """Segmentation and lemmatization of one document's text."""

    doc_id: str
    text: str
    sentences: tuple[Sentence, ...]
    tokens: tuple[Token, ...]
    model: str  # which NLP model produced it (name@hash)


@dataclass(frozen=True)
class Extraction:
    """One extracted item, grounded by its character interval into the document text."""

    doc_id: str
    field: str  # one of FIELDS
    item: int  # order within the field
    text: str  # verbatim: document text[start:end]
    normalized: str
    start: int
    end: int
    sentence: int
    rule_id: str
    confidence: float
    # What a reviewer decided (REVIEW_STATUSES); the machine's own output is "unreviewed".
    # An "edited" item carries the reviewer's span and field, an "added" one has rule_id "review".
    review: str = "unreviewed"


@dataclass(frozen=True)
class DocumentMetadata:
    """What a text says about the strategy itself, where it says it."""

    region: str | None = None
    decided_on: str | None = None  # ISO date of the council's decision
    decided_by: str | None = None  # aluevaltuusto | aluehallitus | ...
    period: str | None = None  # e.g. "2026–2029", "vuoteen 2025"
    # Who the text is by: `region` is the organisation's name (official name for the registry's
    # counties and Helsinki), `organisation_id` its stable id (pipeline/rules/organisations.yaml,
    # else the slug of its name), `organisation_kind` the head of its name (hyvinvointialue, kaupunki, ...).
    organisation_id: str | None = None
    organisation_kind: str | None = None


@dataclass(frozen=True)
class DocumentResult:
    """Everything the pipeline learned about one input file."""

    raw: RawDocument
    analysis: Analysis | None = None
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    extractions: tuple[Extraction, ...] = ()


@dataclass(frozen=True)
class Strategy:
    """One row of the strategies table: a document's extractions summarised by field.

    The row's doc_id and region are not repeated here: they are its document's.
    """

    mission: str | None = None  # the mission items' normalized forms joined by " / "; None when none
    vision: str | None = None
    values: tuple[str, ...] = ()  # normalized forms, in extraction order
    goals: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredDocument:
    """One document of a stored run as read back: its documents row, extractions and strategy.

    The raw record lacks `encoding` and `size_bytes` (None): the documents table
    does not keep them.
    """

    raw: RawDocument
    metadata: DocumentMetadata
    n_sentences: int  # 0 when the document was not analysed
    n_tokens: int
    processed_at: datetime
    model: str | None  # None when the document was not analysed
    rules_version: str | None
    extractions: tuple[Extraction, ...] = ()  # in the order the run wrote them
    strategy: Strategy | None = None  # every "ok" document has one; others have none


@dataclass(frozen=True)
class Change:
    """One row of the change history: what one run changed in a document or an extraction."""

    run_id: str
    committed_at: datetime
    previous_run: str | None  # None: the first run (everything was added)
    object: str  # "document" | "extraction"
    change: str  # "added" | "changed" | "removed"
    doc_id: str
    field: str | None = None  # extractions only
    normalized: str | None = None
    text: str | None = None
    detail: str | None = None  # "content", "status ok → rejected", "text", the rule id, ...


@dataclass(frozen=True)
class RunResults:
    """A run's results as the store hands them back (for the report), documents sorted by doc_id.

    `history` is the change history up to and including this run, oldest first.
    """

    documents: tuple[StoredDocument, ...] = ()
    history: tuple[Change, ...] = ()


@dataclass(frozen=True)
class WorkItem:
    """What the incremental planner decided for one readable document."""

    raw: RawDocument
    action: str  # "analyze" | "reuse_analysis" | "reuse_all"
    # Why it is recomputed: "new" | "content" (its text changed) | "model" (NLP model or analyzer
    # code changed) | "rules" (extraction rules or code changed) | "moved" (same bytes as a stored
    # document under another id: a renamed or moved file); "" when everything is reused.
    reason: str = ""
    reuse_from: str | None = None  # the stored document whose analysis is reused, when not this doc_id
