"""The run report: one self-contained HTML page for reviewing a run's results.

Everything here is pure: `render_report` takes the run's results (and the
previous run's, when there is one) as the store's typed records and returns
the page as a string; the store module writes it.  The page has no external
references (inline CSS and a little inline JS) so it opens from disk, and it
reads fine without JS.

Public functions:

* `render_report(current, previous=None, run_info=None) -> str`
* `highlight_html(text, spans) -> Markup` -- a document's text with spans
  marked as validly nested ``<mark>`` pieces (overlaps are split); it lives in
  `pipeline.highlight`.
* `diff_runs(current, previous) -> dict` -- what changed since the previous run.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from .highlight import FIELD_LABELS, confidence_str, highlight_html
from .store.rows import values_rows
from .types import FIELDS, Change, Extraction, RunResults, StoredDocument, Strategy

if TYPE_CHECKING:
    from .review.apply import ReviewedDocument

__all__ = ["diff_runs", "highlight_html", "render_report"]

STATUS_ORDER = {"ok": 0, "rejected": 1, "skipped": 2}
RUN_INFO_ORDER = ("run_id", "started_at", "finished_at", "raw_dir", "out_dir", "model", "rules_version")
RUN_INFO_LABELS = {"run_id": "Run", "started_at": "Started", "finished_at": "Finished", "raw_dir": "Input",
                   "out_dir": "Output", "model": "Model", "rules_version": "Rules"}
TRUNCATE = 90
LOW_CONFIDENCE = 0.6  # extractions below this are flagged in the overview

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"


# --------------------------------------------------------------------------- values


def _truncate(text: str | None, limit: int = TRUNCATE) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _anchor_ids(doc_ids: Iterable[str]) -> dict[str, str]:
    """Stable, unique HTML ids for doc_ids (which may contain '/', spaces, umlauts)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for doc_id in doc_ids:
        base = "doc-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", doc_id).strip("-") or "x")
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        out[doc_id] = anchor
    return out


# --------------------------------------------------------------------------- diff


def _extraction_keys(results: RunResults) -> dict[tuple[str, str, str], dict]:
    """(doc_id, field, normalized) -> a representative extraction (the first by item)."""
    out: dict[tuple[str, str, str], dict] = {}
    for d in results.documents:
        for e in sorted(d.extractions, key=lambda e: e.item):
            out.setdefault((e.doc_id, e.field, e.normalized), {
                "doc_id": e.doc_id, "field": e.field, "normalized": e.normalized,
                "text": e.text, "rule_id": e.rule_id, "confidence": e.confidence,
            })
    return out


def _field_sort(rec: Mapping) -> tuple:
    field = rec["field"]
    return (rec["doc_id"], FIELDS.index(field) if field in FIELDS else len(FIELDS), field, rec["normalized"])


def diff_runs(current: RunResults, previous: RunResults | None) -> dict:
    """What changed between the previous run's results and the current ones.

    Returns a dict with ``first_run`` (True when `previous` is None; all lists
    are then empty), ``new`` / ``changed`` / ``removed`` (sorted doc_ids:
    documents only in the current run / whose sha256 differs / only in the
    previous run) and ``appeared`` / ``disappeared`` (extractions keyed by
    (doc_id, field, normalized), as dicts with those keys plus text, rule_id,
    confidence; sorted by doc_id, field, normalized).
    """
    result: dict[str, Any] = {"first_run": previous is None, "new": [], "changed": [], "removed": [],
                              "appeared": [], "disappeared": []}
    if previous is None:
        return result
    cur_docs = {d.raw.doc_id: d.raw.sha256 for d in current.documents}
    prev_docs = {d.raw.doc_id: d.raw.sha256 for d in previous.documents}
    result["new"] = sorted(set(cur_docs) - set(prev_docs))
    result["removed"] = sorted(set(prev_docs) - set(cur_docs))
    result["changed"] = sorted(d for d in set(cur_docs) & set(prev_docs) if cur_docs[d] != prev_docs[d])
    cur_ext, prev_ext = _extraction_keys(current), _extraction_keys(previous)
    result["appeared"] = sorted((cur_ext[k] for k in set(cur_ext) - set(prev_ext)), key=_field_sort)
    result["disappeared"] = sorted((prev_ext[k] for k in set(prev_ext) - set(cur_ext)), key=_field_sort)
    return result


