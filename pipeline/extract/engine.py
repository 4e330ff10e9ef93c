"""Rule-based extraction of mission, vision, values and goals.

Cue words are found by the spaCy Matcher over lemmas (rules in
`pipeline/rules/cues.yaml`); each match is then read through the
constructions its rule allows (label, heading, copula, quotation, …) to locate
the statement, which is split into items where the field is a list.  Every
item keeps its character interval into the document text.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from spacy.matcher import Matcher

from ..evaluate import span_f1  # the corpus's notion of "the same statement" also drives dedup
from ..types import Analysis, DocumentMetadata, Extraction
from . import layout as lay
from .metadata import extract_metadata
from .rules import CueRule, RuleSet
from .spacy_doc import blank_vocab, is_past_participle, to_spacy

OPEN_QUOTES = {"”", "“", '"', "«", "„", "»", "'"}
CLOSE_QUOTES = {"”", "“", '"', "»", "«", "'"}
DASHES = {"–", "—", "-", "−"}
CONJ = {"ja", "sekä", "tai", "&"}
EDGE_PUNCT = {".", ",", ";", ":", "!", "?", "…"} | DASHES | OPEN_QUOTES | CLOSE_QUOTES
COPULA_FORMS = {"on", "ovat", "oli", "olivat"}
# Words that may stand between a cue and the quotation that states it:
# "missio on ”…”", "perustehtäväksi eli missioksi puolestaan on määritelty ”…”".
QUOTE_BRIDGE = COPULA_FORMS | {"eli", "olla", "kuuluu", ":", "puolestaan", "määritelty", "määritellyt", "nimetty",
                               "kiteytetty", "tiivistetty", "siis"}
NUMBER_WORDS = {"yksi": 1, "kaksi": 2, "kolme": 3, "neljä": 4, "viisi": 5, "kuusi": 6, "seitsemän": 7,
                "kahdeksan": 8, "yhdeksän": 9, "kymmenen": 10}
CONSTRUCTION_WEIGHT = {"colon": 1.0, "heading": 1.0, "quote": 1.0, "copula": 0.95, "relative": 0.95,
                       "after": 0.9, "dash": 0.85, "list_follows": 0.85}
MAX_VALUE_TOKENS = 8
MAX_BLOCK_ITEMS = 12


@dataclass(frozen=True)
class Candidate:
    field: str
    a: int  # token range [a, b)
    b: int
    rule_id: str
    confidence: float
    group: str  # which enumeration / list it came from
    kind: str  # "single" | "inline" | "block"
    normalized: str = ""
    start: int = 0
    end: int = 0


@dataclass
class _Ctx:
    analysis: Analysis
    doc: object
    layout: lay.Layout
    sent_bounds: dict = field(default_factory=dict)

    def sentence_range(self, i: int) -> tuple[int, int]:
        s = self.analysis.tokens[i].sentence
        sent = self.analysis.sentences[s]
        return sent.first_token, sent.last_token


class Extractor:
    """Holds the compiled rules; `extract(analysis)` is pure."""

    provides = ("extractions", "metadata")

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.by_id = {r.id: r for r in rules.cues}
        self.matcher = Matcher(blank_vocab(), validate=True)
        for rule in rules.cues:
            self.matcher.add(rule.id, [list(rule.pattern)])
        self._concepts = rules.concepts

    # ------------------------------------------------------------------ concepts
    def concept_of(self, lower: str, lemma: str) -> str | None:
        for c in self._concepts:
            if lemma == c.lemma:
                return c.key
        for c in self._concepts:
            if c.forms.search(lower):
                return c.key
        return None

    # ------------------------------------------------------------------ public
    def extract(self, analysis: Analysis) -> tuple[DocumentMetadata, tuple[Extraction, ...]]:
        metadata = extract_metadata(analysis.text, self.rules.metadata)
        if not analysis.tokens:
            return metadata, ()
        doc = to_spacy(analysis, self.concept_of)
        ctx = _Ctx(analysis, doc, lay.Layout(analysis.text))
        candidates: list[Candidate] = []
        for match_id, s, e in self.matcher(doc):
            rule = self.by_id[doc.vocab.strings[match_id]]
            candidates.extend(self._read_match(ctx, rule, s, e))
        kept = resolve(candidates, ctx)
        return metadata, tuple(to_extractions(kept, analysis))

    # ------------------------------------------------------------------ constructions
    def _read_match(self, ctx: _Ctx, rule: CueRule, s: int, e: int) -> list[Candidate]:
        doc, toks = ctx.doc, ctx.analysis.tokens
        sa, sb = ctx.sentence_range(s)
        cue = e - 1 if not rule.keep_last else e - 1 - rule.keep_last
        weight = lambda c: rule.confidence * CONSTRUCTION_WEIGHT[c]  # noqa: E731
        group = f"{rule.id}@{s}"
        for construction in rule.takes:
            if construction == "colon":
                colon = _owned_colon(doc, s, e, sb)
                if colon is not None:
                    return self._content(ctx, rule, colon + 1, sb, weight("colon"), group, anchor=colon)
            elif construction == "heading":
                if _is_heading(ctx, s, e):
                    line = ctx.layout.line_at(toks[s].start)
                    return self._block(ctx, rule, line.index, weight("heading"), group, count=None)
            elif construction == "copula":
                if e < sb and doc[e].lower_ in COPULA_FORMS and doc[cue]._.case in ("nom", "par") and not _coordinated(doc, s, e, sa, sb):
                    start = e + 1
                    if start < sb and doc[start].lower_ == "olla":
                        start += 1
                    if start < sb and is_past_participle(doc[start].text, doc[start].pos_):
                        continue
                    return self._content(ctx, rule, start, sb, weight("copula"), group, anchor=e)
            elif construction == "quote":
                q = next((i for i in range(e, min(e + 6, sb)) if doc[i].text in OPEN_QUOTES), None)
                if q is not None and (doc[cue]._.case == "tra" or all(
                        doc[i].lower_ in QUOTE_BRIDGE or doc[i]._.concept == rule.field for i in range(e, q))):
                    close = next((i for i in range(q + 1, sb) if doc[i].text in CLOSE_QUOTES), sb)
                    if close > q + 1:
                        return self._single(ctx, rule, q + 1, close, weight("quote"), group)
            elif construction == "dash":
                if e < sb and doc[e].text in DASHES:
                    close = next((i for i in range(e + 1, sb) if doc[i].text in DASHES and doc[i].whitespace_), None)
                    if close is not None and close > e + 1:
                        return self._content(ctx, rule, e + 1, close, weight("dash"), group, anchor=e)
            elif construction == "relative":
                start = _relative_clause(doc, e, sb)
                if start is not None:
                    return self._content(ctx, rule, start, sb, weight("relative"), group, anchor=start - 1)
            elif construction == "list_follows":
                line = ctx.layout.line_at(toks[s].start)
                if not line.ends_sentence and not line.text.rstrip().endswith(":") and _last_concept_in_line(ctx, line) == cue:
                    nxt = ctx.layout.next_nonblank(line.index)
                    if nxt is not None and nxt.is_item:
                        return self._block(ctx, rule, line.index, weight("list_follows"), group, count=_announced_count(doc, s, sa))
            elif construction == "after":
                if _coordinated(doc, s, e, sa, sb):
                    continue
                start = e - rule.keep_last
                return self._content(ctx, rule, start, sb, weight("after"), group, anchor=start - 1)
        return []

    def _content(self, ctx: _Ctx, rule: CueRule, a: int, b: int, conf: float, group: str, anchor: int) -> list[Candidate]:
        """Inline content from token `a` or, when nothing follows on the line, the block below.

        The statement is the sentence that starts at `a`, bounded by `b` and by
        the end of the anchor's line (Stanza may end a sentence at the colon of
        "Visio: …", so the content can be the next sentence on the same line).
        """
        toks = ctx.analysis.tokens
        anchor_line = ctx.layout.line_at(toks[anchor].start if anchor >= 0 else 0)
        line_end = a
        while line_end < len(toks) and toks[line_end].start < anchor_line.end:
            line_end += 1
        a = _skip_leading(ctx.doc, a, line_end)
        if a >= line_end or all(ctx.doc[i].text in EDGE_PUNCT for i in range(a, line_end)):
            s_first = ctx.sentence_range(anchor if anchor >= 0 else 0)[0]
            return self._block(ctx, rule, anchor_line.index, conf, group, count=_announced_count(ctx.doc, anchor, s_first))
        if self.rules.not_statement.match(ctx.doc[a].lower_):
            return []  # "Arvot ovat ennallaan": talk about the statement, not the statement
        if b <= a:
            b = ctx.sentence_range(a)[1]
        b = min(b, line_end, ctx.sentence_range(a)[1])
        b = _cut_at_foreign_concept(ctx.doc, a, b, rule.field)
        if rule.field in ("value", "goal") and rule.enumerate:
            return self._enumeration(ctx, rule, a, b, conf, group)
        return self._single(ctx, rule, a, b, conf, group)

    def _single(self, ctx, rule, a, b, conf, group, kind="single") -> list[Candidate]:
        span = _trim(ctx.doc, a, b)
        if span is None:
            return []
        return [Candidate(rule.field, span[0], span[1], rule.id, conf, group, kind)]

    def _enumeration(self, ctx, rule, a, b, conf, group) -> list[Candidate]:
        doc = ctx.doc
        parts = split_values(doc, a, b) if rule.field == "value" else split_goals(doc, a, b)
        out = []
        for pa, pb in parts:
            span = _trim(doc, pa, pb)
            if span is None:
                continue
            if rule.field == "value" and span[1] - span[0] > MAX_VALUE_TOKENS:
                continue
            out.append(Candidate(rule.field, span[0], span[1], rule.id, conf * 0.95, group, "inline"))
        return out

    def _block(self, ctx: _Ctx, rule: CueRule, line_index: int, conf: float, group: str, count: int | None) -> list[Candidate]:
        """Items under a heading or after a colon: a list, or paragraphs."""
        layout, fld = ctx.layout, rule.field
        items = layout.list_after(line_index, skip_intro=1 if fld == "goal" else 0)
        if items:
            lines = items[: count or MAX_BLOCK_ITEMS]
            spans = [_first_sentence(ctx, ln) for ln in lines]
            return [c for c in (self._line_candidate(ctx, rule, sp, conf, group) for sp in spans) if c]
        if fld in ("mission", "vision"):
            paras = layout.paragraphs_after(line_index, 1)
            if not paras or _line_has_concept(ctx, paras[0]):
                return []
            return [c for c in [self._line_candidate(ctx, rule, _first_sentence(ctx, paras[0]), conf * 0.95, group)] if c]
        if fld == "value":
            return self._value_paragraphs(ctx, rule, line_index, conf, group)
        return self._goal_paragraphs(ctx, rule, line_index, conf, group, count)

    def _line_candidate(self, ctx, rule, span, conf, group) -> Candidate | None:
        if span is None:
            return None
        trimmed = _trim(ctx.doc, *span)
        if trimmed is None:
            return None
        return Candidate(rule.field, trimmed[0], trimmed[1], rule.id, conf, group, "block")

    def _value_paragraphs(self, ctx, rule, line_index, conf, group) -> list[Candidate]:
        paras = ctx.layout.paragraphs_after(line_index, MAX_BLOCK_ITEMS * 2)
        if not paras:
            return []
        out: list[Candidate] = []
        first_words = ctx.layout.text[paras[0].content_start:paras[0].end].split()
        if first_words and lay.is_all_caps_word(first_words[0]):
            # "VAIKUTTAVUUS Käytämme …": value definitions headed by the value in capitals.
            for para in paras:
                rng = _tokens_in(ctx, para.content_start, para.end)
                caps = []
                for i in rng:
                    if lay.is_all_caps_word(ctx.doc[i].text):
                        caps.append(i)
                    else:
                        break
                if not caps:
                    break
                out.append(Candidate("value", caps[0], caps[-1] + 1, rule.id, conf * 0.9, group, "block"))
            return out
        for para in paras:
            if _line_has_concept(ctx, para):
                break
            rng = _tokens_in(ctx, para.content_start, para.end)
            sentences = {ctx.analysis.tokens[i].sentence for i in rng}
            if len(sentences) == 1 and len(rng) <= MAX_VALUE_TOKENS + 4:
                span = _trim(ctx.doc, rng[0], rng[-1] + 1)
                if span:
                    out.append(Candidate("value", span[0], span[1], rule.id, conf * 0.85, group, "block"))
            elif not out:
                return []  # the first paragraph is prose, not a value
        return out

    def _goal_paragraphs(self, ctx, rule, line_index, conf, group, count) -> list[Candidate]:
        """Goals as paragraphs: the first sentence of each.  Without an announced
        count ("neljä painopistettä:") only short, item-like paragraphs qualify."""
        paras = ctx.layout.paragraphs_after(line_index, count or MAX_BLOCK_ITEMS)
        out = []
        for para in paras:
            if _line_has_concept(ctx, para) or (not para.ends_sentence and len(para.text.split()) <= 4):
                break
            rng = _tokens_in(ctx, para.content_start, para.end)
            if count is None and (len({ctx.analysis.tokens[i].sentence for i in rng}) > 2 or len(rng) > 40):
                break
            span = _first_sentence(ctx, para)
            cand = self._line_candidate(ctx, rule, span, conf * 0.85, group)
            if cand:
                out.append(cand)
        return out


# ---------------------------------------------------------------------- token helpers

def _tokens_in(ctx: _Ctx, start: int, end: int) -> list[int]:
    return [t.index for t in ctx.analysis.tokens if t.start >= start and t.end <= end]


def _first_sentence(ctx: _Ctx, line: lay.Line) -> tuple[int, int] | None:
    rng = _tokens_in(ctx, line.content_start, line.end)
    if not rng:
        return None
    first_sent = ctx.analysis.tokens[rng[0]].sentence
    in_first = [i for i in rng if ctx.analysis.tokens[i].sentence == first_sent]
    return in_first[0], in_first[-1] + 1


def _line_has_concept(ctx: _Ctx, line: lay.Line) -> bool:
    return any(ctx.doc[i]._.concept for i in _tokens_in(ctx, line.content_start, line.end))


def _last_concept_in_line(ctx: _Ctx, line: lay.Line) -> int | None:
    idx = [i for i in _tokens_in(ctx, line.content_start, line.end) if ctx.doc[i]._.concept]
    return idx[-1] if idx else None


def _owned_colon(doc, s: int, e: int, sb: int) -> int | None:
    """A colon after the cue whose nearest preceding concept word is this cue."""
    for i in range(e, min(e + 9, sb)):
        if doc[i].text == ":":
            return i
        if doc[i]._.concept or doc[i].text in {".", "!", "?"}:
            return None
    return None


def _is_heading(ctx: _Ctx, s: int, e: int) -> bool:
    toks = ctx.analysis.tokens
    line = ctx.layout.line_at(toks[s].start)
    if line.is_item or line.ends_sentence or line.text.rstrip().endswith(":"):
        return False
    rng = _tokens_in(ctx, line.content_start, line.end)
    if not rng or len(rng) > 6:
        return False
    concepts = [i for i in rng if ctx.doc[i]._.concept]
    if len(concepts) != 1 or not (s <= concepts[0] < e):
        return False
    return not any(ctx.doc[i].lower_ in CONJ | {",", "eli"} or ctx.doc[i].pos_ in ("VERB", "AUX") for i in rng)


def _coordinated(doc, s: int, e: int, sa: int, sb: int) -> bool:
    """'visio ja missio ovat …': a cue coordinated with another concept states neither."""
    if s - 2 >= sa and doc[s - 1].lower_ in CONJ | {","} and doc[s - 2]._.concept:
        return True
    if e + 1 < sb and doc[e].lower_ in CONJ | {","} and doc[e + 1]._.concept:
        return True
    return False


def _relative_clause(doc, e: int, sb: int) -> int | None:
    """Start of the content after ', jotka ovat [nimeltään]' within three tokens of the cue."""
    for i in range(e, min(e + 3, sb)):
        if doc[i].text == ",":
            if i + 2 < sb and doc[i + 1].lower_ in ("jotka", "joita", "joka") and doc[i + 2].lemma_ == "olla":
                start = i + 3
                if start < sb and doc[start].lower_ == "nimeltään":
                    start += 1
                return start
            return None
        if doc[i].is_punct:
            return None
    return None


def _announced_count(doc, i: int, sa: int) -> int | None:
    """'neljä painopistettä:' → 4 (a number word or digit just before the cue)."""
    for j in range(max(sa, i - 3), i + 1):
        word = doc[j].lemma_.lower()
        if word in NUMBER_WORDS:
            return NUMBER_WORDS[word]
        if doc[j].text.isdigit() and 1 < int(doc[j].text) <= 12 and j + 1 <= i and doc[j + 1]._.concept:
            return int(doc[j].text)
    return None


def _skip_leading(doc, a: int, b: int) -> int:
    while a < b and (doc[a].text in {":", ",", ";"} | DASHES or (doc[a].lower_ == "olla")):
        a += 1
    return a


def _cut_at_foreign_concept(doc, a: int, b: int, fld: str) -> int:
    """'… arvoihin: a, b ja c, sekä visioomme olla …' – stop before another field's cue."""
    for i in range(a + 1, b):
        concept = doc[i]._.concept
        if concept and concept != fld:
            j = i
            while j > a and (doc[j - 1].lower_ in CONJ or doc[j - 1].text in {",", ";"}):
                j -= 1
            return j
    return b


