"""spaCy `Doc`s built from the Stanza analysis: the rule engine's input.

A blank Finnish vocab is used (no spaCy model); words, spaces, lemmas, UPOS
and sentence starts come from the analysis, so spaCy token `i` is our token
`index` and character offsets always come from our tokens.
"""
from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Doc, Token

from ..types import Analysis

POSSESSIVE = ("mme", "nne", "nsa", "nsä")  # not -ni/-si: they clash with -ksi; strategies speak as "we"
_ILLATIVE = re.compile(r"(h[aeiouyäö]n?|([aeiouyäö])\2n?|siin|seen)$")
_PARTICIPLE = re.compile(r"(tu|ty|nut|nyt|lut|lyt|rut|ryt|sut|syt)$")

UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"}

# String defaults, not None: spaCy 3.8's Matcher fails ("an integer is required")
# on an extension attribute whose value is None.
if not Token.has_extension("concept"):
    Token.set_extension("concept", default="")
if not Token.has_extension("case"):
    Token.set_extension("case", default="")


@lru_cache(maxsize=1)
def _blank():
    import spacy

    return spacy.blank("fi")


def blank_vocab():
    """The shared blank Finnish vocab (lexical attributes such as LOWER work)."""
    return _blank().vocab


def guess_case(surface: str, lemma: str) -> str:
    """A coarse grammatical case from the surface form's ending.

    The compact model predicts no morphological features; the cue rules only
    need to tell a nominative subject ("Visiomme on …") from other uses
    ("visiota on kirkastettu", "arvoissa", "tavoitteena").
    """
    w, lemma = surface.lower(), lemma.lower()
    possessive = False
    for suffix in POSSESSIVE:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w, possessive = w[: -len(suffix)], True
            break
    # Endings first: an undertrained lemmatizer may return the surface form as
    # the lemma, which must not make "tavoitteena" look nominative.
    for ending, case in (("ksi", "tra"), ("ssa", "ine"), ("ssä", "ine"), ("sta", "ela"), ("stä", "ela"),
                         ("lla", "ade"), ("llä", "ade"), ("lta", "abl"), ("ltä", "abl"), ("lle", "all")):
        if w.endswith(ending):
            return case
    if w.endswith(("na", "nä")):
        return "ess"
    # Illative ends in -n ("visioon", "arvoihin"); only a possessive suffix removes it ("visioomme").
    if _ILLATIVE.search(w) and (possessive or w.endswith("n")) and not lemma.endswith(w[-2:]):
        return "ill"
    if w == lemma:
        return "nom"
    if w.endswith("n"):
        return "gen"
    if w.endswith("t") or (possessive and lemma.startswith(w[:-1])):
        return "nom"
    if w.endswith(("ta", "tä", "a", "ä")):
        return "par"
    return "other"


_STRICT_PARTICIPLE = re.compile(r"(ttu|tty|nut|nyt|ltu|lty|htu|hty|stu|sty)$")


def is_past_participle(surface: str, upos: str) -> bool:
    """'on kirkastettu', 'on määritelty': a perfect tense, not a copula statement."""
    word = surface.lower()
    if upos in ("VERB", "AUX", "ADJ"):
        return bool(_PARTICIPLE.search(word))
    return len(word) >= 6 and bool(_STRICT_PARTICIPLE.search(word))  # tagger may call it a noun


def to_spacy(analysis: Analysis, concept_of) -> Doc:
    """Build the Doc; `concept_of(lower, lemma)` names the field a word is a cue for."""
    toks = analysis.tokens
    spaces = [toks[i + 1].start > toks[i].end for i in range(len(toks) - 1)] + [False] if toks else []
    doc = Doc(
        blank_vocab(),
        words=[t.text for t in toks],
        spaces=spaces,
        lemmas=[t.lemma for t in toks],
        pos=[t.upos if t.upos in UPOS else "X" for t in toks],
        sent_starts=[i == 0 or toks[i].sentence != toks[i - 1].sentence for i in range(len(toks))],
    )
    for tok, ours in zip(doc, toks):
        tok._.concept = concept_of(ours.text.lower(), ours.lemma.lower()) or ""
        tok._.case = guess_case(ours.text, ours.lemma)
    return doc
