"""Language identification: which language a document is written in.

`detect_language()` returns an ISO 639-1 code, or ``"und"`` when a text is too
short to tell.  The py3langid classifier, restricted to the languages likely in
a Finnish public body's files (`LANGUAGE_NAMES`), decides for ordinary texts;
short texts are checked against counts of common function words, and a
Finnish page with a long foreign menu is judged by the share of its letters in
Finnish paragraphs.  `language_reason()` is the plain-language reason a
non-Finnish document is skipped with.
"""
from __future__ import annotations

import re

LANGUAGE_NAMES = {
    "fi": "Finnish", "sv": "Swedish", "en": "English", "de": "German", "et": "Estonian",
    "ru": "Russian", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "da": "Danish", "no": "Norwegian", "pl": "Polish", "se": "Northern Sami", "lt": "Lithuanian",
    "lv": "Latvian", "uk": "Ukrainian", "ar": "Arabic", "so": "Somali", "fa": "Persian",
    "tr": "Turkish", "zh": "Chinese", "pt": "Portuguese", "hu": "Hungarian",
}
_LANGS = tuple(LANGUAGE_NAMES)

_FUNCTION_WORDS = {
    "fi": {"ja", "on", "ovat", "että", "sekä", "tai", "myös", "joka", "jotka", "jonka", "ei",
           "kanssa", "mukaan", "kuin", "se", "ne", "me", "olla", "oli", "ole", "jossa", "kun",
           "mutta", "sen", "niin", "tämä", "tässä", "olemme", "meidän", "kaikille"},
    "sv": {"och", "är", "att", "som", "för", "med", "av", "till", "det", "en", "ett", "på", "om",
           "de", "vi", "den", "inte", "har", "vår", "våra", "samt", "eller", "också", "kan"},
    "en": {"the", "and", "of", "to", "is", "are", "for", "in", "with", "that", "by", "we",
           "our", "this", "be", "as", "it", "an", "or", "will"},
    "de": {"und", "der", "die", "das", "ist", "sind", "mit", "für", "von", "zu", "den", "wir",
           "nicht", "ein", "eine", "auf"},
    "et": {"see", "mis", "ka", "või", "ning", "et", "kes", "aga", "oma", "selle"},
}
_WORD_RE = re.compile(r"[^\W\d_]+")
_MIN_LETTERS = 20  # below this the classifier is unreliable
_SHORT_LETTERS = 200  # below this low-confidence guesses are checked against function words
_FI_SHARE = 0.6

_identifier = None


def warm_up() -> None:
    """Load the identifier's model now (about 0.6 s), not at the first text."""
    _classifier()


def _classifier():
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(list(_LANGS))
        # set_languages keeps the model of all 97 languages to restrict again later, which this
        # module never does: released, a run holds 22 MB less (py3langid 0.4.0, pinned for it).
        ident._full_model = None
        _identifier = ident
    return _identifier


def _function_word_counts(text: str) -> dict[str, int]:
    words = [w.lower() for w in _WORD_RE.findall(text)]
    return {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}


def _function_word_winner(text: str, minimum: int) -> str | None:
    counts = _function_word_counts(text)
    best = max(counts.values())
    winners = [lang for lang, n in counts.items() if n == best]
    return winners[0] if best >= minimum and len(winners) == 1 else None


def _finnish_share(text: str) -> float:
    """Share of letters in paragraphs the classifier calls Finnish."""
    ident = _classifier()
    total = fi = 0
    for para in text.split("\n"):
        n = sum(1 for c in para if c.isalpha())
        if n < _MIN_LETTERS:
            continue
        total += n
        if ident.classify(para)[0] == "fi":
            fi += n
    return fi / total if total else 0.0


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`'s main language, or "und" if it is too short to tell."""
    letters = sum(1 for c in text if c.isalpha())
    if letters == 0:
        return "und"
    ident = _classifier()
    lang, conf = ident.classify(text)
    if letters < _MIN_LETTERS:
        counts = _function_word_counts(text)
        other = max(n for code, n in counts.items() if code != "fi")
        if counts["fi"] > other:
            return "fi"
        finnish_letters = re.search(r"[äöÄÖ]", text) and not re.search(r"[åÅüÜßõÕ]", text)
        if other == 0 and finnish_letters and lang == "fi":
            return "fi"
        return "und"
    if lang == "fi":
        return "fi"
    if letters < _SHORT_LETTERS and conf < 0.9:
        winner = _function_word_winner(text, minimum=2)
        if winner is not None:
            return winner
    # A Finnish page with a long foreign menu or notice: judge by volume.
    if _finnish_share(text) >= _FI_SHARE:
        return "fi"
    return lang


def language_reason(code: str) -> str:
    """The one-line reason given for a document skipped because it is in language `code`."""
    name = LANGUAGE_NAMES.get(code, code)
    return f"{name} text ({code}): only Finnish is analyzed"
