"""Scheduled ingestion: serve the deployments in `flows.yaml` (`python -m pipeline serve`).

`flows.yaml` is a Prefect deployment file (the `prefect.yaml` format).  It can
be deployed to a work pool with `prefect deploy --prefect-file flows.yaml --all`,
or served from this process with `serve_flows()`: every deployment in the file
becomes a served deployment with the file's schedules and parameters, and its
runs execute in subprocesses of this process, one at a time.

Schedules need Prefect's scheduler service, which only a real Prefect server
runs: the ephemeral server (what `python -m pipeline run` starts for itself,
`pipeline.prefect_server`) has no scheduler, and `Runner.add_deployment` warns "Cannot schedule
flows on an ephemeral server".  So when no API is configured
(`PREFECT_API_URL` unset, in the environment or in the active Prefect
profile), `serve_flows()` starts `prefect server start --host 127.0.0.1` on a
free port as a child process, waits for its health endpoint, points
`PREFECT_API_URL` at it, and stops it again on exit (Ctrl-C, SIGTERM or an
error).  The child is in its own session, so a Ctrl-C in the terminal reaches
the runner first (which pauses its schedules through the API) and the server
is stopped afterwards; on Linux it also gets SIGTERM if this process dies.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from .errors import ConfigError
from .prefect_server import LocalServer, configured_api_url, healthy, using_api

DEFAULT_FLOWS_FILE = Path("flows.yaml")
PATH_PARAMETERS = ("raw_dir", "out_dir", "models_dir")

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the file

@dataclass(frozen=True)
class DeploymentSpec:
    """One entry of `deployments:` in flows.yaml (the fields serving uses)."""

    name: str
    entrypoint: str
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[dict[str, Any], ...] = ()
    description: str | None = None
    tags: tuple[str, ...] = ()


def load_deployments(flows_file: Path | str = DEFAULT_FLOWS_FILE) -> list[DeploymentSpec]:
    """Read and check a Prefect deployment file; raise ConfigError naming the problem."""
    path = Path(flows_file)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"flows file not found: {path} (check --flows-file)") from None
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read flows file {path}: {str(err).splitlines()[0]}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("deployments"), list) or not raw["deployments"]:
        raise ConfigError(f"{path} has no `deployments:` list; see flows.yaml in the repository for the format")
    specs = []
    for i, dep in enumerate(raw["deployments"]):
        if not isinstance(dep, dict) or not dep.get("name") or not dep.get("entrypoint"):
            raise ConfigError(f"{path}: deployment #{i + 1} needs a `name` and an `entrypoint`")
        schedules = dep.get("schedules") or ([dep["schedule"]] if dep.get("schedule") else [])
        for s in schedules:
            if not isinstance(s, dict) or sum(k in s for k in ("cron", "interval", "rrule")) != 1:
                raise ConfigError(f"{path}: deployment {dep['name']!r}: each schedule needs exactly one of "
                                  "`cron`, `interval` or `rrule`")
        tags = dep.get("tags") or ()
        specs.append(DeploymentSpec(
            name=str(dep["name"]), entrypoint=str(dep["entrypoint"]),
            parameters=dict(dep.get("parameters") or {}), schedules=tuple(schedules),
            description=dep.get("description"), tags=tuple([tags] if isinstance(tags, str) else tags),
        ))
    _validate_with_prefect(path, raw)
    return specs


def _validate_with_prefect(path: Path, raw: dict) -> None:
    """Check the file with the model `prefect deploy` reads it with (where this Prefect has it)."""
    try:
        from prefect.cli.deploy._models import PrefectYamlModel
    except ImportError:  # pragma: no cover - another Prefect version: the checks above still apply
        return
    from pydantic import ValidationError

    try:
        PrefectYamlModel.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not any(c in str(p) for c in "[("))
        raise ConfigError(f"{path}: invalid deployment file at {where}: {first['msg']}") from None


def build_schedules(spec: DeploymentSpec, interval: float | None = None) -> list:
    """Prefect schedule objects for a deployment; `interval` (seconds) replaces the file's."""
    from prefect.schedules import Cron, Interval, RRule

    if interval is not None:
        if interval <= 0:
            raise ConfigError("--interval must be a positive number of seconds")
        return [Interval(dt.timedelta(seconds=interval))]
    out = []
    for s in spec.schedules:
        common: dict[str, Any] = {"timezone": s.get("timezone"), "active": bool(s.get("active", True)),
                                  "parameters": dict(s.get("parameters") or {})}
        if "cron" in s:
            out.append(Cron(str(s["cron"]), day_or=bool(s.get("day_or", True)), **common))
        elif "interval" in s:
            seconds = s["interval"]
            seconds = seconds.total_seconds() if isinstance(seconds, dt.timedelta) else float(seconds)
            kw = {"anchor_date": s["anchor_date"]} if s.get("anchor_date") else {}
            out.append(Interval(dt.timedelta(seconds=seconds), **kw, **common))
        else:
            out.append(RRule(str(s["rrule"]), timezone=common["timezone"], active=common["active"],
                             parameters=common["parameters"]))
    return out


