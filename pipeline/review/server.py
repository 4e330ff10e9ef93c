"""The review web app (`python -m pipeline review`): the report's documents with controls on every extraction.

Security, since it is a web server:

* bound to 127.0.0.1 by default; on any other host an access token (printed at
  start) is needed: `?token=…` once (it becomes a cookie) or
  `Authorization: Bearer …`;
* every request's `Host` must be one the server is reached by (DNS rebinding);
* every state-changing request needs the session's CSRF token
  (`X-CSRF-Token`, derived from the session cookie) and an `Origin` (or
  `Referer`) of the server itself;
* bodies are validated (action, field names, interval inside the text and
  matching it, sizes) and a refused request stores nothing;
* all text is escaped by the templates (Jinja autoescape).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field

from ..store import resolve_run
from ..highlight import FIELD_LABELS, confidence_str, highlight_html
from ..types import FIELDS
from .apply import ReviewedItem
from .decisions import ACTIONS, DecisionStore, NewDecision, ReviewError
from .state import DocumentState, current_documents, document_state

SESSION_COOKIE = "review_session"
ACCESS_COOKIE = "review_access"
CSRF_HEADER = "x-csrf-token"
MAX_BODY = 64 * 1024
MAX_SPAN = 20_000
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class DecisionBody(BaseModel):
    """A decision as posted by the review page."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(min_length=1, max_length=1000)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    action: Literal["accept", "reject", "edit", "add", "reviewed", "unreviewed", "undo"]
    field: Literal["mission", "vision", "value", "goal"] | None = None
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    text: str | None = Field(default=None, max_length=MAX_SPAN)
    new_field: Literal["mission", "vision", "value", "goal"] | None = None
    new_start: int | None = Field(default=None, ge=0)
    new_end: int | None = Field(default=None, ge=0)
    new_text: str | None = Field(default=None, max_length=MAX_SPAN)
    normalized: str | None = Field(default=None, max_length=1000)
    target: int | None = Field(default=None, ge=1)


def allowed_hosts(host: str, port: int, extra: tuple[str, ...] = ()) -> set[str]:
    """The Host header values the server answers to: its own address (and loopback names on loopback)."""
    names = {host, *extra}
    if host in LOOPBACK:
        names.update(LOOPBACK)
    elif host in ("0.0.0.0", "::"):
        import socket

        names.update({*LOOPBACK, socket.gethostname()})
    return {f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names}


