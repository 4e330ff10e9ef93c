"""Scheduled, incremental ingestion: flows.yaml and `python -m pipeline serve`.

* flows.yaml is a valid Prefect deployment file with the hourly schedule;
* `prefect deploy --prefect-file flows.yaml --all` accepts it (against a
  Prefect server on 127.0.0.1 with its state in a temporary folder);
* `python -m pipeline serve --interval 5` starts its own loopback server,
  runs the flow on the schedule, picks up a file dropped into the raw folder
  on a later scheduled run, and stops cleanly (server included) on Ctrl-C.
"""
from __future__ import annotations

import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline import store
from pipeline.errors import OutputError

REPO = Path(__file__).resolve().parents[1]
FLOWS_FILE = REPO / "flows.yaml"
SAMPLES = sorted((REPO / "raw_texts").glob("*.txt"))


# --------------------------------------------------------------------------- the file

def test_flows_yaml_is_a_valid_prefect_deployment_file():
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.flows import load_flow_from_entrypoint

    from pipeline.flows import ingest_strategies
    from pipeline.serve import build_schedules, load_deployments

    raw = yaml.safe_load(FLOWS_FILE.read_text(encoding="utf-8"))
    model = PrefectYamlModel.model_validate(raw)  # what `prefect deploy` validates the file with
    (dep,) = model.deployments
    assert dep.name == "hourly-ingest"
    assert dep.work_pool.name == "local-process"
    assert load_flow_from_entrypoint(dep.entrypoint, use_placeholder_flow=False) is ingest_strategies

    (spec,) = load_deployments(FLOWS_FILE)
    assert spec.parameters["raw_dir"] == "raw_texts"
    assert spec.parameters["out_dir"] == "outputs"
    assert spec.parameters["models_dir"] == "models"
    assert set(spec.parameters) <= set(inspect.signature(ingest_strategies.fn).parameters)
    (cron,) = build_schedules(spec)
    assert (cron.cron, cron.timezone, cron.active) == ("0 * * * *", "Europe/Helsinki", True)
    (interval,) = build_schedules(spec, interval=5)
    assert interval.interval.total_seconds() == 5