# --------------------------------------------------------------------------- view model


HISTORY_RUNS = 20  # runs with changes shown, newest first
HISTORY_ROWS = 200  # changes shown per run


def _history_view(history: tuple[Change, ...], current_run: str | None = None) -> dict:
    """The change history grouped by run, newest first, with a one-line summary per run."""
    by_run: dict[str, list[Change]] = {}
    for c in history:
        by_run.setdefault(c.run_id, []).append(c)
    ordered = sorted(by_run.values(), key=lambda cs: (cs[0].committed_at, cs[0].run_id), reverse=True)
    runs = []
    for changes in ordered[:HISTORY_RUNS]:
        first = changes[0]
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for c in changes:
            counts[(c.object, c.change)] += 1
        summary = ", ".join(f"{n} {obj}{'s' if n != 1 else ''} {change}" for (obj, change), n in sorted(counts.items()))
        since = f"run {first.previous_run}" if first.previous_run else "nothing (first run)"
        runs.append({"run_id": first.run_id, "committed_at": first.committed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     "since": since, "summary": summary, "changes": changes[:HISTORY_ROWS],
                     "more": max(0, len(changes) - HISTORY_ROWS)})
    last = runs[0]["run_id"] if runs else None
    quiet = runs[0]["committed_at"] if runs and current_run and last != current_run else None
    return {"runs": runs, "hidden_runs": max(0, len(ordered) - HISTORY_RUNS), "last_change": last,
            "quiet_since": quiet}



def _extraction_view(e: Extraction, i: int, anchor: str, text: str | None) -> dict:
    return {
        "id": f"{anchor}-x{i + 1}",
        "field": e.field, "item": e.item, "text": e.text, "normalized": e.normalized,
        "start": e.start, "end": e.end, "sentence": e.sentence, "rule_id": e.rule_id,
        "confidence": e.confidence, "confidence_str": confidence_str(e.confidence),
        "grounded": text is not None and text[e.start:e.end] == e.text,
        "review": e.review,
    }


def _review_view(d: StoredDocument, state: ReviewedDocument | None) -> dict:
    """A document's review progress: reviewed or not, items by status, stale decisions."""
    counts = {s: 0 for s in ("unreviewed", "accepted", "rejected", "edited", "added")}
    for e in d.extractions:
        counts[e.review] = counts.get(e.review, 0) + 1
    unreviewed = [e.confidence for e in d.extractions if e.review == "unreviewed"]
    stale = [{"id": s.decision.id, "action": s.decision.action, "field": s.decision.field,
              "text": s.decision.text, "reviewer": s.decision.reviewer, "reason": s.reason}
             for s in (state.stale if state else ())]
    reviewed = bool(state and state.reviewed)
    return {"reviewed": reviewed, "reviewed_by": state.reviewed_by if state else None, "counts": counts,
            "stale": stale, "n_stale": len(stale),
            "min_confidence": min(unreviewed) if unreviewed else None,
            "needs_look": d.raw.status == "ok" and (not reviewed or bool(stale))}


def _document_view(d: StoredDocument, anchor: str, state: ReviewedDocument | None = None) -> dict:
    raw, meta, text = d.raw, d.metadata, d.raw.text
    ordered = sorted(d.extractions, key=lambda e: (e.start, FIELDS.index(e.field) if e.field in FIELDS else 9, e.item))
    exts = [_extraction_view(e, i, anchor, text) for i, e in enumerate(ordered)]
    by_field = {f: sorted((e for e in exts if e["field"] == f), key=lambda e: (e["item"], e["start"])) for f in FIELDS}
    strategy = d.strategy or Strategy()  # rejected and skipped documents have none
    return {
        "doc_id": raw.doc_id,
        "anchor": anchor,
        "source": raw.source,
        "sha256": raw.sha256,
        "status": raw.status,
        "status_rank": STATUS_ORDER.get(raw.status, 9),
        "reason": raw.reason,
        "notes": list(raw.notes),
        "language": raw.language,
        "region": meta.region,
        "decided_on": meta.decided_on,
        "decided_by": meta.decided_by,
        "period": meta.period,
        "n_sentences": d.n_sentences,
        "n_tokens": d.n_tokens,
        "processed_at": d.processed_at.isoformat(),
        "model": d.model,
        "rules_version": d.rules_version,
        "text": text,
        "has_text": text is not None,
        "extractions": exts,
        "by_field": by_field,
        "counts": {f: len(by_field[f]) for f in FIELDS},
        "ungrounded": sum(1 for e in exts if not e["grounded"]),
        "mission": strategy.mission, "mission_short": _truncate(strategy.mission),
        "vision": strategy.vision, "vision_short": _truncate(strategy.vision),
        "value_list": list(strategy.values),
        "goal_list": list(strategy.goals),
        "highlighted": highlight_html(text, exts) if text is not None else None,
        "section": raw.status == "ok" and (text is not None or bool(exts)),
        "review": _review_view(d, state),
    }


