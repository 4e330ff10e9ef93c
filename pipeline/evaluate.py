"""Scoring extractions against gold annotations (the corpus format and matching rules).

Matching (as in the development corpus README):
- mission, vision, goal: bag-of-word-token F1 between a predicted and a gold
  span (NFC, lower case, tokens = \\w+); a pair with F1 >= 0.5 matches;
  one-to-one, greedily by best score.
- value: the predicted base form equals the gold lemma after lower-casing,
  removing '#' and collapsing white space; one-to-one.
- micro precision / recall / F1 per field over the Finnish documents; a
  non-Finnish document is handled when it is labelled with its language and
  nothing is extracted from it.
"""
from __future__ import annotations

from typing import Any

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GoldFormatError
from .spans import span_f1, words

__all__ = ["Gold", "load_gold", "match", "score", "span_f1", "words", "select_documents"]

FIELDS = ("mission", "vision", "value", "goal")
GOLD_KEYS = {"mission": "mission", "vision": "vision", "value": "values", "goal": "goals"}
MATCH_THRESHOLD = 0.5


@dataclass(frozen=True)
class Gold:
    doc_id: str
    language: str
    items: dict  # field -> list[str] (values: lemmas)
    surfaces: dict = field(default_factory=dict)  # field -> list[str] as written (values: surfaces)
    text: str | None = None  # the document's text, when its .txt lies beside the gold file


def select_documents(gold: dict[str, Gold], patterns: list[str]) -> dict[str, Gold]:
    """The gold documents whose id matches one of `patterns` (globs; `@FILE` reads ids or globs
    from a file, one a line, `#` comments allowed)."""
    if not patterns:
        return gold
    globs: list[str] = []
    for pattern in patterns:
        if pattern.startswith("@"):
            path = Path(pattern[1:])
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as err:
                raise GoldFormatError(f"{path}: cannot read the document list ({err.strerror})") from None
            globs += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        else:
            globs += [g for g in pattern.split(",") if g]
    chosen = {k: v for k, v in gold.items() if any(fnmatch.fnmatchcase(k, g) for g in globs)}
    if not chosen:
        raise GoldFormatError(f"no gold document matches {', '.join(patterns)}")
    return chosen


def norm_value(text: str) -> str:
    return " ".join(text.lower().replace("#", "").split())


def load_gold(gold_dir: Path | str) -> dict[str, Gold]:
    out = {}
    paths = sorted(Path(gold_dir).glob("*.gold.json"))
    if not paths:
        raise GoldFormatError(f"no *.gold.json files in {gold_dir}")
    for path in paths:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            items = {f: list(raw[GOLD_KEYS[f]]) for f in ("mission", "vision", "goal")}
            surfaces = dict(items)
            items["value"] = [v["lemma"] for v in raw["values"]]
            surfaces["value"] = [v["surface"] for v in raw["values"]]
            txt = path.with_name(path.name[: -len(".gold.json")] + ".txt")
            text = txt.read_text(encoding="utf-8") if txt.exists() else None
            out[raw["doc_id"]] = Gold(raw["doc_id"], raw["language"], items, surfaces, text)
        except (KeyError, TypeError, ValueError) as err:
            raise GoldFormatError(f"{path.name}: not in the gold format ({err})") from None
    return out