def _trim(doc, a: int, b: int) -> tuple[int, int] | None:
    if a < b and doc[a].text in OPEN_QUOTES:
        close = next((i for i in range(a + 1, b) if doc[i].text in CLOSE_QUOTES), None)
        if close is not None:
            return _trim(doc, a + 1, close)
    while a < b and (doc[a].text in EDGE_PUNCT or doc[a].lower_ == "olla" and a + 1 < b):
        a += 1
    while b > a and (doc[b - 1].text in EDGE_PUNCT or doc[b - 1].lower_ in CONJ):
        b -= 1
    if b <= a or all(not t.is_alpha and not t.like_num for t in doc[a:b]):
        return None
    return a, b


def split_values(doc, a: int, b: int) -> list[tuple[int, int]]:
    """'a, b, c sekä d' → four items; a list item's own 'ja' is kept by callers that do not split."""
    parts, cur = [], a
    for i in range(a, b):
        if doc[i].text in {",", ";"} or doc[i].lower_ in CONJ:
            if i > cur:
                parts.append((cur, i))
            cur = i + 1
    if cur < b:
        parts.append((cur, b))
    return parts


def _has_noun(doc, a: int, b: int) -> bool:
    return any(doc[i].pos_ in ("NOUN", "PROPN") for i in range(a, b))