def _documents(current: RunResults, reviews: Mapping[str, ReviewedDocument] | None = None) -> list[dict]:
    """The documents' view models: grouped by status, then by organisation."""
    ordered = sorted(current.documents, key=lambda d: (
        STATUS_ORDER.get(d.raw.status, 9), (d.metadata.region or "").casefold(), d.raw.doc_id))
    anchors = _anchor_ids(d.raw.doc_id for d in ordered)
    return [_document_view(d, anchors[d.raw.doc_id], (reviews or {}).get(d.raw.doc_id)) for d in ordered]


def _cross_county(docs: list[dict]) -> dict:
    """Normalized values (rows) x organisations (columns), most shared first."""
    columns = [d for d in docs if d["status"] == "ok" and d["value_list"]]
    region_count: dict[str, int] = defaultdict(int)
    for d in columns:
        region_count[d["region"] or d["doc_id"]] += 1
    cols = []
    for d in columns:
        org = d["region"] or d["doc_id"]
        sub = d["period"] or d["decided_on"] if region_count[org] > 1 else None
        cols.append({"label": org, "sub": sub or (d["doc_id"] if region_count[org] > 1 else None),
                     "anchor": d["anchor"], "org": org, "values": set(d["value_list"])})
    all_values = {v for c in cols for v in c["values"]}
    rows = []
    for value in all_values:
        cells = [value in c["values"] for c in cols]
        orgs = {c["org"] for c in cols if value in c["values"]}
        rows.append({"value": value, "cells": cells, "count": len(orgs)})
    rows.sort(key=lambda r: (-r["count"], r["value"].casefold(), r["value"]))
    return {"columns": cols, "rows": rows, "n_orgs": len({c["org"] for c in cols})}


def _concepts(current: RunResults, docs: list[dict]) -> dict:
    """Value concepts x organisations sharing them, from each organisation's latest strategy (as values.parquet)."""
    anchors = {d["doc_id"]: d["anchor"] for d in docs if d["section"]}
    rows = [{"doc_id": d.raw.doc_id, "organisation_id": d.metadata.organisation_id,
             "organisation_name": d.metadata.region, "organisation_kind": d.metadata.organisation_kind,
             "decided_on": d.metadata.decided_on, "period": d.metadata.period} for d in current.documents
            if d.raw.status == "ok" and d.strategy is not None]
    values = {d.raw.doc_id: list(d.strategy.values) for d in current.documents if d.strategy is not None}
    by_concept: dict[str, dict] = {}
    orgs = set()
    for r in values_rows(rows, values):
        org = r["organisation_id"] or r["doc_id"]
        orgs.add(org)
        entry = by_concept.setdefault(r["concept"], {"concept": r["concept"], "forms": set(), "orgs": {}})
        if r["value"] != r["concept"]:
            entry["forms"].add(r["value"])
        entry["orgs"].setdefault(org, {"name": r["organisation_name"] or r["doc_id"], "anchor": anchors.get(r["doc_id"])})
    out = [{"concept": e["concept"], "forms": sorted(e["forms"]), "count": len(e["orgs"]),
            "orgs": sorted(e["orgs"].values(), key=lambda o: o["name"].casefold())} for e in by_concept.values()]
    out.sort(key=lambda r: (-r["count"], r["concept"].casefold()))
    return {"rows": out, "n_orgs": len(orgs), "max_count": max((r["count"] for r in out), default=1)}


