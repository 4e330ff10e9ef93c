"""What the construction readers share: word lists, token helpers, and `Reading`, one cue match
being read (its candidates, inline content or the block below, talk *about* a concept)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .context import Candidate, Ctx, Match
from .morphology import strip_possessive

if TYPE_CHECKING:
    from .rules import CueRule

OPEN_QUOTES = {"”", "“", '"', "«", "„", "»", "'"}
CLOSE_QUOTES = {"”", "“", '"', "»", "«", "'"}
DASHES = {"–", "—", "-", "−"}
CONJ = {"ja", "sekä", "tai", "&"}
EDGE_PUNCT = {".", ",", ";", ":", "!", "?", "…"} | DASHES | OPEN_QUOTES | CLOSE_QUOTES
COPULA_FORMS = {"on", "ovat", "oli", "olivat"}
RELATIVE_PRONOUNS = {"jotka", "joka", "joita", "joiden", "jossa", "joissa", "jonka", "joihin", "johon", "joista",
                     "josta", "joilla", "jolla", "joille", "jolle"}
# "Missio – miksi olemme olemassa?", "Visio: mihin pyrimme": a heading that asks what the section answers.
QUESTION_WORDS = {"miksi", "mihin", "mitä", "miten", "mikä", "mitkä", "kuinka", "ketä", "keitä", "millainen",
                  "millaisia", "millaiseksi", "mistä", "minkä"}
# Words that may stand between a cue and the quotation that states it:
# "missio on ”…”", "perustehtäväksi eli missioksi puolestaan on määritelty ”…”".
QUOTE_BRIDGE = COPULA_FORMS | {"eli", "olla", "kuuluu", ":", "puolestaan", "määritelty", "määritellyt", "nimetty",
                               "kiteytetty", "tiivistetty", "siis"}
NUMBER_WORDS = {"yksi": 1, "kaksi": 2, "kolme": 3, "neljä": 4, "viisi": 5, "kuusi": 6, "seitsemän": 7,
                "kahdeksan": 8, "yhdeksän": 9, "kymmenen": 10}
# How much a construction itself says about the cue (multiplies the rule's confidence).
CONSTRUCTION_WEIGHT = {"colon": 1.0, "heading": 1.0, "quote": 1.0, "copula": 0.95, "essive": 0.95, "relative": 0.95,
                       "consists": 0.9, "after": 0.9, "aim": 0.85, "dash": 0.85, "list_follows": 0.85, "focus": 0.8}
# "Arvot kuvaavat …", "Ammatillisesti kuvaa …", "Yhteisöllisyys on …": a term, then the verb defining it.
DEFINING_VERBS = {"kuvata", "tarkoittaa", "merkitä", "olla", "näkyä", "muistuttaa", "sisältää", "ilmetä", "korostaa"}
# The same verbs by form: "kuvaa" is also the partitive of the noun "kuva", and a tagger may take it so.
DEFINING_FORMS = {"kuvaa", "kuvaavat", "tarkoittaa", "tarkoittavat", "merkitsee", "merkitsevät", "on", "ovat", "näkyy",
                  "näkyvät", "muistuttaa", "sisältää", "ilmenee", "korostaa"}
COMPOSED_OF = {"muodostua", "koostua"}
LOCAL_CASES = ("ine", "ela", "ill", "ade", "abl", "all")  # "… taustalla on": an adverbial, not part of a term
MAX_VALUE_TOKENS = 8
MAX_BLOCK_ITEMS = 12
MAX_GAP_WORDS = 3  # adverbials between a cue and its copula: "tavoitteitamme valtuustokaudella ovat"


# ---------------------------------------------------------------------- token helpers

def trim(doc, a: int, b: int) -> tuple[int, int] | None:
    """Drop quotation marks, edge punctuation, a leading 'olla' and a trailing conjunction."""
    if a < b and doc[a].text in OPEN_QUOTES:
        close = next((i for i in range(a + 1, b) if doc[i].text in CLOSE_QUOTES), None)
        if close is not None:
            return trim(doc, a + 1, close)
    while a < b and (doc[a].text in EDGE_PUNCT or doc[a].lower_ == "olla" and a + 1 < b):
        a += 1
    while b > a and (doc[b - 1].text in EDGE_PUNCT or doc[b - 1].lower_ in CONJ):
        b -= 1
    if b <= a or all(not t.is_alpha and not t.like_num for t in doc[a:b]):
        return None
    return a, b


def skip_leading(doc, a: int, b: int) -> int:
    """Skip separators, the copula infinitive and a complementiser: "on, että …", "on: …"."""
    while a < b and (doc[a].text in {":", ",", ";"} | DASHES or doc[a].lower_ in ("olla", "että")):
        a += 1
    return a


def split_values(doc, a: int, b: int) -> list[tuple[int, int]]:
    """'a, b, c sekä d' → four items.

    Coordinated adverbs sharing one verb ("Toimimme avoimesti, innostavasti ja
    yhdessä") are the values themselves: the shared verb is left out.
    """
    parts, cur = [], a
    for i in range(a, b):
        if doc[i].text in {",", ";"} or (doc[i].lower_ in CONJ and not _hyphen_compound(doc, i)):
            if i > cur:
                parts.append((cur, i))
            cur = i + 1
    if cur < b:
        parts.append((cur, b))
    parts = [q for p in parts for q in _capitalised_run(doc, *p)]
    if len(parts) >= 2:
        first_a, first_b = parts[0]
        rest_adverbs = all(hi - lo == 1 and _is_adverb(doc[lo]) for lo, hi in parts[1:])
        if rest_adverbs and first_b - first_a == 2 and doc[first_a].pos_ in ("VERB", "AUX") and _is_adverb(doc[first_a + 1]):
            parts[0] = (first_a + 1, first_b)
    return parts


def _hyphen_compound(doc, i: int) -> bool:
    """'asiakas- ja henkilöstökokemuksen': the conjunction joins two halves of compounds."""
    return i > 0 and doc[i - 1].text.endswith("-")


def _capitalised_run(doc, a: int, b: int) -> list[tuple[int, int]]:
    """'Rohkeus Reiluus Vastuullisuus': list markup lost, each capitalised noun is an item."""
    toks = doc[a:b]
    kinds = ("NOUN", "ADJ", "PROPN") if len(toks) >= 3 else ("NOUN", "ADJ")
    if len(toks) >= 2 and all(t.text[:1].isupper() and t.text[1:].islower() and t.pos_ in kinds for t in toks):
        return [(i, i + 1) for i in range(a, b)]
    return [(a, b)]


def _is_adverb(tok) -> bool:
    """'avoimesti', 'yhdessä': a manner adverb or an adverbial case form."""
    return tok.pos_ == "ADV" or tok.lower_.endswith("sti") or tok._.case in ("ine", "ade")


def parallel_parts(doc, parts: list[tuple[int, int]]) -> bool:
    """Parts of one kind: single words, or clauses that each start with a first-person verb
    ("Kuuntelemme asukasta, toimimme avoimesti ja kehitämme rohkeasti")."""
    return all(hi - lo == 1 for lo, hi in parts) or all(doc[lo].lower_.endswith("mme") for lo, _ in parts)


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
    conj = next((i for i in range(last_a + 1, last_b - 1)
                 if doc[i].lower_ in ("ja", "sekä") and not _hyphen_compound(doc, i)), None)
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


def coordinated(doc, m: Match) -> bool:
    """'visio ja missio ovat …': a cue coordinated with another concept states neither."""
    if m.s - 2 >= m.sa and doc[m.s - 1].lower_ in CONJ | {","} and doc[m.s - 2]._.concept:
        return True
    if m.e + 1 < m.sb and doc[m.e].lower_ in CONJ | {","} and doc[m.e + 1]._.concept:
        return True
    return False


def copula_after(doc, m: Match) -> int | None:
    """Index of the copula after the cue, allowing a few adverbial words between, or an
    apposition between commas ("missio, eli olemassaolon peruste ja tarkoitus, on …")."""
    start = m.e
    opens_aside = start + 1 < m.sb and doc[start].text == "," and (
        doc[start + 1].lower_ in ("eli", "toisin") or doc[start + 1].lower_ in RELATIVE_PRONOUNS)
    if opens_aside:  # "Arvot, joihin toimintamme perustuu, ovat …"
        close = next((i for i in range(start + 2, min(start + 12, m.sb)) if doc[i].text == ","), None)
        if close is None:
            return None
        start = close + 1
    for j in range(start, min(start + MAX_GAP_WORDS + 1, m.sb)):
        tok = doc[j]
        if tok.lower_ in COPULA_FORMS:
            return j
        if tok.is_punct or tok.pos_ in ("VERB", "AUX", "CCONJ", "SCONJ") or tok._.concept:
            return None
    return None


def announced_count(doc, i: int, sa: int) -> int | None:
    """'neljä painopistettä:' → 4 (a number word or digit just before the cue)."""
    for j in range(max(sa, i - 3), i + 1):
        word = doc[j].lemma_.lower()
        if word in NUMBER_WORDS:
            return NUMBER_WORDS[word]
        if doc[j].text.isdigit() and 1 < int(doc[j].text) <= 12 and j + 1 <= i and doc[j + 1]._.concept:
            return int(doc[j].text)
    return None


def cut_at_foreign_concept(doc, a: int, b: int, fld: str) -> int:
    """'… arvoihin: a, b ja c, sekä visioomme olla …' – stop before another field's cue."""
    for i in range(a + 1, b):
        concept = doc[i]._.concept
        if concept and concept != fld:
            j = i
            while j > a and (doc[j - 1].lower_ in CONJ or doc[j - 1].text in {",", ";"}):
                j -= 1
            return j
    return b


# ---------------------------------------------------------------------- the reader of a statement

class Reading:
    """One cue match being read: the rule, the match and the document."""

    def __init__(self, ctx: Ctx, rule: "CueRule", m: Match, about_heads: frozenset[str], not_statement):
        self.ctx, self.rule, self.m, self.doc = ctx, rule, m, ctx.doc
        self.about_heads, self.not_statement = about_heads, not_statement
        self.group = rule.id + m.group

    def conf(self, construction: str, factor: float = 1.0) -> float:
        return self.rule.confidence * CONSTRUCTION_WEIGHT[construction] * factor

    # -------------------------------------------------------------- candidates
    def single(self, a: int, b: int, conf: float, kind: str = "single") -> list[Candidate]:
        span = trim(self.doc, a, b)
        if span is None:
            return []
        return [Candidate(self.rule.field, span[0], span[1], self.rule.id, conf, self.group, kind)]

    def enumeration(self, a: int, b: int, conf: float) -> list[Candidate]:
        fld = self.rule.field
        parts = split_values(self.doc, a, b) if fld == "value" else split_goals(self.doc, a, b)
        out = []
        for pa, pb in parts:
            span = trim(self.doc, pa, pb)
            if span is None or (fld == "value" and span[1] - span[0] > MAX_VALUE_TOKENS):
                continue
            out.append(Candidate(fld, span[0], span[1], self.rule.id, conf * 0.95, self.group, "inline"))
        return out

    def block_item(self, span: tuple[int, int] | None, conf: float) -> Candidate | None:
        if span is None:
            return None
        trimmed = trim(self.doc, *span)
        if trimmed is None:
            return None
        return Candidate(self.rule.field, trimmed[0], trimmed[1], self.rule.id, conf, self.group, "block")

    # -------------------------------------------------------------- inline content or the block below
    def content(self, a: int, b: int, conf: float, anchor: int) -> list[Candidate]:
        """Inline content from token `a` or, when nothing follows on the line, the block below.

        The statement is the sentence that starts at `a`, bounded by `b` and by
        the end of the anchor's line (Stanza may end a sentence at the colon of
        "Visio: …", so the content can be the next sentence on the same line).
        """
        ctx, doc, toks = self.ctx, self.doc, self.ctx.tokens
        anchor_line = ctx.layout.line_at(toks[anchor].start if anchor >= 0 else 0)
        line_end = a
        while line_end < len(toks) and toks[line_end].start < anchor_line.end:
            line_end += 1
        a = skip_leading(doc, a, line_end)
        if a >= line_end or all(doc[i].text in EDGE_PUNCT for i in range(a, line_end)):
            from .sections import read_section  # the block below: sections read it with this Reading

            first = ctx.sentence_range(max(anchor, 0))[0]
            return read_section(self, anchor_line.index, conf, announced_count(doc, max(anchor, 0), first), label=True)
        if self.not_statement.match(doc[a].lower_):
            return []  # "Arvot ovat ennallaan": talk about the statement, not the statement
        if b <= a:
            b = ctx.sentence_range(a)[1]
        b = min(b, line_end, ctx.sentence_range(a)[1])
        b = cut_at_foreign_concept(doc, a, b, self.rule.field)
        if self.rule.field in ("value", "goal") and self.rule.enumerate:
            return self.enumeration(a, b, conf)
        return self.single(a, b, conf)

    def describes_concept(self, a: int, b: int, subject_bare: bool | None = None) -> bool:
        """'Arvot ovat toimintamme kivijalka', 'Arvot ovat valintoja', 'luonteeltaan pysyviä':
        the complement says what the concept is or does, it names no statement."""
        doc = self.doc
        end = next((i for i in range(a, b) if doc[i].is_punct or doc[i].lower_ in CONJ), b)
        words = [doc[i] for i in range(a, end)]
        if any(t.lemma_.lower() in self.about_heads or t.lower_ in self.about_heads for t in words):
            return True
        cue = doc[self.m.cue]
        _, possessive = strip_possessive(cue.lower_)
        bare = (not possessive and self.m.cue == self.m.sa) if subject_bare is None else subject_bare
        if bare and words:
            head = words[-1]
            # A plural partitive complement classifies the subject ("Arvot ovat valintoja").
            return head._.case == "par" and head.lower_.endswith(("ja", "jä", "ia", "iä", "ita", "itä"))
        return False
