"""The review server through FastAPI's test client: every decision kind, validation, CSRF/Origin/Host/token."""
from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from pipeline.review.decisions import DecisionStore, NewDecision, text_sha256
from pipeline.review.server import MAX_BODY, create_app

try:
    from tests.review_fixtures import DOC, TEXT, publish, span
except ImportError:  # pragma: no cover
    from review_fixtures import DOC, TEXT, publish, span

ORIGIN = {"Origin": "http://testserver"}
SHA = text_sha256(TEXT)


@pytest.fixture
def setup(tmp_path):
    out = tmp_path / "outputs"
    publish(out)
    reviews = tmp_path / "reviews.sqlite"
    client = TestClient(create_app(out, reviews, "tester"))
    csrf = client.get("/api/session").json()["csrf"]
    return client, {**ORIGIN, "X-CSRF-Token": csrf}, reviews


def item(field: str, part: str) -> dict:
    start, end = span(TEXT, part)
    return {"field": field, "start": start, "end": end, "text": part}


def post(client, headers, **body):
    return client.post("/api/decisions", json={"doc_id": DOC, "sha256": SHA, **body}, headers=headers)


def items(client) -> dict[str, dict]:
    return {i["text"]: i for i in client.get("/api/document", params={"id": DOC}).json()["items"]}


def stored(reviews) -> int:
    return len(DecisionStore(reviews).all())


def test_decision_accept_marks_item_accepted(setup):
    client, headers, reviews = setup
    r = post(client, headers, action="accept", **item("mission", "Autamme ihmisiä arjessa"))
    assert r.status_code == 201, r.text
    assert r.json()["reviewer"] == "tester" and r.json()["sha256"] == SHA
    assert items(client)["Autamme ihmisiä arjessa"]["review"] == "accepted"


def test_decision_reject_marks_item_rejected(setup):
    client, headers, _ = setup
    assert post(client, headers, action="reject", **item("value", "rohkeus")).status_code == 201
    assert items(client)["rohkeus"]["review"] == "rejected"


def test_decision_edit_span_replaces_text_and_offsets(setup):
    client, headers, _ = setup
    new_start, new_end = span(TEXT, "Hyvä palvelu kaikille asukkaille")
    r = post(client, headers, action="edit", **item("goal", "Hyvä palvelu kaikille"), new_field="goal",
             new_start=new_start, new_end=new_end, new_text="Hyvä palvelu kaikille asukkaille")
    assert r.status_code == 201, r.text
    edited = items(client)["Hyvä palvelu kaikille asukkaille"]
    assert (edited["review"], edited["start"], edited["end"]) == ("edited", new_start, new_end)
    assert "Hyvä palvelu kaikille" not in items(client)


def test_decision_edit_field_changes_field(setup):
    client, headers, _ = setup
    it = item("goal", "Talous tasapainossa vuonna 2027")
    r = post(client, headers, action="edit", **it, new_field="vision", new_start=it["start"], new_end=it["end"],
             new_text=it["text"])
    assert r.status_code == 201, r.text
    assert (items(client)[it["text"]]["field"], items(client)[it["text"]]["review"]) == ("vision", "edited")


def test_decision_add_creates_review_item(setup):
    client, headers, _ = setup
    r = post(client, headers, action="add", **item("value", "avoimuus"), normalized="avoimuus")
    assert r.status_code == 201, r.text
    added = items(client)["avoimuus"]
    assert (added["review"], added["rule_id"], added["machine"]) == ("added", "review", None)


def test_decision_reviewed_marks_document(setup):
    client, headers, _ = setup
    assert post(client, headers, action="reviewed").status_code == 201
    doc = client.get("/api/document", params={"id": DOC}).json()
    assert doc["reviewed"] is True and doc["reviewed_by"] == "tester"
    assert post(client, headers, action="unreviewed").status_code == 201
    assert client.get("/api/document", params={"id": DOC}).json()["reviewed"] is False


def test_decision_undo_restores_machine_item_and_keeps_history(setup):
    client, headers, reviews = setup
    rejected = post(client, headers, action="reject", **item("value", "luottamus")).json()
    assert post(client, headers, action="undo", target=rejected["id"]).status_code == 201
    assert items(client)["luottamus"]["review"] == "unreviewed"
    assert [d.action for d in DecisionStore(reviews).all()] == ["reject", "undo"]


def test_review_page_renders_escaped_text_and_controls(setup):
    client, _, _ = setup
    page = client.get("/doc", params={"id": DOC})
    assert page.status_code == 200
    assert 'name="csrf-token"' in page.text and "Mark document reviewed" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script>alert" not in client.get("/doc", params={"id": "<script>alert(1)</script>"}).text


@pytest.mark.parametrize("body, message", [
    ({"action": "accept", "field": "goals", "start": 0, "end": 3, "text": "Mis"}, "field"),
    ({"action": "explode"}, "action"),
    ({"action": "add", "field": "value", "start": 5, "end": 10_000, "text": "x"}, "not inside the text"),
    ({"action": "add", "field": "value", "start": 0, "end": 6, "text": "Visio:"}, "does not match"),
    ({"action": "accept", **item("value", "avoimuus")}, "no machine extraction"),
    ({"action": "add", "field": "value", "start": -1, "end": 3, "text": "Mis"}, "start"),
    ({"action": "reviewed", "colour": "red"}, "colour"),
    ({"action": "undo", "target": 999}, "no decision 999"),
    ({"action": "edit", **item("value", "rohkeus")}, "edit needs new_field"),
])
def test_decision_invalid_body_refused_with_message_nothing_stored(setup, body, message):
    client, headers, reviews = setup
    r = post(client, headers, **body)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    assert stored(reviews) == 0