def _run_info_items(run_info: Mapping | None) -> list[tuple[str, str]]:
    """(label, value) pairs for the header; `counts` (a dict) becomes one entry."""
    if not run_info:
        return []
    keys = [k for k in RUN_INFO_ORDER if k in run_info] + sorted(
        k for k in run_info if k not in RUN_INFO_ORDER and k != "counts")
    items = []
    for key in keys:
        value = run_info[key]
        if value is None or (isinstance(value, (dict, list, tuple)) and not value):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        label = RUN_INFO_LABELS.get(key, key.replace("_", " ").capitalize())
        items.append((label, str(value)))
    counts = run_info.get("counts")
    if isinstance(counts, dict) and counts:
        items.append(("Counts", " · ".join(f"{str(k).replace('_', ' ')} {v}" for k, v in counts.items())))
    elif counts is not None and not isinstance(counts, dict):
        items.append(("Counts", str(counts)))
    return items


# --------------------------------------------------------------------------- rendering


def _wbr(value: Any) -> Markup:
    """Escaped text with line-break opportunities after '/', '.', '_' (for ids and paths)."""
    return Markup(re.sub(r"([/._])", r"\1<wbr>", str(escape("" if value is None else value))))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["wbr"] = _wbr
    env.globals["FIELDS"] = FIELDS
    env.globals["FIELD_LABELS"] = FIELD_LABELS
    return env


def warm_up() -> None:
    """Compile the report's template now (about 0.15 s), not when the run is ready to publish."""
    _environment().get_template(TEMPLATE)


def rule_descriptions() -> dict[str, str]:
    """Rule id → the comment its rule file gives (why the rule exists), for the report's rule links."""
    from .extract.rules import rule_comments

    return {**dict(rule_comments()),
            "review": "added or corrected by a reviewer (pipeline review)"}


def render_report(current: RunResults, previous: RunResults | None = None, run_info: Mapping | None = None,
                  reviews: Mapping[str, ReviewedDocument] | None = None) -> str:
    """The run report as one self-contained HTML page (a string; nothing is written).

    `current` and `previous` are runs' results as `store.read_results` gives
    them; `previous` is None on a first run.  `run_info` may hold run_id,
    finished_at, raw_dir, model, rules_version, counts (a dict) and other
    scalars; whatever is present is shown.  `reviews` (doc_id -> the
    reviewers' decisions applied, `pipeline.review.apply`) adds each
    document's review progress and stale decisions.
    """
    docs = _documents(current, reviews)
    status_counts = {s: sum(1 for d in docs if d["status"] == s) for s in STATUS_ORDER}
    other_status = sum(1 for d in docs if d["status"] not in STATUS_ORDER)
    field_counts = {f: sum(d["counts"][f] for d in docs) for f in FIELDS}
    diff = diff_runs(current, previous)
    names = {d["doc_id"]: d for d in docs}
    # Removed documents are only in the previous run; their region names them in the changes list.
    prev_regions = {d.raw.doc_id: d.metadata.region for d in previous.documents} if previous else {}
    info_items = _run_info_items(run_info)
    title_bits = [b for b in ((run_info or {}).get("run_id"), (run_info or {}).get("finished_at")) if b]
    rules = rule_descriptions()
    fired = sorted({e["rule_id"] for d in docs for e in d["extractions"]} & set(rules))
    return _environment().get_template(TEMPLATE).render(
        docs=docs,
        rules=rules,
        low_confidence=LOW_CONFIDENCE,
        fired_rules=[(rule_id, rules[rule_id]) for rule_id in fired],
        section_docs=[d for d in docs if d["section"]],
        problem_docs=[d for d in docs if d["status"] != "ok"],
        status_counts=status_counts,
        other_status=other_status,
        field_counts=field_counts,
        n_extractions=sum(field_counts.values()) + sum(
            1 for d in docs for e in d["extractions"] if e["field"] not in FIELDS),
        diff=diff,
        names=names,
        prev_regions=prev_regions,
        cross=_cross_county(docs),
        concepts=_concepts(current, docs),
        overview_flags={"changed": sorted(diff["new"] + diff["changed"]), "threshold": LOW_CONFIDENCE,
                        "low": sorted(d["doc_id"] for d in docs
                                      if any(e["confidence"] < LOW_CONFIDENCE for e in d["extractions"]))},
        history=_history_view(current.history, (run_info or {}).get("run_id")),
        info_items=info_items,
        title_suffix=" · ".join(str(b) for b in title_bits),
        review_docs=sorted((d for d in docs if d["status"] == "ok"), key=lambda d: (
            not d["review"]["needs_look"], d["review"]["min_confidence"] if d["review"]["min_confidence"] is not None
            else 2.0, d["doc_id"])),
    )
