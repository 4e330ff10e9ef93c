"""What an analysis worker process runs: the model built once, then batch after batch.

Kept free of Prefect so that a worker process starts quickly: it imports the
NLP and extraction stages only.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import lru_cache

from . import extract, invisible
from .nlp import analyzer as nlp
from .types import DocumentResult, RawDocument


_INIT_ERROR: Exception | None = None  # why this worker process could not set up, for its first batch to raise


def init_worker(models_dir: str, model_choice: str, threads: int) -> None:
    """Runs once per worker process: cap torch threads, build the Stanza pipeline and the matcher.

    A failure (a damaged model, a bad rule file) is kept and raised by the first batch, so that the
    run ends with its one-line reason; raised here, it would only break the pool ("a child process
    terminated abruptly") and print a traceback.
    """
    global _INIT_ERROR
    limit_malloc_arenas()
    # Before torch starts its OpenMP pool: more threads than this worker's share of the cores only contend.
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        nlp.get_analyzer(models_dir, model_choice, threads).load()
        extract.get_extractor()
    except Exception as err:  # noqa: BLE001 - re-raised, unchanged, with the first batch
        _INIT_ERROR = err


def analyze_and_extract(docs: list[RawDocument], models_dir: str, model_choice: str,
                        threads: int | None) -> list[DocumentResult]:
    """The NLP analysis and the extraction of one batch, in the process that runs it."""
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    # The model and the rules see the text without invisible characters; offsets index the text as read.
    analyses = invisible.analyze_texts(nlp.get_analyzer(models_dir, model_choice, threads).analyze_many,
                                       [(d.doc_id, d.text or "") for d in docs])
    extractor = extract.get_extractor()
    results = []
    for raw, analysis in zip(docs, analyses):
        metadata, extractions = invisible.extract_visible(extractor.extract, analysis)
        results.append(DocumentResult(raw, analysis, metadata, extractions))
    release_freed_memory()
    return results


@lru_cache(maxsize=1)
def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


M_ARENA_MAX = -8  # glibc's mallopt parameter: how many malloc arenas threads may spread over


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Let this process's threads share `arenas` malloc arenas (glibc; elsewhere nothing).

    glibc gives each thread that allocates under contention an arena of its own, up to eight per
    core, and memory freed in one is not reused by the others: the flow's batches run in Prefect's
    threads.  With two arenas the flow process of a 100-document run peaked at 830 MB instead of
    842-850 MB, as fast.  Arenas made before the call stay; call it before the threads start.
    """
    libc = _glibc()  # glibc or None; every glibc has mallopt
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, arenas)


def release_freed_memory() -> None:
    """Give the memory a batch freed back to the system (glibc's malloc_trim; elsewhere nothing).

    A batch's tensors and token lists are freed when it is done, but glibc keeps most of that
    memory mapped; resident memory between batches was about 620 MB without this, 500 MB with it.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