def test_decision_wrong_sha256_refused_as_conflict(setup):
    client, headers, reviews = setup
    r = client.post("/api/decisions", json={"doc_id": DOC, "sha256": "0" * 64, "action": "reviewed"}, headers=headers)
    assert r.status_code == 409 and "reload" in r.json()["detail"]
    assert stored(reviews) == 0


def test_decision_unknown_document_refused_404(setup):
    client, headers, reviews = setup
    r = client.post("/api/decisions", json={"doc_id": "nope", "sha256": SHA, "action": "reviewed"}, headers=headers)
    assert r.status_code == 404 and stored(reviews) == 0


def test_decision_oversized_body_refused_413(setup):
    client, headers, reviews = setup
    r = post(client, headers, action="add", field="value", start=0, end=1, text="x" * (MAX_BODY + 10))
    assert r.status_code == 413 and stored(reviews) == 0


def test_csrf_missing_token_refused(setup):
    client, _, reviews = setup
    assert post(client, ORIGIN, action="reviewed").status_code == 403
    assert stored(reviews) == 0


def test_csrf_token_of_another_session_refused(setup, tmp_path):
    client, headers, reviews = setup
    other = TestClient(client.app)
    r = other.post("/api/decisions", json={"doc_id": DOC, "sha256": SHA, "action": "reviewed"}, headers=headers)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert stored(reviews) == 0


def test_origin_foreign_refused_even_with_csrf(setup):
    client, headers, reviews = setup
    r = post(client, {**headers, "Origin": "http://evil.example"}, action="reviewed")
    assert r.status_code == 403 and "Origin" in r.json()["detail"]
    assert stored(reviews) == 0


def test_origin_missing_refused(setup):
    client, headers, reviews = setup
    r = post(client, {"X-CSRF-Token": headers["X-CSRF-Token"]}, action="reviewed")
    assert r.status_code == 403 and stored(reviews) == 0


def test_host_foreign_refused_dns_rebinding(setup):
    client, _, _ = setup
    r = client.get("/api/documents", headers={"Host": "attacker.example:8765"})
    assert r.status_code == 400 and "Host" in r.json()["detail"]


def test_token_required_off_loopback(tmp_path):
    out = tmp_path / "outputs"
    publish(out)
    client = TestClient(create_app(out, tmp_path / "r.sqlite", "t", token="s3cret"))
    assert client.get("/api/documents").status_code == 401
    assert client.get("/", params={"token": "wrong"}).status_code == 401
    assert client.get("/", params={"token": "s3cret"}).status_code == 200
    assert client.get("/api/documents").status_code == 200  # the token became a cookie


def test_decisions_table_append_only(setup):
    client, headers, reviews = setup
    post(client, headers, action="reviewed")
    db = sqlite3.connect(reviews)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE decisions SET action = 'unreviewed'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM decisions")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_document_changed_text_reanchors_unique_and_shows_stale(setup, tmp_path):
    client, headers, reviews = setup
    assert post(client, headers, action="reject", **item("value", "rohkeus")).status_code == 201
    assert post(client, headers, action="accept", **item("mission", "Autamme ihmisiä arjessa")).status_code == 201
    changed = "Uusi johdanto.\n" + TEXT.replace("Autamme ihmisiä arjessa", "Autamme ihmisiä")
    publish(tmp_path / "outputs", changed)  # the machine finds no mission in it now
    doc = client.get("/api/document", params={"id": DOC}).json()
    by_text = {i["text"]: i for i in doc["items"]}
    assert by_text["rohkeus"]["review"] == "rejected"
    assert by_text["rohkeus"]["start"] == changed.index("rohkeus")  # placed again in the new text
    assert [s["action"] for s in doc["stale"]] == ["accept"] and "no longer in it" in doc["stale"][0]["reason"]
    assert doc["counts"]["stale"] == 1 and doc["needs_look"] is True
    page = client.get("/doc", params={"id": DOC}).text
    assert "Stale decisions (1)" in page
    assert stored(reviews) == 2  # nothing deleted


def test_cli_review_export_writes_gold(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    out, reviews = tmp_path / "outputs", tmp_path / "r.sqlite"
    publish(out)
    DecisionStore(reviews).add(NewDecision(DOC, SHA, "reviewed"), "cli")
    result = CliRunner().invoke(app, ["review", "--out-dir", str(out), "--reviews", str(reviews), "export",
                                      "--to", str(tmp_path / "gold")])
    assert result.exit_code == 0, result.output
    assert "1 reviewed document(s)" in result.output
    assert (tmp_path / "gold" / f"{DOC}.gold.json").is_file()


def test_allowed_hosts_loopback_names_and_bound_host():
    from pipeline.review.server import allowed_hosts

    assert {"127.0.0.1:8765", "localhost:8765"} <= allowed_hosts("127.0.0.1", 8765)
    assert allowed_hosts("192.0.2.7", 9000) == {"192.0.2.7:9000"}


def test_decision_chunked_body_without_length_refused_411(setup):
    client, headers, reviews = setup

    def chunks():
        yield b'{"doc_id": "demo-strategia", '
        yield f'"sha256": "{SHA}", "action": "reviewed"}}'.encode()

    r = client.post("/api/decisions", content=chunks(), headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 411 and stored(reviews) == 0
