"""A small published run without the NLP model (for the review tests): one document, a few extractions."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from pipeline import store
from pipeline.types import DocumentMetadata, DocumentResult, Extraction, RawDocument

TEXT = ("Missio: Autamme ihmisiä arjessa.\n"
        "Arvot: luottamus, rohkeus ja avoimuus.\n"
        "Tavoitteet:\n"
        "- Hyvä palvelu kaikille asukkaille\n"
        "- Talous tasapainossa vuonna 2027\n")
DOC = "demo-strategia"


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def extraction(text: str, field: str, item: int, part: str, normalized: str | None = None,
               confidence: float = 0.8) -> Extraction:
    start, end = span(text, part)
    return Extraction(DOC, field, item, part, normalized or part, start, end, 0, f"{field}.cue", confidence)


ITEMS = (("mission", 1, "Autamme ihmisiä arjessa", 0.8), ("value", 1, "luottamus", 0.9),
         ("value", 2, "rohkeus", 0.4), ("goal", 1, "Hyvä palvelu kaikille", 0.8),
         ("goal", 2, "Talous tasapainossa vuonna 2027", 0.8))


def machine(text: str = TEXT) -> tuple[Extraction, ...]:
    """What the machine extracts from `text`: the items of ITEMS still in it."""
    return tuple(extraction(text, f, n, part, confidence=c) for f, n, part, c in ITEMS if part in text)


def publish(out_dir: Path, text: str = TEXT, extractions: tuple[Extraction, ...] | None = None,
            reviews: Path | None = None) -> Path:
    """Write one run of DOC with `text` to `out_dir` through the store (decisions in `reviews` applied)."""
    raw = RawDocument(DOC, f"{DOC}.txt", hashlib.sha256(text.encode()).hexdigest(), "ok", text=text, language="fi")
    result = DocumentResult(raw, None, DocumentMetadata("Demon hyvinvointialue"),
                            machine(text) if extractions is None else extractions)
    with store.open_run(out_dir, reviews=reviews) as (writer, _previous):
        writer.add(result, datetime(2026, 1, 1, tzinfo=timezone.utc), "rules-test")
        return writer.commit({"raw_dir": "test"})
