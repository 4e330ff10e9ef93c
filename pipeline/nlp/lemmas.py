"""Lemma post-processing: Stanza's lemma cleaned, the lexicon's for words the lemmatizer never saw,
compounds from their final part, and the safe fallbacks (pure functions; no Stanza here)."""
from __future__ import annotations

import re
from functools import lru_cache

_REPEAT = re.compile(r"(.{3,})\1")


def _has_degenerate_repeat(word: str, lemma: str) -> bool:
    match = _REPEAT.search(lemma.lower())
    return match is not None and match.group(0) not in word.lower()


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.lower(), b.lower()):
        if x != y:
            break
        n += 1
    return n


def is_degenerate_lemma(word: str, lemma: str) -> bool:
    """True for seq2seq output that cannot be a lemma of `word`.

    Finnish lemmas are rarely much longer than the inflected word (``on`` →
    ``olla`` is the extreme kind), and never contain a fragment repeated that
    the word does not contain; an undertrained decoder produces both for long
    compounds.  For long words the lemma also shares at least half of the
    word's beginning (inflection is at the end) and is not drastically shorter.
    """
    if len(lemma) > 1.5 * len(word) + 3:
        return True
    if _has_degenerate_repeat(word, lemma):
        return True
    if len(word) >= 10:
        if _common_prefix(word, lemma) < 0.5 * min(len(word), len(lemma)):
            return True
        if len(lemma) < 0.5 * len(word):
            return True
    return False


@lru_cache(maxsize=200_000)  # asked twice per unseen word (before the lemmatizer and after); forms recur
def lexicon_lemma(word: str, upos: str = "X") -> str | None:
    """The lemma a full-form lexicon (simplemma's Finnish dictionary) lists for `word`, if any.

    Only dictionary entries are used, never simplemma's greedy compound
    guessing, which would turn "hyvinvointialueen" into "hyvinvointi".
    """
    from .fullform import lemma_lookup

    lookup = lemma_lookup()
    # A capital at the start of a sentence is not a name: look up the lower-case form first.
    forms = (word, word.lower()) if upos == "PROPN" else (word.lower(), word)
    for form in forms:
        lemma = lookup(form)
        if lemma is not None:
            return lemma
    return None


COMPOUND_TAGS = ("NOUN", "ADJ")
MIN_COMPOUND_PART = 4  # shorter final parts ("alue" is 4) match inside too many unrelated words


@lru_cache(maxsize=200_000)
def compound_lemma(word: str, upos: str) -> str | None:
    """The lemma of a compound the lexicon does not list, from its final part.

    A Finnish compound inflects only in its last part ("hyvinvointialuestrategiaan"
    = "hyvinvointialue" + "strategiaan"), so its lemma is the first parts as written
    plus the last part's lemma.  The longest final part the lexicon lists wins;
    both parts must be at least `MIN_COMPOUND_PART` letters.
    """
    return compound_lemma_from(word, upos, _full_form_lemmas)


def _full_form_lemmas(form: str, upos: str) -> tuple[str, ...]:
    lemma = lexicon_lemma(form, upos)
    return (lemma,) if lemma else ()


def compound_lemma_from(word: str, upos: str, lemmas_of) -> str | None:
    """`compound_lemma` with any lexicon: `lemmas_of(final_part, upos)` gives its lemmas, best first."""
    if upos not in COMPOUND_TAGS or not word.isalpha() and "-" not in word:
        return None
    lower = word.lower()
    for i in range(MIN_COMPOUND_PART, len(lower) - MIN_COMPOUND_PART + 1):
        heads = lemmas_of(lower[i:], upos)
        if heads:
            return lower[:i] + heads[0]
    return None


# A hyphenated compound: a head ending in a letter or digit, a hyphen, and a final part of letters.
_HYPHEN_COMPOUND = re.compile(r"^(.*[^\W_]-)([^\W\d_]{2,})$")


def hyphen_compound_lemma(word: str, upos: str, lemmas_of, keep_head_case: bool = False) -> str | None:
    """The lemma of a hyphenated compound: its head as written plus its final part's lemma.

    Like any Finnish compound, "EU-rahoituksella" inflects only in its last part, so its lemma is
    "EU-" + the lemma of "rahoituksella"; the hyphen stays, as written (TDT writes it as a compound
    mark, "EU#rahoitus", which loses it once the marks are removed).  An acronym or a number in the
    head keeps its capitals ("MM-kisa", "F1-lippu"); another head is lower-cased ("Sote-uudistuksen"
    at the start of a sentence → "sote-uudistus") unless `keep_head_case` (the lemmatizer wrote the
    word with its capital: "Facebook-julkaisu").  `lemmas_of(final_part, upos)` gives the final
    part's lemmas, best first; None when the word is no such compound or the final part is unknown.
    """
    if upos not in COMPOUND_TAGS:
        return None
    match = _HYPHEN_COMPOUND.match(word)
    if match is None:
        return None
    head, tail = match.groups()
    lemmas = lemmas_of(tail.lower(), upos)
    if not lemmas:
        return None
    letters = [c for c in head if c.isalpha()]
    as_written = keep_head_case or sum(c.isupper() for c in letters) >= 2 or any(c.isdigit() for c in head)
    return (head if as_written else head.lower()) + lemmas[0].lower()


