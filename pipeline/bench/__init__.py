"""Benchmark: Stanza alone vs the whole pipeline, re-run cost, memory, process-pool speed-up.

`python -m pipeline bench` measures, in one run, on the same texts and model:

* raw Stanza throughput: `Analyzer.stanza_documents` alone over the Finnish
  texts, in batches of the pipeline's batch size (tokens/s);
* whole-pipeline throughput: `run_pipeline` end to end into a fresh output
  folder (tokens = sum of ``documents.n_tokens``) and its ratio to raw Stanza;
* an unchanged re-run's time as a fraction of the first run's;
* the peak resident memory of a whole pipeline run for each corpus size, each
  in a fresh process (the RSS of the process tree, polled with psutil, and the
  flow process's own ``ru_maxrss``);
* the process-pool speed-up: `workers=1` vs `workers=2`, each run in a fresh
  process that loads the model, as `python -m pipeline run` does.

Every measurement runs in a child process of its own kind, never in the
process that also ran another kind: torch's OpenMP threads behave differently
once a process has run torch on more than one thread (the main thread for raw
Stanza, a task-runner thread for the pipeline), which would bias the
comparison either way.  Raw Stanza and the pipeline run in two long-lived
children (model loaded, Prefect's API server started, not timed) that are
asked for one pass each in turn, so background load hits both alike; medians
of ``--repeats``.

The corpus is built from the texts at hand (``raw_texts/*.txt`` and, when
present, ``../shared/corpus/dev/*.txt``), cycled to N documents; copy ``i``
gets a short numbered sentence appended, so every file's sha256 differs and
nothing is served from a previous run.

Modules: `corpus` (the texts, read through `pipeline.ingest`, and the N-document
corpora), `passes` (one timed pass of each kind and the child's main loop, run
inside a child), `processes` (starting and asking the children, watching their
memory), `summary` (medians, ratios, the Markdown table), `run` (the whole
benchmark).
"""
from __future__ import annotations

from .corpus import DEFAULT_SOURCES, SourceText, build_corpus, finnish_texts, source_texts, variant
from .run import machine_info, run_benchmark
from .summary import TARGETS, markdown_table, summarize_throughput, summarize_workers

__all__ = ["DEFAULT_SOURCES", "SourceText", "TARGETS", "build_corpus", "finnish_texts", "machine_info",
           "markdown_table", "run_benchmark", "source_texts", "summarize_throughput", "summarize_workers",
           "variant"]
