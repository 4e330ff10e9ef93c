"""Construction readers: from a cue match to the statement it introduces.

Each cue rule lists the constructions it `takes` (cues.yaml); `READERS` maps a
construction name to its reader, and the rules are checked against this table
when they are loaded.  A reader returns None when its construction does not
apply (the next one is tried), or the candidates it found (possibly none: the
construction applied but states nothing, e.g. talk *about* the values).

Sentence readers (colon, copula, essive, quote, dash, relative, consists,
focus, aim, after) read the words after the cue; block readers (heading,
list_follows, and any sentence reader whose line ends after the cue) read the
document structure below it with `read_section`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from .context import Candidate, Ctx, Match
from .morphology import is_all_caps_word, is_nominalisation, is_past_participle, is_superlative, strip_possessive
from .structure import Line, is_menu, short_line_run, subheading_items

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


def _parallel(doc, parts: list[tuple[int, int]]) -> bool:
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


# ---------------------------------------------------------------------- sentence readers

def read_colon(r: Reading) -> list[Candidate] | None:
    """'Missio: …', 'arvoihin: a, b ja c', 'Strategiset tavoitteemme ovat:' + a list.

    The colon belongs to the nearest concept before it; a concept in the essive
    without a copula is an adverbial ("… arvot kaikilla tasoilla tavoitteena X:")
    and owns no colon."""
    doc, m = r.doc, r.m
    if _adverbial_essive(doc, m.cue) and not (m.e < m.sb and doc[m.e].text == ":"):
        return None
    if _in_relative_clause(doc, m.sa, m.s):
        return None  # "päämäärällä, jotka kuvaavat … tavoitetilaa:" – the antecedent owns the colon
    for i in range(m.e, min(m.e + 14, m.sb)):
        if doc[i].text == ":":
            if _asks(doc, i + 1):
                return read_section(r, r.ctx.line_of(i).index, r.conf("heading"), count=None)
            return r.content(i + 1, m.sb, r.conf("colon"), anchor=i)
        if doc[i]._.concept and not _adverbial_essive(doc, i) and not _in_relative_clause(doc, m.e, i):
            return None  # another concept owns the colon
        if i - m.e >= 9 and not _in_relative_clause(doc, m.e, i):
            return None
        if doc[i].text in {".", "!", "?"} or doc[i].lower_ == "olla":
            return None  # an aim ("tavoitteemme olla …:") is no label
    return None


def _in_relative_clause(doc, start: int, i: int) -> bool:
    """Is token i inside a relative clause (', jotka …') that opens after `start`?"""
    return any(doc[j].text == "," and doc[j + 1].lower_ in RELATIVE_PRONOUNS for j in range(start, i - 1))


def _adverbial_essive(doc, i: int) -> bool:
    return doc[i]._.case == "ess" and not (i + 1 < len(doc) and doc[i + 1].lower_ in COPULA_FORMS)


def read_copula(r: Reading) -> list[Candidate] | None:
    doc, m = r.doc, r.m
    j = copula_after(doc, m)
    if j is None or doc[m.cue]._.case not in ("nom", "par") or coordinated(doc, m):
        return None
    start = j + 1
    if start < m.sb and doc[start].lower_ == "olla":
        start += 1
    if start < m.sb and is_past_participle(doc[start].text, doc[start].pos_):
        return None  # "visiota on kirkastettu": perfect tense, not a statement
    if r.describes_concept(start, m.sb):
        return []
    return r.content(start, m.sb, r.conf("copula"), anchor=j)


def read_essive(r: Reading) -> list[Candidate] | None:
    """'Strategian missiona on …', 'visiona on tulevalla strategiakaudella olla …',
    'Tavoitetilana on, että …': the statement follows the copula (and 'olla', 'että')."""
    doc, m = r.doc, r.m
    if doc[m.cue]._.case != "ess":
        return None
    if r.rule.field in ("value", "goal") and not strip_possessive(doc[m.cue].lower_)[0].endswith(("ina", "inä")):
        return None  # "tavoitteena on …" is talk of aims; "tavoitteinamme ovat a, b ja c" lists goals
    j = copula_after(doc, m)
    if j is None or coordinated(doc, m):
        return None
    start = j + 1
    for k in range(start, min(start + 6, m.sb)):
        if doc[k].lower_ in ("olla", "ollut"):
            start = k + 1
            break
        if doc[k].is_punct and doc[k].text != ",":
            break
    if start < m.sb and doc[start].lower_ not in ("olla",) and is_past_participle(doc[start].text, doc[start].pos_) \
            and doc[start].lower_ != "ollut":
        return None
    return r.content(start, m.sb, r.conf("essive"), anchor=j)


def read_quote(r: Reading) -> list[Candidate] | None:
    doc, m = r.doc, r.m
    q = next((i for i in range(m.e, min(m.e + 6, m.sb)) if doc[i].text in OPEN_QUOTES), None)
    if q is None:
        return None
    bridged = all(doc[i].lower_ in QUOTE_BRIDGE or doc[i]._.concept == r.rule.field for i in range(m.e, q))
    if not (doc[m.cue]._.case == "tra" or bridged):
        return None
    close = next((i for i in range(q + 1, m.sb) if doc[i].text in CLOSE_QUOTES), m.sb)
    if close <= q + 1:
        return None
    return r.single(q + 1, close, r.conf("quote"))


def read_dash(r: Reading) -> list[Candidate] | None:
    doc, m = r.doc, r.m
    if m.e >= m.sb or doc[m.e].text not in DASHES:
        return None
    close = next((i for i in range(m.e + 1, m.sb) if doc[i].text in DASHES and doc[i].whitespace_), None)
    if close is None or close <= m.e + 1:
        return None
    return r.content(m.e + 1, close, r.conf("dash"), anchor=m.e)


def read_relative(r: Reading) -> list[Candidate] | None:
    """', jotka ovat [nimeltään] …' within three tokens of the cue."""
    doc, m = r.doc, r.m
    for i in range(m.e, min(m.e + 3, m.sb)):
        if doc[i].text == ",":
            if i + 2 < m.sb and doc[i + 1].lower_ in ("jotka", "joita", "joka") and doc[i + 2].lemma_ == "olla":
                start = i + 3
                if start < m.sb and doc[start].lower_ == "nimeltään":
                    start += 1
                if r.describes_concept(start, m.sb, subject_bare=True):
                    return []  # "arvoihin, jotka ovat valintoja ohjaavia periaatteita"
                return r.content(start, m.sb, r.conf("relative"), anchor=start - 1)
            return None
        if doc[i].is_punct:
            return None
    return None


def read_consists(r: Reading) -> list[Candidate] | None:
    """'Strategian neljä kärkeä muodostuvat ihmiskeskeisyydestä, …': the parts, as written."""
    doc, m = r.doc, r.m
    for j in range(m.e, min(m.e + 2, m.sb)):
        if doc[j].lemma_.lower() in COMPOSED_OF or doc[j].lower_.startswith(("muodostu", "koostu")):
            return r.content(j + 1, m.sb, r.conf("consists"), anchor=j)
        if doc[j].is_punct:
            return None
    return None


def read_focus(r: Reading) -> list[Candidate] | None:
    """'Alue keskittyy palvelujen saatavuuden parantamiseen, talouden tasapainottamiseen sekä …':
    an enumeration of nominalisations after a focus verb, where the text speaks of its strategy."""
    doc, m, ctx = r.doc, r.m, r.ctx
    first_context = ctx.sentence_start(ctx.sentence_of(m.s) - 2)
    if not any(doc[i].lower_.startswith(("strategi", "valtuustokau")) for i in range(first_context, m.sb)):
        return None
    parts = [p for p in split_goals(doc, m.e, m.sb) if trim(doc, *p)]
    if len(parts) < 2 or not all(any(is_nominalisation(doc[i].text) for i in range(*p)) for p in parts):
        return None
    return r.enumeration(m.e, m.sb, r.conf("focus"))


def read_aim(r: Reading) -> list[Candidate] | None:
    """'Tavoitteenamme on olla Suomen paras …': an aim to be the best is a vision."""
    doc, m = r.doc, r.m
    if not any(is_superlative(doc[i].text, doc[i].pos_) for i in range(m.e, min(m.e + 4, m.sb))):
        return None
    return r.single(m.e, m.sb, r.conf("aim"))


def read_after(r: Reading) -> list[Candidate] | None:
    if coordinated(r.doc, r.m):
        return None
    start = r.m.e - r.rule.keep_last
    return r.content(start, r.m.sb, r.conf("after"), anchor=start - 1)


# ---------------------------------------------------------------------- block readers

def _asks(doc, i: int) -> bool:
    """Does a question start at token i ("miksi olemme olemassa?")?"""
    return i < len(doc) and doc[i].lower_ in QUESTION_WORDS


def is_heading(ctx: Ctx, m: Match) -> bool:
    """The cue alone on a short line ("Arvomme", "Strategiset painopisteet", "Tahtotilamme 2030"),
    possibly followed by the question the section answers ("Missio – miksi olemme olemassa?")."""
    line = ctx.line_of(m.s)
    rng = ctx.line_tokens(line)
    asked = next((n for n, i in enumerate(rng) if i >= m.e and _asks(ctx.doc, i)
                  and all(ctx.doc[j].is_punct for j in range(m.e, i))), None)
    if asked is not None and m.e < rng[asked] and not line.is_item and line.n_words <= 10:
        rng = rng[:asked]
        return len([i for i in rng if ctx.doc[i]._.concept]) == 1
    if line.is_item or line.ends_sentence or line.text.rstrip().endswith(":"):
        return False
    if not rng or len(rng) > 6:
        return False
    concepts = [i for i in rng if ctx.doc[i]._.concept]
    if len(concepts) != 1 or not (m.s <= concepts[0] < m.e):
        return False
    return not any(ctx.doc[i].lower_ in CONJ | {",", "eli"} or ctx.doc[i].pos_ in ("VERB", "AUX") for i in rng)


def read_heading(r: Reading) -> list[Candidate] | None:
    if not is_heading(r.ctx, r.m):
        return None
    return read_section(r, r.ctx.line_of(r.m.s).index, r.conf("heading"), count=None)


def read_list_follows(r: Reading) -> list[Candidate] | None:
    ctx, m = r.ctx, r.m
    line = ctx.line_of(m.s)
    concepts = ctx.concepts_in_line(line)
    if line.ends_sentence or line.text.rstrip().endswith(":") or not concepts or concepts[-1] != m.cue:
        return None
    if len([i for i in ctx.line_tokens(line) if i > m.cue]) > 3:
        return None  # the cue must close its line: "… seuraavat kolme painopistettä" + a list
    nxt = ctx.layout.next_nonblank(line.index)
    if nxt is None or not nxt.is_item:
        return None
    return read_section(r, line.index, r.conf("list_follows"), announced_count(r.doc, m.s, m.sa))


def _section_end(ctx: Ctx, lines: list[Line], start: int) -> int:
    """The section ends at the next heading or sentence opening with a concept (the next
    section: "Visiomme", "Arvomme ovat …"); a list is read whole."""
    def opens_section(line: Line) -> bool:
        toks = ctx.line_tokens(line)
        return any(ctx.doc[i]._.concept for i in (toks if line.is_short else toks[:3]))
    return next((n for n in range(start, len(lines)) if not lines[n].is_item and opens_section(lines[n])), len(lines))


def _structured(lines: list[Line], k: int) -> bool:
    """Do the lines from k on look like items (a list, title-like lines, labelled or sub-headed paragraphs)?"""
    rest = lines[k:]
    if not rest:
        return False
    if rest[0].is_item or len(short_line_run(rest)) >= 2 or subheading_items(rest):
        return True
    return len(rest) >= 2 and rest[0].label_end() is not None and rest[1].label_end() is not None


def read_section(r: Reading, line_index: int, conf: float, count: int | None, label: bool = False) -> list[Candidate]:
    """The items a heading or a label owns: a list, title-like lines, sub-headings,
    labelled paragraphs, or (mission, vision) the statement paragraphs below it.

    Definition sentences between the heading and its items ("Arvot kuvaavat sitä,
    mikä meille on tärkeää.") are skipped; a navigation block yields nothing.
    """
    ctx, fld = r.ctx, r.rule.field
    lines = ctx.layout.lines_after(line_index, MAX_BLOCK_ITEMS * 2 + 3)
    k = 0
    if fld in ("value", "goal"):
        while k < 2 and k < len(lines) and not lines[k].is_item and not lines[k].is_short \
                and _structured(lines[: _section_end(ctx, lines, k + 1)], k + 1):
            k += 1  # an intro or definition sentence before the items
    if k < len(lines) and lines[k].is_item:
        region = lines[k:]
    else:
        region = lines[k:_section_end(ctx, lines, k)]
    if not region:
        return []
    limit = count or MAX_BLOCK_ITEMS
    if region[0].is_item:
        items = ctx.layout.list_after(region[0].index - 1)
        return _items(r, items[:limit], conf) if not is_menu(items) else []
    run = short_line_run(region)
    if is_menu(run):
        return []
    if fld in ("mission", "vision"):
        if label and len(run) >= 2:
            return _items(r, run[:limit], conf * 0.9)  # "Visiomme on:" and a line per statement
        return _statements(r, region, conf)
    if len(run) >= 2:
        return _items(r, run[:limit], conf * 0.9)
    heads = subheading_items(region)
    if heads:
        return _items(r, heads[:limit], conf * 0.85)
    labelled = _labelled_run(region)
    if len(labelled) >= 2:
        return _items(r, labelled[:limit], conf * 0.9)
    if fld == "value":
        return _value_paragraphs(r, region, conf)
    return _goal_paragraphs(r, region, conf, count)


def _item_span(r: Reading, line: Line) -> tuple[int, int] | None:
    """A list item's statement: its label before a dash or colon, else its first sentence."""
    label_end = line.label_end()
    return r.ctx.first_sentence(line, end=label_end)


def _items(r: Reading, lines: list[Line], conf: float) -> list[Candidate]:
    return [c for c in (r.block_item(_item_span(r, ln), conf) for ln in lines) if c]


def _labelled_run(lines: list[Line]) -> list[Line]:
    run = []
    for ln in lines:
        if ln.is_item or ln.label_end() is None:
            break
        run.append(ln)
    return run


def _statements(r: Reading, region: list[Line], conf: float) -> list[Candidate]:
    """A mission or vision under its heading: the first paragraph; a vision may be several
    short one-sentence paragraphs, each a statement."""
    first = r.block_item(r.ctx.first_sentence(region[0]), conf * 0.95)
    if first is None:
        return []
    out = [first]
    if r.rule.field == "vision":
        for ln in region[1:4]:
            span = r.ctx.first_sentence(ln)
            if span is None or ln.is_short or ln.n_words > 20 or r.ctx.first_sentence(ln) != _whole_line(r, ln):
                break
            cand = r.block_item(span, conf * 0.85)
            if cand:
                out.append(cand)
    return out


def _whole_line(r: Reading, ln: Line) -> tuple[int, int] | None:
    rng = r.ctx.line_tokens(ln)
    return (rng[0], rng[-1] + 1) if rng else None


def _value_paragraphs(r: Reading, region: list[Line], conf: float) -> list[Candidate]:
    ctx, doc = r.ctx, r.doc
    paras = [ln for ln in region if not ln.is_item]
    out: list[Candidate] = []
    first_words = paras[0].text.split() if paras else []
    if first_words and is_all_caps_word(first_words[0]):
        # "VAIKUTTAVUUS Käytämme …": value definitions headed by the value in capitals.
        for para in paras:
            caps = []
            for i in ctx.line_tokens(para):
                if not is_all_caps_word(doc[i].text):
                    break
                caps.append(i)
            if not caps:
                break
            out.append(Candidate("value", caps[0], caps[-1] + 1, r.rule.id, conf * 0.9, r.group, "block"))
        return out
    terms = _defined_terms(r, paras[:MAX_BLOCK_ITEMS]) or _title_sentences(r, paras[:MAX_BLOCK_ITEMS])
    if len(terms) >= 2:
        return [c for c in (r.block_item(t, conf * 0.85) for t in terms) if c]
    for para in paras:
        rng = ctx.line_tokens(para)
        sentences = {ctx.sentence_of(i) for i in rng}
        if len(sentences) == 1 and len(rng) <= MAX_VALUE_TOKENS + 4:
            span = trim(doc, rng[0], rng[-1] + 1)
            parts = split_values(doc, *span) if span else []
            if len(parts) >= 3 and _parallel(doc, parts):
                out += [replace(c, kind="block") for c in r.enumeration(span[0], span[1], conf * 0.85)]
                continue
            if span:
                out.append(Candidate("value", span[0], span[1], r.rule.id, conf * 0.85, r.group, "block"))
        elif not out:
            return []  # the first paragraph is prose, not a value
    return out


def _defined_terms(r: Reading, paras: list[Line]) -> list[tuple[int, int]]:
    """'Ammatillisesti kuvaa …', 'Ennakoivasti tarkoittaa …': paragraphs that open with the
    term they define (at most three words before the defining verb).  Most of the
    paragraphs must be of that kind; one written otherwise is passed over."""
    doc, out = r.doc, []
    for para in paras:
        rng = r.ctx.line_tokens(para)
        verb = next((n for n, i in enumerate(rng[:4]) if n > 0 and (
            doc[i].lemma_.lower() in DEFINING_VERBS or doc[i].lower_ in DEFINING_FORMS)), None)
        if verb is not None and not any(doc[i].is_punct or doc[i]._.case in LOCAL_CASES for i in rng[1:verb]) \
                and not doc[rng[0]].is_punct:
            out.append((rng[0], rng[verb]))
    return out if len(out) * 2 > len(paras) else []


def _title_sentences(r: Reading, paras: list[Line]) -> list[tuple[int, int]]:
    """'Avoimuus. Kerromme päätöksistämme …': paragraphs opening with a one-to-three-word
    sentence (the item) followed by its explanation; every paragraph must be of that kind."""
    out = []
    for para in paras:
        first = r.ctx.first_sentence(para)
        whole = _whole_line(r, para)
        if first is None or first == whole or len([i for i in range(*first) if not r.doc[i].is_punct]) > 3:
            return []
        out.append(first)
    return out if len(out) >= 2 else []


def _goal_paragraphs(r: Reading, region: list[Line], conf: float, count: int | None) -> list[Candidate]:
    """Goals as paragraphs: the first sentence of each.  Without an announced
    count ("neljä painopistettä:") only short, item-like paragraphs qualify."""
    ctx, out = r.ctx, []
    for para in region[: count or MAX_BLOCK_ITEMS]:
        if para.is_item or (not para.ends_sentence and para.n_words <= 4):
            break
        rng = ctx.line_tokens(para)
        if count is None and (len({ctx.sentence_of(i) for i in rng}) > 2 or len(rng) > 40):
            break
        cand = r.block_item(ctx.first_sentence(para), conf * 0.85)
        if cand:
            out.append(cand)
    return out


Reader = Callable[[Reading], "list[Candidate] | None"]
READERS: dict[str, Reader] = {
    "colon": read_colon,
    "heading": read_heading,
    "copula": read_copula,
    "essive": read_essive,
    "quote": read_quote,
    "dash": read_dash,
    "relative": read_relative,
    "list_follows": read_list_follows,
    "consists": read_consists,
    "focus": read_focus,
    "aim": read_aim,
    "after": read_after,
}
