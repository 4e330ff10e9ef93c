"""Finnish morphology the extractors need: a coarse case guess, participles, base forms of values.

The compact model predicts lemmas and UPOS but no morphological features, so
case and participles are read from word endings.  Everything here is a pure
function of a word (or of a token range of a spaCy `Doc`).
"""
from __future__ import annotations

import re

POSSESSIVE = ("mme", "nne", "nsa", "nsä")  # not -ni/-si: they clash with -ksi; strategies speak as "we"
_ILLATIVE = re.compile(r"(h[aeiouyäö]n?|([aeiouyäö])\2n?|siin|seen)$")
_PARTICIPLE = re.compile(r"(tu|ty|nut|nyt|lut|lyt|rut|ryt|sut|syt)$")
_STRICT_PARTICIPLE = re.compile(r"(ttu|tty|nut|nyt|ltu|lty|htu|hty|stu|sty)$")
_CASE_ENDINGS = (("ksi", "tra"), ("ssa", "ine"), ("ssä", "ine"), ("sta", "ela"), ("stä", "ela"),
                 ("lla", "ade"), ("llä", "ade"), ("lta", "abl"), ("ltä", "abl"), ("lle", "all"))


def strip_possessive(word: str) -> tuple[str, bool]:
    for suffix in POSSESSIVE:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)], True
    return word, False


def guess_case(surface: str, lemma: str) -> str:
    """A coarse grammatical case from the surface form's ending.

    The cue rules only need to tell a nominative subject ("Visiomme on …")
    from other uses ("visiota on kirkastettu", "arvoissa", "tavoitteena").
    """
    w, possessive = strip_possessive(surface.lower())
    lemma = lemma.lower()
    # Endings first: an undertrained lemmatizer may return the surface form as
    # the lemma, which must not make "tavoitteena" look nominative.
    for ending, case in _CASE_ENDINGS:
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
    if possessive and w.endswith("ee") and lemma.endswith("e"):
        return "nom"  # "tavoitteemme": an e-stem noun with a possessive suffix
    if w.endswith(("ta", "tä", "a", "ä")):
        return "par"
    return "other"


def is_past_participle(surface: str, upos: str) -> bool:
    """'on kirkastettu', 'on määritelty': a perfect tense, not a copula statement."""
    word = surface.lower()
    if upos in ("VERB", "AUX", "ADJ"):
        return bool(_PARTICIPLE.search(word))
    return len(word) >= 6 and bool(_STRICT_PARTICIPLE.search(word))  # tagger may call it a noun


def is_nominalisation(word: str) -> bool:
    """'parantamiseen', 'vahvistaminen': an action noun in -minen, any case."""
    return bool(re.search(r"mi(nen|sen|seen|sta|stä|sessa|sessä|sella|sellä|seksi|sena|senä)$", word.lower()))


_SUPERLATIVE = re.compile(r"(?:[^k]in|imma(?:t|n|ksi|ssa|lla)|immä(?:t|n|ksi|ssä|llä)|impana|impänä)$")


def is_superlative(word: str, upos: str) -> bool:
    """'paras', 'luotettavin', 'vetovoimaisimmaksi': a superlative adjective in any case."""
    w = word.lower()
    if w.startswith(("paras", "parha", "paran")):
        return True
    return upos in ("ADJ", "NOUN", "ADV") and len(w) >= 6 and bool(_SUPERLATIVE.search(w))


# ---------------------------------------------------------------------- values

_PARTICIPLE_NOM = re.compile(r"v[aä]$")
_PARTICIPLE_PAR = re.compile(r"v(aa|ää)$")
_PARTITIVE_TO_NOM = ((re.compile(r"(uu|yy)(tta|ttä)$"), r"\1s"), (re.compile(r"(u|y)(sta|stä)$"), r"\1s"),
                     (re.compile(r"mis(ta|tä)$"), "minen"), (re.compile(r"(lli)s(ta|tä)$"), r"\1nen"))
_FINITE_SKIP = re.compile(r"(v[aä]|v(aa|ää)|nut|nyt|ttu|tty|en)$")
_CONVERB = ("aen", "äen", "oen", "öen", "ien", "den", "ten", "len", "ren")
ADVERBIAL_CASES = ("ill", "ade", "abl", "all")


def is_all_caps_word(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


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


def is_clause(toks) -> bool:
    """A value phrased as a clause or an adverbial ("Toimimme avoimesti", "Mie kuuntelen",
    "Reilusti yhdessä"): it has no nominative, so its base form is the phrase itself."""
    first = toks[0]
    w0 = first.lower_
    finite = first.pos_ in ("VERB", "AUX") and not _FINITE_SKIP.search(w0)
    if w0.endswith("mme") and first.pos_ in ("VERB", "AUX"):
        return True
    if finite or any(t.pos_ == "PRON" for t in toks):
        return True
    if any(t.pos_ in ("VERB", "AUX") and t.lower_.endswith(("mme", "tte", "vat", "vät")) for t in toks):
        return True  # "asukas edellä toimimme", "me välitämme"
    if any(t.pos_ in ("ADV", "ADP") or t.lower_.endswith("sti") for t in toks):
        return True
    return any(t._.case in ADVERBIAL_CASES for t in toks)  # "ihmiseltä ihmiselle"


def normalize_value(doc, a: int, b: int) -> str:
    """A value's base form: the nominative of a noun phrase, the phrase itself for a clause."""
    toks = [t for t in doc[a:b] if not t.is_punct]
    if not toks:
        return ""
    words = [t.lower_ for t in toks]
    phrase = " ".join(doc[a:b].text.lower().split())
    if all(is_all_caps_word(t.text) for t in toks):
        return " ".join(words)  # "VAIKUTTAVUUS": a heading in capitals is already the base form
    last, prev = toks[-1], toks[-2] if len(toks) >= 2 else None
    converb = last.lower_.endswith(_CONVERB) and len(last.text) >= 5
    if prev is not None and converb and prev.lower_.endswith(("a", "ä")):
        return nominal_form(prev.text, prev.lemma_, prev.pos_)  # "luottamusta vahvistaen" → luottamus
    if len(toks) == 1:
        # An adverb ("Ennakoivasti", "yhdessä") is a value phrased as an adverbial: kept as written.
        if toks[0].pos_ == "ADV" or words[0].endswith("sti"):
            return words[0]
        return nominal_form(toks[0].text, toks[0].lemma_, toks[0].pos_)
    if is_clause(toks):
        return phrase
    # A noun phrase: words agreeing with the head take their nominative; a genitive
    # attribute does not agree and stays as it is ("ihmisarvon kunnioittaminen").
    out = []
    for t in toks[:-1]:
        out.append(t.lower_ if t._.case == "gen" and last._.case != "gen" else nominal_form(t.text, t.lemma_, t.pos_))
    out.append(nominal_form(last.text, last.lemma_, last.pos_))
    return " ".join(out)