def resolve_parameters(spec: DeploymentSpec, overrides: dict[str, Any]) -> dict[str, Any]:
    """The file's parameters with command-line overrides; folder paths made absolute."""
    params = {**spec.parameters, **{k: v for k, v in overrides.items() if v is not None}}
    for key in PATH_PARAMETERS:
        if params.get(key) is not None:
            params[key] = str(Path(params[key]).expanduser().resolve())
    return params


# --------------------------------------------------------------------------- the server

@contextlib.contextmanager
def prefect_api(echo=print) -> Iterator[str]:
    """Yield the API URL to serve against: the configured one, or a local server started here."""
    url = configured_api_url()
    if url:
        if not healthy(url, timeout=10.0):
            raise ConfigError(f"no Prefect server answers at {url} (PREFECT_API_URL); start it with "
                              "`prefect server start`, or unset PREFECT_API_URL to let `serve` start one")
        echo(f"Using the Prefect server at {url}")
        yield url
        return
    server = LocalServer()
    echo("Starting a local Prefect server on 127.0.0.1 …")
    server.start()
    assert server.proc is not None  # start() returned: the server process runs
    try:
        echo(f"Prefect server (pid {server.proc.pid}) at {server.api_url}; UI: {server.url} ; log: {server.log_path}")
        with using_api(server.api_url):  # the flow-run subprocesses read it from the environment
            yield server.api_url
    finally:
        echo("Stopping the local Prefect server …")
        server.stop()


# --------------------------------------------------------------------------- serving

def runner_deployments(specs: list[DeploymentSpec], interval: float | None, overrides: dict[str, Any]) -> list:
    """Served-deployment objects for `prefect.serve`."""
    from prefect.deployments.runner import EntrypointType
    from prefect.flows import load_flow_from_entrypoint

    deployments = []
    for spec in specs:
        flow: Any = load_flow_from_entrypoint(spec.entrypoint, use_placeholder_flow=False)
        module_path = ".py:" not in spec.entrypoint
        deployments.append(flow.to_deployment(
            name=spec.name,
            schedules=build_schedules(spec, interval),
            parameters=resolve_parameters(spec, overrides),
            description=spec.description,
            tags=list(spec.tags),
            paused=False,
            entrypoint_type=EntrypointType.MODULE_PATH if module_path else EntrypointType.FILE_PATH,
        ))
    return deployments


def serve_flows(flows_file: Path | str = DEFAULT_FLOWS_FILE, interval: float | None = None,
                raw_dir: Path | str | None = None, out_dir: Path | str | None = None,
                models_dir: Path | str | None = None, echo=print) -> None:
    """Serve every deployment in `flows_file` until interrupted (Ctrl-C or SIGTERM).

    Runs execute one at a time in subprocesses; the schedule and parameters come
    from the file, `interval` (seconds) replaces the schedule and the folder
    arguments replace the corresponding parameters.
    """
    specs = load_deployments(flows_file)
    overrides = {"raw_dir": raw_dir, "out_dir": out_dir, "models_dir": models_dir}
    if interval is not None and interval <= 0:
        raise ConfigError("--interval must be a positive number of seconds")
    # SIGTERM (e.g. from a service manager) must unwind like Ctrl-C, so the server is stopped.
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Prefect's runner installs its own SIGTERM handler when it starts, one that calls a coroutine
    # without awaiting it and then sys.exit(0) (a RuntimeWarning, and no clean stop): while serving,
    # the runner's handler is this one, so SIGTERM stops it exactly as Ctrl-C does.
    from prefect.runner.runner import Runner

    runner_handler = Runner.__dict__.get("handle_sigterm")
    Runner.handle_sigterm = lambda self, *args, **kwargs: _raise_keyboard_interrupt(signal.SIGTERM, None)  # type: ignore[method-assign]
    try:
        with prefect_api(echo):
            from prefect import serve

            deployments = runner_deployments(specs, interval, overrides)
            for spec, dep in zip(specs, deployments):
                when = f"every {interval:g} s" if interval is not None else (
                    ", ".join(_describe(s) for s in spec.schedules) or "no schedule (run on demand)")
                echo(f"Serving {dep.flow_name}/{dep.name}: {when}; parameters {dep.parameters}")
            poll = max(1.0, min(10.0, interval)) if interval is not None else None
            if poll:
                serve(*deployments, limit=1, print_starting_message=False, query_seconds=poll)
            else:
                serve(*deployments, limit=1, print_starting_message=False)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        if runner_handler is not None:
            Runner.handle_sigterm = runner_handler  # type: ignore[method-assign]
    echo("Stopped serving.")


def _raise_keyboard_interrupt(signum, frame):  # noqa: ARG001
    # The first SIGTERM stops serving; more of them (a service manager signals the whole
    # process group) must not interrupt the clean-up with a traceback.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _describe(schedule: dict) -> str:
    kind = next(k for k in ("cron", "interval", "rrule") if k in schedule)
    tz = f" ({schedule['timezone']})" if schedule.get("timezone") else ""
    return f"{kind} {schedule[kind]}{tz}"
