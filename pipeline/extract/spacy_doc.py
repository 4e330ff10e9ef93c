"""spaCy `Doc`s built from the Stanza analysis: the rule engine's input.

A blank Finnish vocab is used (no spaCy model); words, spaces, lemmas, UPOS
and sentence starts come from the analysis, so spaCy token `i` is our token
`index` and character offsets always come from our tokens.
"""
from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Doc, Token

from ..types import Analysis
from .morphology import guess_case

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