def match(field_name: str, predicted: list[str], gold: list[str]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """One-to-one matches (pred index, gold index), unmatched predictions, unmatched gold."""
    if field_name == "value":
        pairs, used = [], set()
        for i, p in enumerate(predicted):
            for j, g in enumerate(gold):
                if j not in used and norm_value(p) == norm_value(g):
                    pairs.append((i, j))
                    used.add(j)
                    break
    else:
        scored = sorted(((span_f1(p, g), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)),
                        key=lambda t: (-t[0], t[1], t[2]))
        pairs, used_p, used_g = [], set(), set()
        for score, i, j in scored:
            if score >= MATCH_THRESHOLD and i not in used_p and j not in used_g:
                pairs.append((i, j))
                used_p.add(i)
                used_g.add(j)
    mp, mg = {i for i, _ in pairs}, {j for _, j in pairs}
    return pairs, [i for i in range(len(predicted)) if i not in mp], [j for j in range(len(gold)) if j not in mg]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


# ---------------------------------------------------------------------- why a statement was missed

_LABEL_END = re.compile(r":\s*$")
_ESSIVE_CUE = re.compile(r"\w+(na|nä)(mme|nsa|nsä)?\s+(\w+\s+){0,3}(on|ovat)\b[^.]*$", re.I)
_COPULA = re.compile(r"\b(on|ovat)\b(\s+olla)?[\s,]*(että)?\s*$", re.I)
_FOCUS = re.compile(r"\b(keskitty|panost|painott|satsa)\w*\b", re.I)
_MARKER = re.compile(r"^\s*([•·▪●◦‣∙*\-–—]|\d{1,2}[.)]|[a-hA-H][.)])\s+")


def miss_construction(text: str | None, surface: str) -> str:
    """Which construction states a missed gold item in the text, read from its context: the
    rule family that would have had to fire (colon, copula, essive, focus, label-list, section,
    prose), or 'not located' when the surface is not found verbatim."""
    if not text:
        return "not located"
    pos = _locate(text, surface)
    if pos < 0:
        return "not located"
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    bare = _MARKER.sub("", prefix).strip()
    if bare:
        if _FOCUS.search(bare):
            return "focus"
        if _LABEL_END.search(bare) or ":" in bare:
            return "colon"
        if _ESSIVE_CUE.search(bare):
            return "essive"
        if _COPULA.search(bare):
            return "copula"
        return "prose"
    previous = [ln for ln in text[:line_start].rstrip("\n").split("\n") if ln.strip()][-6:]
    for ln in reversed(previous):
        if _MARKER.match(ln) or ln.strip() == "":
            continue
        return "label-list" if ln.rstrip().endswith(":") else "section"
    return "section"


def _locate(text: str, surface: str) -> int:
    """First whole-word occurrence of `surface` (case-insensitive), else any occurrence."""
    m = re.search(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", text, re.I)
    return m.start() if m else text.lower().find(surface.lower())


@dataclass
class Report:
    fields: dict = field(default_factory=lambda: {f: Counts() for f in FIELDS})
    misses_by_construction: dict = field(default_factory=dict)  # field -> {construction: count}
    documents: list = field(default_factory=list)  # per-document misses and false extractions
    non_finnish: dict = field(default_factory=lambda: {"handled": 0, "total": 0, "failed": []})

    def as_dict(self) -> dict:
        overall = Counts(sum(c.tp for c in self.fields.values()), sum(c.fp for c in self.fields.values()),
                         sum(c.fn for c in self.fields.values()))
        return {"fields": {f: c.scores() for f, c in self.fields.items()}, "overall": overall.scores(),
                "non_finnish": self.non_finnish, "misses_by_construction": self.misses_by_construction,
                "documents": self.documents}


def score(predictions: dict[str, dict[str, list[str]]], languages: dict[str, str | None], gold: dict[str, Gold]) -> Report:
    """`predictions[doc_id][field]` holds predicted texts (values: base forms)."""
    report = Report()
    for doc_id, g in sorted(gold.items()):
        pred = predictions.get(doc_id, {})
        if g.language != "fi":
            report.non_finnish["total"] += 1
            extracted = sum(len(v) for v in pred.values())
            if languages.get(doc_id) == g.language and not extracted:
                report.non_finnish["handled"] += 1
            else:
                report.non_finnish["failed"].append(
                    f"{doc_id}: language {languages.get(doc_id)!r} (gold {g.language!r}), {extracted} extractions")
            continue
        row: dict[str, Any] = {"doc_id": doc_id, "missed": {}, "false": {}}
        for f in FIELDS:
            p_items, g_items = pred.get(f, []), g.items[f]
            pairs, fp, fn = match(f, p_items, g_items)
            c = report.fields[f]
            c.tp += len(pairs)
            c.fp += len(fp)
            c.fn += len(fn)
            if fn:
                row["missed"][f] = [g_items[j] for j in fn]
                tally = report.misses_by_construction.setdefault(f, {})
                for j in fn:
                    surface = (g.surfaces.get(f) or g_items)[j]
                    kind = miss_construction(g.text, surface)
                    tally[kind] = tally.get(kind, 0) + 1
            if fp:
                row["false"][f] = [p_items[i] for i in fp]
        report.documents.append(row)
    return report


def predictions_from_tables(extractions, documents) -> tuple[dict, dict]:
    """Turn the pipeline's DataFrames into `score` inputs."""
    preds: dict[str, dict[str, list[str]]] = {}
    if "review" in extractions.columns:  # reviewed tables: a rejected row is not a prediction
        extractions = extractions[extractions["review"] != "rejected"]
    for row in extractions.sort_values(["doc_id", "field", "item"]).itertuples(index=False):
        text = row.normalized if row.field == "value" else row.text
        preds.setdefault(row.doc_id, {}).setdefault(row.field, []).append(text)
    languages = dict(zip(documents["doc_id"], documents["language"]))
    return preds, languages


def format_table(result: dict) -> str:
    lines = [f"{'field':<9} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for name, s in list(result["fields"].items()) + [("overall", result["overall"])]:
        lines.append(f"{name:<9} {s['p']:>6.3f} {s['r']:>6.3f} {s['f1']:>6.3f} {s['tp']:>4} {s['fp']:>4} {s['fn']:>4}")
    nf = result["non_finnish"]
    lines.append(f"non-Finnish documents handled: {nf['handled']}/{nf['total']}")
    for failure in nf["failed"]:
        lines.append(f"  ! {failure}")
    if result.get("misses_by_construction"):
        lines.append("misses by construction (which rule family would have had to fire):")
        for f, tally in result["misses_by_construction"].items():
            counts = ", ".join(f"{k} {n}" for k, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
            lines.append(f"  {f:<8} {counts}")
    for doc in result["documents"]:
        if doc["missed"] or doc["false"]:
            lines.append(f"\n{doc['doc_id']}")
            for f, items in doc["missed"].items():
                for it in items:
                    lines.append(f"  missed {f:<8} {it[:110]}")
            for f, items in doc["false"].items():
                for it in items:
                    lines.append(f"  false  {f:<8} {it[:110]}")
    return "\n".join(lines)