_INFLECTED_ACRONYM = re.compile(r"[A-ZÅÄÖ]{2,}:")


def _is_acronym(word: str) -> bool:
    # "WSOY:llä", "CNN:lle", "EU:n": capitals inflected after a colon.  A word in capitals
    # without one may be a heading ("STRATEGIAMME"), whose lemma stays lower-case.
    return _INFLECTED_ACRONYM.match(word) is not None


def case_like_word(word: str, lemma: str, upos: str) -> str:
    """A lower-case lexicon lemma written with the word's capitals where they share letters.

    For a proper noun ("Ala-Itävallan" → "Ala-Itävalta") and an acronym of any tag
    ("WSOY:llä" → "WSOY"); other words keep the lexicon's lower case, as TDT's lemmas do.
    """
    if upos != "PROPN" and not _is_acronym(word):
        return lemma
    out = []
    for i, ch in enumerate(lemma):
        if i < len(word) and word[i].lower() == ch.lower():
            out.append(word[i])
        else:
            out.append(lemma[i:])
            break
    return "".join(out)


def lexicon_choice(word: str, upos: str, candidates: tuple[str, ...], full_form: str | None) -> str:
    """The analyser's lemma for an unseen word: the full-form lexicon's when the analyser
    lists it too (the two agree), else the analyser's best (`candidates` is not empty)."""
    if full_form and full_form.lower() in candidates:
        return full_form
    return case_like_word(word, candidates[0], upos)


def fallback_lemma(word: str, upos: str) -> str:
    # The surface form is the safest base form we have: right for every
    # nominative singular, and it never invents characters.
    return word if upos == "PROPN" else word.lower()


def clean_lemma(word: str, lemma: str | None, upos: str, trusted: bool = False) -> str:
    """Remove compound marks, replace placeholders and degenerate output.

    `trusted`: the lemma comes from a lexicon, not the seq2seq decoder, so the degenerate-output
    test does not apply (it would reject "taidoillaan" → "taito", short beside a long inflected form).
    """
    if lemma is None or lemma == "" or (lemma == "_" and word != "_"):
        return fallback_lemma(word, upos)
    if "#" in lemma and lemma.strip("#"):
        lemma = lemma.replace("#", "")
    if not trusted and is_degenerate_lemma(word, lemma):
        return fallback_lemma(word, upos)
    if (_is_acronym(word) and word.lower().startswith(lemma.lower())
            or upos == "PROPN" and word.isupper() and word.isalpha() and lemma.lower() == word.lower()):
        return case_like_word(word, lemma, upos)  # "CNN:lle" → CNN, "GCHQ" → GCHQ (not "Gchq")
    return name_cased(word, lemma, upos)


def name_cased(word: str, lemma: str, upos: str) -> str:
    """A proper noun's lemma keeps the capital of its form ("Tukholman" → "Tukholma").

    UD's convention, which TDT follows; FTB, also in the training data,
    lower-cases names, so the lemmatizer learned both and mixes them.
    """
    if upos == "PROPN" and word[:1].isupper() and lemma[:1].islower() and lemma[:1].upper() == word[:1]:
        return word[:1] + lemma[1:]
    return lemma


# Finnish attaches enclitic particles and possessive suffixes after the case ending
# ("raunioita+kin", "kyynärpäitä+ni", "etnisyydestä+än"); a form lexicon built from a word list
# lists few such forms, but lists the form without them.
CLITICS = ("kaan", "kään", "kin", "han", "hän", "pa", "pä", "ko", "kö")
POSSESSIVES = ("nsa", "nsä", "mme", "nne", "ni", "si")
_LONG_VOWEL_N = re.compile(r"([aeiouyäö])\1n$")  # the third person's "-Vn": "etnisyydestään"
MIN_STEM = 3


def suffix_stems(word: str) -> list[str]:
    """The word without a clitic or a possessive suffix (lower case), most likely first; [] if it has none.

    A translative before a possessive suffix is "-kse-" ("huvikse+ni"): its "-ksi" form is tried too.
    """
    lower = word.lower()
    stems: list[str] = []
    for clitic in CLITICS:
        if lower.endswith(clitic) and len(lower) - len(clitic) >= MIN_STEM:
            stems.append(lower[:-len(clitic)])
    for suffix in POSSESSIVES:
        if lower.endswith(suffix) and len(lower) - len(suffix) >= MIN_STEM:
            stem = lower[:-len(suffix)]
            stems.append(stem)
            if stem.endswith("kse"):
                stems.append(stem[:-1] + "i")
    if _LONG_VOWEL_N.search(lower) and len(lower) - 2 >= MIN_STEM + 1:
        stems.append(lower[:-2])
    return stems


# --------------------------------------------------------------------------- analysis
