"""The settings of one pipeline run, as one typed record (CLI, tests and benchmarks build it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .defaults import BATCH_SIZE, MAX_BYTES, threads_per_worker


@dataclass(frozen=True)
class RunSettings:
    raw_dir: Path = Path("raw_texts")
    out_dir: Path = Path("outputs")
    models_dir: Path = Path("models")
    model: str = "auto"  # auto | compact | official
    max_bytes: int = MAX_BYTES  # larger files are rejected with a reason
    batch_size: int = BATCH_SIZE
    workers: int = 1  # analysis processes, each loading the model once
    threads_per_worker: int | None = None  # None: cores / workers
    dask_address: str | None = None  # an existing Dask cluster (tcp://host:8786)
    dask_local: bool = False  # a local Dask cluster of `workers` processes
    wait_for_lock: float = 0.0  # seconds to queue behind another run of the same out_dir
    show_progress: bool = False
    reviews: Path | None = None  # reviewers' decisions; None: <out_dir>.reviews.sqlite beside out_dir

    @property
    def threads(self) -> int:
        return self.threads_per_worker or threads_per_worker(self.workers)