def split_goals(doc, a: int, b: int) -> list[tuple[int, int]]:
    """Goals are phrases that may contain 'ja' themselves: split at commas, and the
    last segment at its first conjunction (the list's final 'ja' / 'sekä').  A lone
    modifier ('vaikuttavat, kustannustehokkaat sekä saavutettavat palvelut') belongs
    to the segment after it."""
    cuts = [i for i in range(a, b) if doc[i].text in {",", ";"}]
    segs = [(lo, hi) for lo, hi in zip([a] + [c + 1 for c in cuts], cuts + [b]) if hi > lo]
    if not segs:
        return []
    last_a, last_b = segs[-1]
    conj = next((i for i in range(last_a + 1, last_b - 1) if doc[i].lower_ in ("ja", "sekä")), None)
    if conj is not None and (len(segs) > 1 or (_has_noun(doc, last_a, conj) and _has_noun(doc, conj + 1, last_b))):
        segs[-1:] = [(last_a, conj), (conj + 1, last_b)]
    merged: list[tuple[int, int]] = []
    carry = None
    for i, (lo, hi) in enumerate(segs):
        lo = carry if carry is not None else lo
        carry = None
        lone_modifier = hi - lo == 1 and doc[lo].pos_ not in ("NOUN", "PROPN")
        if lone_modifier and i + 1 < len(segs):
            carry = lo
            continue
        merged.append((lo, hi))
    return merged


