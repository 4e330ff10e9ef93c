"""The output folder: what the pipeline owns in it (and may prune), and the lock one run holds on it."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..errors import OutputError, OutputLockedError
from .layout import ADOPTABLE, CURRENT, LOCK, MARKER, RUN_ID, RUNS, STABLE_LINKS, STAGING_PREFIX


def _is_own_run(path: Path) -> bool:
    """A run folder the pipeline wrote: its name has the run-id pattern and its run.json names it."""
    if not RUN_ID.match(path.name) or path.is_symlink() or not path.is_dir():
        return False
    try:
        return json.loads((path / "run.json").read_text(encoding="utf-8")).get("run_id") == path.name
    except (OSError, ValueError, AttributeError):
        return False


def _prune_runs(out_dir: Path, keep: set) -> None:
    """Remove the pipeline's own older runs; anything else in runs/ is left alone."""
    for path in (out_dir / RUNS).iterdir():
        if path.name not in keep and _is_own_run(path):
            shutil.rmtree(path, ignore_errors=True)


def _remove_stale_staging(out_dir: Path) -> None:
    # Only called under the lock: any staging folder left is from a killed run.
    for path in (out_dir / RUNS).glob(f"{STAGING_PREFIX}*"):
        if RUN_ID.match(path.name[len(STAGING_PREFIX):]) and not path.is_symlink() and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _what_is(path: Path) -> str:
    if path.is_symlink():
        return "a symbolic link"
    if path.is_dir():
        return "a directory"
    return "a file"


def check_output_folder(out_dir: Path) -> None:
    """Refuse, in one line, an output folder the pipeline would have to overwrite or write through.

    The pipeline owns a folder it created or adopted (it then holds `MARKER`); it adopts an empty
    folder or one holding only its own layout.  In a folder it owns it still never replaces a
    file or folder it did not make: the links must be links, `runs/` and `current` what it wrote.
    """
    out_dir = Path(out_dir)
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not out_dir.is_dir():
        raise OutputError(f"output folder {out_dir} is not a directory; choose another --out-dir")
    what_to_do = "move it away or choose another --out-dir"
    current = out_dir / CURRENT
    if current.exists() and not current.is_symlink():
        raise OutputError(f"{current} is {_what_is(current)}, not the link the pipeline writes; {what_to_do}")
    runs = out_dir / RUNS
    if runs.is_symlink() or (runs.exists() and not runs.is_dir()):
        raise OutputError(f"{runs} is {_what_is(runs)}, not the pipeline's folder of runs; {what_to_do}")
    lock = out_dir / LOCK
    if lock.is_symlink() or (lock.exists() and not lock.is_file()):
        raise OutputError(f"{lock} is {_what_is(lock)}, not the pipeline's lock file "
                          f"(a stale or planted lock); remove it and run again")
    for name in STABLE_LINKS:
        link = out_dir / name
        if (link.exists() or link.is_symlink()) and not (
                link.is_symlink() and os.readlink(link) == os.path.join(CURRENT, name)):
            raise OutputError(f"{link} is {_what_is(link)} the pipeline did not write "
                              f"(it publishes a link there); {what_to_do}")
    if (out_dir / MARKER).is_file():
        return
    own_names = {CURRENT, RUNS, LOCK, MARKER, *STABLE_LINKS, *ADOPTABLE,
                 *(f".{name}.tmp" for name in (CURRENT, *STABLE_LINKS))}
    foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in own_names)
    if runs.is_dir():
        foreign += sorted(f"{RUNS}/{p.name}" for p in runs.iterdir()
                          if not _is_own_run(p) and not p.name.startswith(STAGING_PREFIX))
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OutputError(f"output folder {out_dir} holds files the pipeline did not write ({shown}); "
                          "choose an empty or new folder for --out-dir")


def _claim(out_dir: Path) -> None:
    """Write the ownership marker into a folder `check_output_folder` accepted."""
    marker = out_dir / MARKER
    if marker.is_file():
        return
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        raise OutputError(f"{marker} is {_what_is(marker)}, not the pipeline's marker; "
                          "move it away or choose another --out-dir") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("Written by the strategy pipeline (python -m pipeline run). It removes only its own\n"
                 "run folders in runs/ and replaces only its own links here; other files are left alone.\n")


def _open_lock(out_dir: Path, flags: int) -> int:
    path = out_dir / LOCK
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO) or path.is_symlink() or path.is_dir():
            raise OutputError(f"{path} is {_what_is(path)}, not the pipeline's lock file "
                              "(a stale or planted lock); remove it and run again") from None
        raise


def check_not_locked(out_dir: Path) -> None:
    """Fail at once, before anything slow starts, when another run holds `out_dir`."""
    if not (Path(out_dir) / LOCK).is_file():
        return
    fd = _open_lock(Path(out_dir), os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked_error(Path(out_dir), fd) from None
    finally:
        os.close(fd)


def _locked_error(out_dir: Path, fd: int) -> OutputLockedError:
    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
    return OutputLockedError(f"{out_dir} is being written by another run ({holder}); "
                             "wait for it to finish or use --wait to queue behind it")


@contextmanager
def output_lock(out_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the output directory's lock; fail with a clear message if another run has it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = _open_lock(out_dir, os.O_RDWR | os.O_CREAT)
    if os.fstat(fd).st_nlink > 1:  # a hard link to someone's file: never write into it
        os.close(fd)
        raise OutputError(f"{out_dir / LOCK} has other names (a hard link); remove it and run again")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _locked_error(out_dir, fd) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock
