"""Construction readers: from a cue match to the statement it introduces.

Each cue rule lists the constructions it `takes` (cues.yaml); `READERS` maps a
construction name to its reader, and the rules are checked against this table
when they are loaded.  A reader returns None when its construction does not
apply (the next one is tried), or the candidates it found (possibly none: the
construction applied but states nothing, e.g. talk *about* the values).

Sentence readers (colon, copula, essive, quote, dash, relative, consists, focus,
aim, after) are here; the block readers (heading, list_follows, and the block
below a label whose line ends after the cue) are in `sections`.
"""
from __future__ import annotations

from typing import Callable

from .context import Candidate
from .morphology import is_nominalisation, is_past_participle, is_superlative, strip_possessive
from .reading import (CLOSE_QUOTES, COMPOSED_OF, COPULA_FORMS, DASHES, OPEN_QUOTES, QUOTE_BRIDGE, RELATIVE_PRONOUNS,
                      Reading, copula_after, coordinated, split_goals, trim)
from .sections import asks_question, read_heading, read_list_follows, read_section


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
            if asks_question(doc, i + 1):
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
