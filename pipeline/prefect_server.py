"""Local Prefect API servers, as child processes: one for `serve`, one per process for runs.

`serve` needs a full server (`prefect server start`: its scheduler creates the scheduled
runs).  A run with no API configured needs only somewhere to record its flow and task runs,
which Prefect would give it by starting its ephemeral server (uvicorn over Prefect's API app,
no UI, no services) when the flow starts.  Started that way it costs the run about 4 s of
waiting plus about 2 s of importing Prefect's server package into the run's own process; so
the run starts the same ephemeral server itself (`run_api_server`), as a child process, the
moment it knows it has work, while it imports the flow and loads the model, and points
`PREFECT_API_URL` at it.  The child is in its own session (a Ctrl-C in the terminal reaches
the run, which then stops it), and on Linux it gets SIGTERM when the run dies, even by SIGKILL.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from .errors import ConfigError

SERVER_START_TIMEOUT = 180.0  # seconds; a first start creates and migrates the database
SERVER_STOP_TIMEOUT = 20.0
# What Prefect 3.8's own ephemeral server runs (prefect.server.api.server.SubprocessASGIServer):
# Prefect's API app, without the UI, marked ephemeral so that it runs no background services.
EPHEMERAL_APP = "prefect.server.api.server:create_app"
# No block registration either: a run reads no blocks, and Prefect's check whether the registry
# changed imports every installed collection first (prefect-dask, so Dask's distributed): measured
# alternately, 6.6-6.8 s instead of 7.7-8.3 s to a healthy server, and 181 MB resident instead of
# 207 MB.  `prefect server start` (`serve`, or a user's own) registers the blocks in the same database.
EPHEMERAL_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
                 "PREFECT_API_BLOCKS_REGISTER_ON_START": "false", "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false"}
UVICORN_STARTUP_FAILURE = 3  # uvicorn's exit status when it cannot bind (another process took the port)


def free_port(host: str = "127.0.0.1") -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0, client=None) -> bool:
    """Whether the Prefect API at `api_url` answers its health check (through `client` if given)."""
    import httpx

    try:
        get = client.get if client is not None else httpx.get
        return get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _own_session() -> None:  # runs in the child between fork and exec
    os.setsid()


def _own_session_dying_with_parent() -> None:  # runs in the child between fork and exec
    os.setsid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def _prefect_dir() -> str:
    spec = importlib.util.find_spec("prefect")  # without importing Prefect (about 1 s)
    if spec is None or spec.origin is None:
        raise ConfigError("Prefect is not installed in this environment; reinstall with `make install`")
    return str(Path(spec.origin).parent.parent)


class LocalServer:
    """A Prefect API server on `host` as a child process (its own process group).

    `ephemeral=False`: `prefect server start` (UI, scheduler and the other services), for `serve`.
    `ephemeral=True`: Prefect's API app alone under uvicorn, as Prefect's ephemeral server, for runs.
    `launch()` starts the process and returns at once; `wait_until_healthy()` waits for its API.
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None,
                 env: dict[str, str] | None = None, ephemeral: bool = False):
        self.host = host
        self.port = port
        self.env = env  # the server's environment (default: this process's)
        self.ephemeral = ephemeral
        self.proc: subprocess.Popen | None = None
        self._attempts = 0
        if log_path is None:
            # In the Prefect home the server uses (`serve` gives it its own), not in /tmp.
            home = Path((env or os.environ).get("PREFECT_HOME") or Path.home() / ".prefect")
            home.mkdir(parents=True, exist_ok=True)
            log_path = home / ("ephemeral-server.log" if ephemeral else "server.log")
        self.log_path = log_path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _command(self) -> list[str]:
        if self.ephemeral:
            return [sys.executable, "-m", "uvicorn", "--app-dir", _prefect_dir(), "--factory", EPHEMERAL_APP,
                    "--host", self.host, "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        return [sys.executable, "-m", "prefect", "server", "start", "--host", self.host, "--port", str(self.port)]

    def launch(self) -> None:
        """Start the server process (on a free port unless one was given); does not wait for it."""
        self.port = self.port if (self._attempts == 0 and self.port) else free_port(self.host)
        self._attempts += 1
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no phoning home from a local server
        env.pop("PREFECT_API_URL", None)
        if self.ephemeral:
            env.update(EPHEMERAL_ENV)
        # The kernel signals the child when the *thread* that started it ends: only the main
        # thread lives as long as this process.
        tie = threading.current_thread() is threading.main_thread()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self._command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                preexec_fn=_own_session_dying_with_parent if tie else _own_session, close_fds=True,
            )

    def wait_until_healthy(self, timeout: float = SERVER_START_TIMEOUT, poll: float = 0.1) -> None:
        """Return when the API answers; relaunch on another port if the port was taken meanwhile."""
        import httpx

        deadline = time.monotonic() + timeout
        # One client for all the polls: a new one per poll builds an SSL context each time (about
        # 0.1 s of CPU, taken from the model loading beside it); this server speaks plain HTTP.
        with httpx.Client(verify=False) as client:
            while True:
                if self.proc is None:
                    self.launch()
                assert self.proc is not None
                while time.monotonic() < deadline:
                    if self.proc.poll() is not None:
                        break
                    if healthy(self.api_url, client=client):
                        return
                    time.sleep(poll)
                if not self._relaunched_after_port_clash():
                    break
        tail = self._log_tail()
        self.stop()
        raise ConfigError(f"the local Prefect server did not start within {timeout:.0f} s "
                          f"(log: {self.log_path}): {tail.strip().splitlines()[-1] if tail.strip() else 'no output'}")

    def _relaunched_after_port_clash(self) -> bool:
        """Relaunch on a new port if the server exited because another process took its port."""
        assert self.proc is not None
        if self.proc.poll() is None or self._attempts >= 3:
            return False
        if self.proc.poll() != UVICORN_STARTUP_FAILURE and "already in use" not in self._log_tail():
            return False
        self.launch()
        return True

    def start(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        """Launch the server and wait for its API."""
        self.launch()
        self.wait_until_healthy(timeout, poll=0.5)

    def _log_tail(self, n: int = 4000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-n:].decode(errors="replace")

    def stop(self, timeout: float = SERVER_STOP_TIMEOUT) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)  # the server leads its own process group
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


_RUN_SERVER: LocalServer | None = None
_RUN_SERVER_LOCK = threading.Lock()


def run_api_server() -> LocalServer:
    """This process's ephemeral API server for runs, launched on first call (not waited for).

    Later runs in the same process (tests, benchmarks, `evaluate`) use the same server; it is
    stopped when the process exits, and relaunched if it died meanwhile.
    """
    global _RUN_SERVER
    with _RUN_SERVER_LOCK:
        if _RUN_SERVER is None or not _RUN_SERVER.running():
            if _RUN_SERVER is None:
                atexit.register(stop_run_server)
            server = LocalServer(ephemeral=True)
            server.launch()
            _RUN_SERVER = server
        return _RUN_SERVER


def stop_run_server() -> None:
    """Stop this process's API server for runs, if one was launched."""
    if _RUN_SERVER is not None:
        _RUN_SERVER.stop(timeout=5.0)


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextlib.contextmanager
def using_api(api_url: str, settings: dict | None = None) -> Iterator[str]:
    """Point Prefect at `api_url` for the block, in this process (its settings, with any other
    `settings` updates) and in the processes it starts (PREFECT_API_URL); then restore both."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url, **(settings or {})}):
            yield api_url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