def create_app(out_dir: Path | str, reviews: Path | str, reviewer: str, *, hosts: set[str] | None = None,
               token: str | None = None, secret: bytes | None = None) -> FastAPI:
    """The review app for the current run in `out_dir`, decisions in `reviews` made by `reviewer`.

    `hosts`: the Host header values accepted (default: what the test client sends, `testserver`);
    `token`: access token required on every request (None: none, for loopback).
    """
    out_dir = Path(out_dir)
    store = DecisionStore(reviews)
    key = secret or secrets.token_bytes(32)
    accepted_hosts = hosts or {"testserver"}
    origins = {f"{scheme}://{h}" for h in accepted_hosts for scheme in ("http", "https")}
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(FIELDS=FIELDS, FIELD_LABELS=FIELD_LABELS, ACTIONS=ACTIONS)
    env.filters["q"] = lambda v: quote(str(v), safe="")
    app = FastAPI(title="Extraction review", docs_url=None, redoc_url=None, openapi_url=None)

    def csrf_for(session: str) -> str:
        return hmac.new(key, session.encode(), hashlib.sha256).hexdigest()

    def refuse(status: int, message: str) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = request.headers.get("host", "")
        if host not in accepted_hosts:
            return refuse(400, f"unexpected Host header {host!r}: open the review page by the address the server printed")
        set_access = False
        if token is not None:
            given = request.cookies.get(ACCESS_COOKIE) or request.query_params.get("token") or ""
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return refuse(401, "an access token is needed: open the address with ?token=… the server printed")
            set_access = request.cookies.get(ACCESS_COOKIE) != token
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            length = request.headers.get("content-length")
            if length is None:
                return refuse(411, "a state-changing request needs a Content-Length")
            if not length.isdigit() or int(length) > MAX_BODY:
                return refuse(413, f"request body too large (at most {MAX_BODY} bytes)")
            origin = request.headers.get("origin")
            referer = request.headers.get("referer")
            if origin is not None:
                if origin not in origins:
                    return refuse(403, f"refused: foreign Origin {origin!r}")
            elif referer is not None:
                parts = urlsplit(referer)
                if f"{parts.scheme}://{parts.netloc}" not in origins:
                    return refuse(403, "refused: foreign Referer")
            else:
                return refuse(403, "refused: a state-changing request needs an Origin header")
            session = request.cookies.get(SESSION_COOKIE)
            sent = request.headers.get(CSRF_HEADER, "")
            if not session or not hmac.compare_digest(sent.encode(), csrf_for(session).encode()):
                return refuse(403, "refused: missing or wrong CSRF token (reload the page)")
        response = await call_next(request)
        if set_access and token is not None:
            response.set_cookie(ACCESS_COOKIE, token, httponly=True, samesite="strict")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                                    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
                                    "frame-ancestors 'none'")
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return refuse(422, "invalid decision: " + "; ".join(parts))

    def session_of(request: Request) -> tuple[str, bool]:
        session = request.cookies.get(SESSION_COOKIE)
        if session and len(session) == 43:
            return session, False
        return secrets.token_urlsafe(32), True

    def with_session(response: Response, session: str, new: bool) -> Response:
        if new:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict")
        return response

    cache: dict[str, Any] = {}

    def documents_now() -> dict:
        """The current run's documents, read again only when a new run has been published."""
        run_dir = resolve_run(out_dir)
        if cache.get("run") != run_dir or run_dir is None:
            cache["documents"] = current_documents(out_dir)
            cache["run"] = run_dir
        return cache["documents"]

    def all_states() -> dict[str, DocumentState]:
        documents = documents_now()
        decisions = store.by_document()
        return {k: document_state(d, decisions.get(k, ())) for k, d in sorted(documents.items())}

    def one_state(doc_id: str) -> DocumentState | None:
        document = documents_now().get(doc_id)
        if document is None:
            return None
        return document_state(document, store.all([doc_id]))

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, todo: bool = False) -> Response:
        session, new = session_of(request)
        rows = [_summary(s) for s in all_states().values()]
        rows.sort(key=lambda r: (not r["needs_look"], r["min_confidence"] if r["min_confidence"] is not None else 2.0,
                                 r["doc_id"]))
        if todo:
            rows = [r for r in rows if r["needs_look"]]
        html = env.get_template("review.html.j2").render(page="overview", rows=rows, todo=todo,
                                                         csrf=csrf_for(session), reviewer=reviewer)
        return with_session(HTMLResponse(html), session, new)

    @app.get("/doc", response_class=HTMLResponse)
    def document_page(request: Request, id: str) -> Response:
        session, new = session_of(request)
        state = one_state(id)
        if state is None:
            return HTMLResponse(f"<p>no document {_esc(id)} in the current run</p>", status_code=404)
        items = [_item_view(i, n) for n, i in enumerate(state.review.items)]
        spans = [{**v, "id": v["html_id"]} for v in items if v["review"] != "rejected"]
        html = env.get_template("review.html.j2").render(
            page="document", doc=state.document, sha256=state.sha256, items=items, summary=_summary(state),
            stale=[{**asdict(s.decision), "reason": s.reason} for s in state.review.stale],
            history=[asdict(d) for d in reversed(store.all([id]))],
            highlighted=highlight_html(state.document.raw.text or "", spans),
            csrf=csrf_for(session), reviewer=reviewer)
        return with_session(HTMLResponse(html), session, new)

    @app.get("/api/session")
    def api_session(request: Request) -> Response:
        session, new = session_of(request)
        return with_session(JSONResponse({"csrf": csrf_for(session), "reviewer": reviewer}), session, new)

    @app.get("/api/documents")
    def api_documents() -> list[dict]:
        return [_summary(s) for s in all_states().values()]

    @app.get("/api/document")
    def api_document(id: str) -> Response:
        state = one_state(id)
        if state is None:
            return refuse(404, f"no document {id!r} in the current run")
        return JSONResponse({**_summary(state), "items": [_item_view(i, n) for n, i in enumerate(state.review.items)],
                             "stale": [{**asdict(s.decision), "reason": s.reason} for s in state.review.stale]})

    @app.get("/api/decisions")
    def api_decisions(doc_id: str | None = None) -> list[dict]:
        return [asdict(d) for d in store.all([doc_id] if doc_id else None)]

    @app.post("/api/decisions", status_code=201)
    def api_decide(body: DecisionBody) -> Response:
        state = one_state(body.doc_id)
        if state is None:
            return refuse(404, f"no document {body.doc_id!r} in the current run")
        problem = _check(body, state, {d.id for d in store.all([body.doc_id])})
        if problem:
            return refuse(409 if problem.startswith("the document changed") else 422, problem)
        try:
            stored = store.add(NewDecision(**body.model_dump()), reviewer)
        except ReviewError as err:
            return refuse(422, str(err))
        return JSONResponse(asdict(stored), status_code=201)

    return app