def test_load_deployments_reports_a_bad_file_in_one_line(tmp_path):
    from pipeline.errors import ConfigError
    from pipeline.serve import load_deployments

    with pytest.raises(ConfigError, match="flows file not found"):
        load_deployments(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("deployments:\n  - name: x\n    entrypoint: pipeline.flows:ingest_strategies\n"
                   "    schedules:\n      - cron: '0 * * * *'\n        interval: 60\n")
    with pytest.raises(ConfigError, match="exactly one of"):
        load_deployments(bad)
    (tmp_path / "empty.yaml").write_text("name: x\n")
    with pytest.raises(ConfigError, match="no `deployments:`"):
        load_deployments(tmp_path / "empty.yaml")


@pytest.mark.slow
def test_prefect_deploy_accepts_flows_yaml(tmp_path, isolated_prefect_env):
    import httpx

    from pipeline.serve import LocalServer

    env = isolated_prefect_env(tmp_path / "prefect-home")
    server = LocalServer(log_path=tmp_path / "server.log", env=env)
    server.start()
    try:
        env["PREFECT_API_URL"] = server.api_url
        for args in (["work-pool", "create", "local-process", "--type", "process"],
                     ["deploy", "--prefect-file", "flows.yaml", "--all"]):
            done = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
            assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        dep = httpx.get(f"{server.api_url}/deployments/name/ingest-strategies/hourly-ingest", timeout=30).json()
    finally:
        server.stop()
    assert server.proc is None
    assert dep["entrypoint"] == "pipeline.flows:ingest_strategies"
    assert dep["work_pool_name"] == "local-process"
    assert dep["parameters"]["raw_dir"] == "raw_texts" and dep["parameters"]["out_dir"] == "outputs"
    (schedule,) = dep["schedules"]
    assert schedule["active"] and schedule["schedule"]["cron"] == "0 * * * *"
    assert schedule["schedule"]["timezone"] == "Europe/Helsinki"
    # Runs start in the directory `prefect deploy` ran in, so the relative parameters resolve there.
    (pull,) = dep["pull_steps"]
    assert Path(pull["prefect.deployments.steps.set_working_directory"]["directory"]) == REPO


# --------------------------------------------------------------------------- serving

def _doc_ids(out: Path) -> set[str]:
    try:
        return set(store.load(out, ("documents",))["documents"].doc_id)
    except (OutputError, OSError):  # before the first run, or a file vanishing under a read
        return set()


@pytest.mark.slow
@pytest.mark.model
def test_serve_runs_on_schedule_and_picks_up_new_files(tmp_path, isolated_prefect_env):
    first, second = SAMPLES[0], SAMPLES[1]
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(first, raw / first.name)
    log_path = tmp_path / "serve.log"
    server_pid = None
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--interval", "5", "--raw-dir", str(raw), "--out-dir", str(out)],
            cwd=REPO, env=isolated_prefect_env(tmp_path / "prefect-home"), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def output() -> str:
        return log_path.read_text(errors="replace")[-8000:]

    def server_log() -> str:
        found = re.search(r"; log: (\S+)", output())
        try:
            return Path(found.group(1)).read_text(errors="replace") if found else ""
        except OSError:
            return ""

    def wait_for(predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if proc.poll() is not None:
                pytest.fail(f"`pipeline serve` exited ({proc.returncode}) before {what}\n{output()}")
            if "Can't evaluate bulk DML statement" in server_log():
                pytest.fail("Prefect's scheduler service crashes, so no scheduled run is ever created: "
                            "Prefect 3.8 needs SQLAlchemy < 2.1 (see the server log)\n" + server_log()[-3000:])
            time.sleep(0.5)
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{output()}")

    try:
        wait_for(lambda: re.search(r"Prefect server \(pid (\d+)\) at http://127\.0\.0\.1:\d+/api", output()), 240,
                 "the local Prefect server")
        server_pid = int(re.search(r"Prefect server \(pid (\d+)\)", output()).group(1))
        wait_for(lambda: first.stem in _doc_ids(out), 300, "a scheduled run to process the first file")

        tmp = raw / f".{second.name}.part"  # hidden names are not picked up; rename is atomic
        shutil.copy(second, tmp)
        tmp.rename(raw / second.name)
        wait_for(lambda: second.stem in _doc_ids(out), 300, "a later scheduled run to process the new file")

        info = store.run_info(store.resolve_run(out))
        assert info["counts"]["ok"] == 2 and info["counts"]["analyzed"] <= 1
        assert info["counts"]["reused_analysis"] >= 1  # the first file was not analyzed again

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            rc = proc.wait(120)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`pipeline serve` did not stop on Ctrl-C\n{output()}")
        assert rc == 0, output()
        assert "Traceback" not in output().split("Stopping the local Prefect server")[-1]
        assert not _alive(server_pid), "the local Prefect server outlived `pipeline serve`"
    finally:
        for pgid in (proc.pid, server_pid):
            if pgid is not None:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        proc.wait(30)


def _alive(pid: int, grace: float = 10.0) -> bool:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLES, reason="needs the sample texts in raw_texts/")
def test_serve_sigterm_stops_cleanly_without_traceback_or_warning(tmp_path, isolated_prefect_env):
    """What a service manager does: SIGTERM to the process group; `serve` stops as on Ctrl-C."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES[0], raw / SAMPLES[0].name)
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--interval", "3600", "--raw-dir", str(raw),
             "--out-dir", str(tmp_path / "out")],
            cwd=REPO, env=isolated_prefect_env(tmp_path / "prefect-home"), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while "Serving " not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`pipeline serve` did not start\n{log_path.read_text(errors='replace')}")
            time.sleep(0.5)
        time.sleep(3)  # the runner is started (and has installed its signal handler)
        os.killpg(proc.pid, signal.SIGTERM)
        rc = proc.wait(120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(30)
    output = log_path.read_text(errors="replace")
    assert rc == 0, output
    after = output.split("Serving ")[-1]
    assert "Traceback" not in after and "never awaited" not in after, output
    assert "Stopped serving." in after, output


def test_local_server_log_default_in_prefect_home_not_tmp(tmp_path):
    from pipeline.serve import LocalServer

    server = LocalServer(env={"PREFECT_HOME": str(tmp_path / "home")})
    assert server.log_path == tmp_path / "home" / "server.log" and server.log_path.parent.is_dir()
