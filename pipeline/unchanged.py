"""Whether a run would change nothing, decided before Prefect, spaCy or the model is loaded.

An hourly scheduled run over an unchanged folder is the common case.  It only
has to hash the files and compare them with the published run: if every file
has the same bytes, status and reason as there, and the model and the rules
(with their code) are the ones that produced it, and reviewers decided nothing
since, a full run would publish identical tables, so none is started and the
output folder is left as it is.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from . import extract, ingest, incremental, store
from .nlp import analyzer as nlp
from .review.decisions import default_reviews_path, last_decision_id
from .settings import RunSettings


@dataclass(frozen=True)
class UnchangedRun:
    run_id: str  # the published run that already holds these results
    documents: int  # files checked
    seconds: float


def check_unchanged(settings: RunSettings) -> UnchangedRun | None:
    """The published run, when processing `settings.raw_dir` again would change nothing; else None.

    Raises the one-line errors a run would raise first (missing raw folder, no model).
    """
    started = time.monotonic()
    # The same discovery and duplicate marking as the flow's, so the same documents are compared.
    sources = ingest.discover(settings.raw_dir, exclude=[settings.out_dir], allow_outside_links=settings.follow_links)
    model_name = nlp.get_analyzer(settings.models_dir, settings.model, settings.threads).model_name
    run_dir = store.resolve_run(settings.out_dir)
    if run_dir is None:
        return None
    seen = (store.run_info(run_dir).get("review") or {}).get("last_decision", 0)
    if last_decision_id(settings.reviews or default_reviews_path(settings.out_dir)) != seen:
        return None  # decisions to apply
    previous = store.PreviousOutputs(run_dir)
    if {s.doc_id for s in sources} != set(previous.by_id):
        return None
    known_languages = previous.languages_by_sha256()
    raws = ingest.mark_duplicates([ingest.read_document(src, settings.max_bytes, known_languages)
                                   for src in sources])
    for raw in raws:
        prev = previous.by_id[raw.doc_id]
        if (prev.get("sha256"), prev.get("status"), prev.get("reason")) != (raw.sha256, raw.status, raw.reason):
            return None
    work = incremental.plan(raws, previous.by_id, model_name, extract.rules_version())
    if any(w.action != "reuse_all" for w in work):
        return None
    return UnchangedRun(run_dir.name, len(raws), round(time.monotonic() - started, 2))
