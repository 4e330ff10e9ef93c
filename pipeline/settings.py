"""The settings of one pipeline run, as one typed record (CLI, tests and benchmarks build it)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .ingest import DEFAULT_MAX_BYTES

BATCH_SIZE = 16  # documents per analysis batch: Stanza's bulk processing pays off from about 8


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of `workers` processes: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


@dataclass(frozen=True)
class RunSettings:
    raw_dir: Path = Path("raw_texts")
    out_dir: Path = Path("outputs")
    models_dir: Path = Path("models")
    model: str = "auto"  # auto | compact | official
    max_bytes: int = DEFAULT_MAX_BYTES  # larger files are rejected with a reason
    batch_size: int = BATCH_SIZE
    workers: int = 1  # analysis processes, each loading the model once
    threads_per_worker: int | None = None  # None: cores / workers
    dask_address: str | None = None  # an existing Dask cluster (tcp://host:8786)
    dask_local: bool = False  # a local Dask cluster of `workers` processes
    wait_for_lock: float = 0.0  # seconds to queue behind another run of the same out_dir
    show_progress: bool = False

    @property
    def threads(self) -> int:
        return self.threads_per_worker or threads_per_worker(self.workers)
