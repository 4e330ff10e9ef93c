"""SIGKILL of the review server while decisions are being posted: every acknowledged decision survives."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

try:
    from tests.review_fixtures import DOC, TEXT, publish
except ImportError:  # pragma: no cover
    from review_fixtures import DOC, TEXT, publish

from pipeline.review.decisions import text_sha256

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx.get(base + "/api/session", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


def test_review_server_sigkill_while_posting_keeps_acknowledged_decisions(tmp_path):
    out, reviews = tmp_path / "outputs", tmp_path / "reviews.sqlite"
    publish(out)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "review", "--out-dir", str(out), "--reviews",
                             str(reviews), "--port", str(port), "--reviewer", "kill-test"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    acknowledged: list[int] = []
    stop = threading.Event()

    def poster() -> None:
        with httpx.Client(base_url=base, timeout=5) as client:
            csrf = client.get("/api/session").json()["csrf"]
            headers = {"Origin": base, "X-CSRF-Token": csrf}
            n = 0
            while not stop.is_set():
                action = "reviewed" if n % 2 == 0 else "unreviewed"
                try:
                    r = client.post("/api/decisions", headers=headers,
                                    json={"doc_id": DOC, "sha256": text_sha256(TEXT), "action": action})
                except httpx.HTTPError:
                    return  # the server died mid-request: that one was never acknowledged
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])
                n += 1

    try:
        _wait_up(base, proc)
        threads = [threading.Thread(target=poster) for _ in range(3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # while the posters are still sending
        proc.wait(10)
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert len(acknowledged) >= 40
    db = sqlite3.connect(reviews)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in db.execute("SELECT id FROM decisions")}
    assert set(acknowledged) <= ids
    assert {row[0] for row in db.execute("SELECT reviewer FROM decisions")} == {"kill-test"}