def _esc(value: Any) -> str:
    from markupsafe import escape

    return str(escape(value))


def _check(body: DecisionBody, state: DocumentState, decision_ids: set[int]) -> str | None:
    """Why `body` cannot be stored on this document now, or None."""
    text = state.document.raw.text or ""
    if body.sha256 != state.sha256:
        return "the document changed since the page was loaded: reload it"
    if body.action in ("accept", "reject", "edit", "add"):
        if body.field is None or body.start is None or body.end is None or body.text is None:
            return f"{body.action} needs field, start, end and text"
        if not body.start < body.end <= len(text):
            return f"interval {body.start}-{body.end} is not inside the text (0-{len(text)})"
        if text[body.start:body.end] != body.text:
            return f"text does not match the document at {body.start}-{body.end}"
    if body.action in ("accept", "reject", "edit"):
        machine = {(e.field, e.start, e.end) for e in state.document.extractions}
        if (body.field, body.start, body.end) not in machine:
            return f"no machine extraction {body.field} at {body.start}-{body.end} to {body.action}"
    if body.action == "edit":
        if body.new_field is None or body.new_start is None or body.new_end is None or body.new_text is None:
            return "edit needs new_field, new_start, new_end and new_text"
        if not body.new_start < body.new_end <= len(text):
            return f"new interval {body.new_start}-{body.new_end} is not inside the text (0-{len(text)})"
        if text[body.new_start:body.new_end] != body.new_text:
            return f"new_text does not match the document at {body.new_start}-{body.new_end}"
    if body.action == "add" and not body.text.strip():  # type: ignore[union-attr]
        return "an added item needs some text"
    if body.action == "undo":
        if body.target is None or body.target not in decision_ids:
            return f"no decision {body.target} on this document to undo"
    return None


def _item_view(item: ReviewedItem, n: int) -> dict:
    e, m, d = item.extraction, item.machine, item.decision
    return {
        "html_id": f"it-{n + 1}", "field": e.field, "item": e.item, "text": e.text, "normalized": e.normalized,
        "start": e.start, "end": e.end, "rule_id": e.rule_id, "confidence": e.confidence,
        "confidence_str": confidence_str(e.confidence), "review": e.review,
        "machine": None if m is None else {"field": m.field, "start": m.start, "end": m.end, "text": m.text},
        "decision": None if d is None else {"id": d.id, "action": d.action, "reviewer": d.reviewer,
                                            "created_at": d.created_at},
    }


def _summary(state: DocumentState) -> dict:
    counts = state.review.counts()
    unreviewed = [i.extraction.confidence for i in state.review.items if i.extraction.review == "unreviewed"]
    return {"doc_id": state.document.raw.doc_id, "region": state.document.metadata.region,
            "sha256": state.sha256, "reviewed": state.review.reviewed, "reviewed_by": state.review.reviewed_by,
            "counts": counts, "min_confidence": min(unreviewed) if unreviewed else None,
            "needs_look": not state.review.reviewed or counts["stale"] > 0}


def serve(out_dir: Path, reviews: Path, reviewer: str, host: str = "127.0.0.1", port: int = 8765,
          echo=print) -> None:
    """Run the review server until Ctrl-C (uvicorn)."""
    import uvicorn

    current_documents(out_dir)  # fails now, clearly, when there is no run to review
    token = None if host in LOOPBACK else secrets.token_urlsafe(24)
    app = create_app(out_dir, reviews, reviewer, hosts=allowed_hosts(host, port), token=token)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    echo(f"review server for {out_dir} (decisions in {reviews}, reviewer {reviewer})")
    echo(f"open {address}")
    if token:
        echo(f"access token: {token}")
    uvicorn.run(app, host=host, port=port, log_level="warning")