# ---------------------------------------------------------------------- normalization

_SESTI = re.compile(r"(.{4,})sesti$")


_PARTICIPLE_NOM = re.compile(r"v[aä]$")
_PARTICIPLE_PAR = re.compile(r"v(aa|ää)$")
_PARTITIVE_TO_NOM = ((re.compile(r"(uu|yy)(tta|ttä)$"), r"\1s"), (re.compile(r"(u|y)(sta|stä)$"), r"\1s"),
                     (re.compile(r"mis(ta|tä)$"), "minen"), (re.compile(r"(lli)s(ta|tä)$"), r"\1nen"))
_FINITE_SKIP = re.compile(r"(v[aä]|v(aa|ää)|nut|nyt|ttu|tty|en)$")


def nominal_form(surface: str, lemma: str, pos: str) -> str:
    """The nominative a value word stands for.

    UD lemmatizes participles to the verb ("kunnioittavaa" → kunnioittaa), and a
    small model sometimes turns nouns into verbs ("luottamus" → luottaa); a value
    is a noun or an adjective, so those cases are repaired from the surface form.
    """
    word, lemma = surface.lower(), lemma.lower().replace("#", "")
    verb_like = lemma.endswith(("a", "ä")) and lemma != word and pos in ("VERB", "AUX", "ADJ", "NOUN")
    if _PARTICIPLE_NOM.search(word) and verb_like and not word.endswith(("aa", "ää")):
        return word  # "arvostava", "luotettava"
    if _PARTICIPLE_PAR.search(word) and verb_like:
        return word[:-1]  # "kunnioittavaa" → kunnioittava
    if verb_like and word.endswith(("us", "ys")):
        return word  # "luottamus" tagged as a verb
    if verb_like:
        for pattern, repl in _PARTITIVE_TO_NOM:
            if pattern.search(word):
                return pattern.sub(repl, word)
    return lemma


