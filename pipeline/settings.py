"""The settings of one pipeline run, as one typed record (CLI, tests and benchmarks build it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .defaults import BATCH_SIZE, MAX_BYTES, threads_per_worker
from .errors import ConfigError


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
    follow_links: bool = False  # accept links in the raw folder to files outside it

    def __post_init__(self) -> None:
        """Refuse, in one line, a value no run can use (the CLI exits 2 with it)."""
        positive = {"--max-bytes": self.max_bytes, "--batch-size": self.batch_size, "--workers": self.workers}
        if self.threads_per_worker is not None:
            positive["--threads-per-worker"] = self.threads_per_worker
        for option, value in positive.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{option} must be a whole number of at least 1, not {value!r}")
        if self.wait_for_lock < 0:
            raise ConfigError(f"--wait must be 0 or more seconds, not {self.wait_for_lock!r}")

    @property
    def threads(self) -> int:
        return self.threads_per_worker or threads_per_worker(self.workers)
