"""Checks made before anything slow starts (Prefect, the model, the workers): one line, at once.

Kept free of Prefect so that `python -m pipeline run` can fail within a second, before
importing it.
"""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from . import store
from .errors import ConfigError
from .nlp import analyzer as nlp
from .settings import RunSettings


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.realpath(path.absolute())), Path(os.path.realpath(folder.absolute()))
    return path == folder or folder in path.parents


def check_folders(settings: RunSettings) -> None:
    """The raw folder exists and the output folder neither holds it nor belongs to someone else (cheap)."""
    raw, out = settings.raw_dir, settings.out_dir
    if not raw.exists():
        raise ConfigError(f"raw directory not found: {raw} (check --raw-dir)")
    if not raw.is_dir():
        raise ConfigError(f"raw directory is not a directory: {raw} (check --raw-dir)")
    if _inside(raw, out):
        raise ConfigError(f"the output folder {out} contains the raw folder {raw}; "
                          "choose an --out-dir outside the raw folder")
    store.check_output_folder(out)


def preflight(settings: RunSettings) -> RunSettings:
    """Everything that can be checked before Prefect starts: folders, lock, model, worker count.

    Fails in one line within a second instead of after the flow's start-up; returns the
    settings with the worker count capped at the cores (noted in the log).
    """
    check_folders(settings)
    if settings.wait_for_lock <= 0:
        store.check_not_locked(settings.out_dir)
    nlp.locate_model(settings.models_dir, settings.model)
    cores = os.cpu_count() or 1
    if settings.workers > cores and not settings.dask_address:
        logging.getLogger("pipeline").warning(
            "note: --workers %d capped at %d, the number of CPU cores (more only contend)", settings.workers, cores)
        settings = replace(settings, workers=cores)
    return settings