def normalize_value(doc, a: int, b: int) -> str:
    """A value's base form: nominatives for noun phrases, the phrase itself for clauses."""
    toks = [t for t in doc[a:b] if not t.is_punct]
    if not toks:
        return ""
    words = [t.lower_ for t in toks]
    phrase = " ".join(doc[a:b].text.lower().split())
    if all(lay.is_all_caps_word(t.text) for t in toks):
        return " ".join(words)  # "VAIKUTTAVUUS": a heading in capitals is already the base form
    last, prev = toks[-1], toks[-2] if len(toks) >= 2 else None
    converb = last.lower_.endswith(("aen", "äen", "oen", "öen", "ien", "den", "ten", "len", "ren")) and len(last.text) >= 5
    if prev is not None and converb and prev.lower_.endswith(("a", "ä")):
        return nominal_form(prev.text, prev.lemma_, prev.pos_)  # "luottamusta vahvistaen" → luottamus
    if len(toks) == 1:
        m = _SESTI.match(words[0])
        if m:
            return m.group(1) + "suus"  # "vastuullisesti" → vastuullisuus
        return words[0] if toks[0].pos_ == "ADV" else nominal_form(toks[0].text, toks[0].lemma_, toks[0].pos_)
    # A value phrased as a clause starts with its verb ("Toimimme avoimesti", "Olemme luotettavia").
    finite = toks[0].pos_ in ("VERB", "AUX") and not _FINITE_SKIP.search(words[0])
    adverbial = any(t.pos_ in ("ADV", "ADP") or t.lower_.endswith("sti") for t in toks)
    if words[0].endswith("mme") or finite or adverbial:
        return phrase  # "Kohtaamme ihmislähtöisesti …": a clause has no nominative; keep the phrase
    if any(t._.case in ("ill", "ade", "abl", "all") for t in toks):
        return phrase  # "ihmiseltä ihmiselle": an adverbial phrase, not a noun phrase
    return " ".join(nominal_form(t.text, t.lemma_, t.pos_) for t in toks)


