"""One run's work, without Prefect: plan → reuse or analyze → ordered writes.

The flow (`pipeline.flows`) only wires tasks to this function: it passes a
`submit` callable that starts the analysis of a batch somewhere (a Prefect task,
a worker process, a Dask cluster) and returns a handle whose `result()` waits
for it.  Everything else, which documents are recomputed and why, the bounded
look-ahead of submitted batches, reading unchanged documents back a window at a
time, and writing rows strictly in doc_id order, happens here, where it is
tested directly.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterator, Protocol, Sequence, TypeVar

from . import incremental, ingest
from .store import PreviousOutputs, RunWriter
from .types import Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, WorkItem

# Unchanged documents are read back from the previous run this many at a time: one
# filtered parquet scan per window, memory bounded by the window, not by the corpus.
REUSE_WINDOW = 256

T = TypeVar("T")


class BatchHandle(Protocol):
    """What `submit` returns: a Prefect future, a `concurrent.futures.Future`, or anything with `result()`."""

    def result(self) -> list[DocumentResult]: ...


SubmitBatch = Callable[[list[RawDocument]], BatchHandle]
ExtractFn = Callable[[Analysis], tuple[DocumentMetadata, tuple[Extraction, ...]]]


@dataclass(frozen=True)
class RunKeys:
    """What the stored results of a run were produced with; a change redoes what it produced."""

    model: str  # Analyzer.model_name: weights, lexicon and analyzer code
    rules: str  # extract.rules_version(): rule files and extraction code


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def process_run(raws: Sequence[RawDocument], previous: PreviousOutputs, writer: RunWriter, keys: RunKeys, *,
                submit: SubmitBatch, extract: ExtractFn, batch_size: int, in_flight: int, now: datetime,
                advance: Callable[[], None] = lambda: None) -> list[WorkItem]:
    """Write every document of `raws` to `writer`, recomputing only what `keys` and the texts require.

    Returns the plan (one `WorkItem` per readable document).  Analysis batches
    are submitted ahead, at most `in_flight` at a time, and their results are
    written in doc_id order, so the tables never depend on which worker
    finishes first.  `advance` is called once per written readable document.
    """
    raws = ingest.mark_duplicates(raws)  # a second copy of a file is skipped, not counted twice
    work = incremental.plan(raws, previous.by_id, keys.model, keys.rules)
    pending: deque[BatchHandle] = deque()
    to_submit = batches([w.raw for w in work if w.action == "analyze"], batch_size)

    def submit_next() -> bool:
        batch = next(to_submit, None)
        if batch is None:
            return False
        pending.append(submit(batch))
        return True

    while len(pending) < max(1, in_flight) and submit_next():
        pass
    ready: dict[str, DocumentResult] = {}
    for window in batches(work, max(batch_size, REUSE_WINDOW)):
        for result in previous.reused_results([w for w in window if w.action != "analyze"]):
            ready[result.raw.doc_id] = result
        for item in window:
            doc_id = item.raw.doc_id
            while doc_id not in ready:
                for result in pending.popleft().result():
                    ready[result.raw.doc_id] = result
                submit_next()
            result = ready.pop(doc_id)
            if item.action == "reuse_analysis" and result.analysis is not None:
                metadata, extractions = extract(result.analysis)
                result = replace(result, metadata=metadata, extractions=extractions)
            stamp = now if item.action == "analyze" else previous.processed_at(item.reuse_from or doc_id) or now
            writer.add(result, stamp, keys.rules)
            writer.count("analyzed" if item.action == "analyze" else "reused_analysis")
            if item.reason == "model":
                writer.count("reanalyzed_model_or_code")
            elif item.reason == "rules":
                writer.count("reextracted_rules_or_code")
            elif item.reason == "moved":
                writer.count("reused_moved")
            advance()
    planned = {w.raw.doc_id for w in work}
    for raw in sorted(raws, key=lambda r: r.doc_id):
        if raw.doc_id not in planned:  # rejected or skipped: a row that says why, nothing else
            writer.add(DocumentResult(raw), previous.processed_at_if_unchanged(raw) or now, None)
    return work