# ---------------------------------------------------------------------- resolution

def resolve(cands: list[Candidate], ctx: _Ctx) -> list[Candidate]:
    """Normalize, drop duplicates (a statement stated twice is kept once) and overlaps."""
    text, toks, doc = ctx.analysis.text, ctx.analysis.tokens, ctx.doc
    filled = []
    for c in cands:
        start, end = toks[c.a].start, toks[c.b - 1].end
        norm = normalize_value(doc, c.a, c.b) if c.field == "value" else " ".join(text[start:end].split())
        if norm:
            filled.append(replace(c, normalized=norm, start=start, end=end))
    by_field: dict[str, list[Candidate]] = defaultdict(list)
    for c in filled:
        by_field[c.field].append(c)
    kept: list[Candidate] = []
    for fld, items in by_field.items():
        if fld == "value":
            kept += _resolve_values(items)
        else:
            if fld == "goal":
                items = _drop_restated_inline(items)
            kept += _resolve_statements(items, threshold=0.6)
    return sorted(kept, key=lambda c: (c.start, c.field))


def _resolve_values(items: list[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for c in sorted(items, key=lambda c: (c.start, -c.confidence)):
        if c.normalized not in seen:
            seen[c.normalized] = c
    forms = set(seen)
    out = []
    for norm, c in seen.items():
        if _is_concatenation(norm, forms - {norm}):
            continue  # "vaikuttavuusrohkeusyhdenvertaisuus": separators lost in the source
        out.append(c)
    return out


def _is_concatenation(word: str, parts: set[str], depth: int = 0) -> bool:
    if depth and word in parts:
        return True
    return any(word.startswith(p) and _is_concatenation(word[len(p):], parts, depth + 1) for p in parts if p and len(p) < len(word))


def _drop_restated_inline(items: list[Candidate]) -> list[Candidate]:
    """An inline enumeration that restates a structured list is dropped in favour of the list."""
    blocks = [c for c in items if c.kind == "block"]
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in items:
        if c.kind == "inline":
            groups[c.group].append(c)
    drop = set()
    for g, members in groups.items():
        if any(span_f1(m.normalized, bl.normalized) >= 0.5 for m in members for bl in blocks):
            drop.add(g)
    return [c for c in items if c.group not in drop]


def _resolve_statements(items: list[Candidate], threshold: float) -> list[Candidate]:
    out: list[Candidate] = []
    for c in sorted(items, key=lambda c: (-c.confidence, c.start)):
        if any(span_f1(c.normalized, k.normalized) >= threshold or (c.start < k.end and k.start < c.end) for k in out):
            continue
        out.append(c)
    return out


def to_extractions(cands: list[Candidate], analysis: Analysis) -> list[Extraction]:
    counters: dict[str, int] = defaultdict(int)
    out = []
    for c in sorted(cands, key=lambda c: (c.field, c.start)):
        counters[c.field] += 1
        out.append(Extraction(
            doc_id=analysis.doc_id, field=c.field, item=counters[c.field],
            text=analysis.text[c.start:c.end], normalized=c.normalized, start=c.start, end=c.end,
            sentence=analysis.tokens[c.a].sentence, rule_id=c.rule_id, confidence=round(c.confidence, 3),
        ))
    return sorted(out, key=lambda x: (x.start, x.field))
