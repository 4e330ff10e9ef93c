"""The form lexicon: for a word form and its UD tag, the lemmas a morphological analyser lists.

Baked at training time (`build_form_lexicon.py`) into a marisa trie shipped with
the model (`<model>/fi/lexicon/forms.marisa`) and memory-mapped at run time, so
it costs neither load time nor much resident memory.  Each key is a lower-cased
form; its value lists, per tag, the candidate lemmas best first, each written as
an edit of the form: how many final letters to drop, then the letters to add
("vuotta" → "3si" → "vuosi").
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

FORMAT_VERSION = 1
FILE_NAME = "forms.marisa"
SEEN_TAGS_FILE = "seen_tags.json"
_GROUPS, _LEMMAS, _FIELD, _SAME = ";", "|", ":", "^"


def _edit(form: str, lemma: str) -> str:
    common = 0
    for a, b in zip(form, lemma):
        if a != b:
            break
        common += 1
    return f"{len(form) - common}{lemma[common:]}"


def _apply(form: str, edit: str) -> str:
    digits = len(edit) - len(edit.lstrip("0123456789"))
    drop = int(edit[:digits])
    return form[:len(form) - drop] + edit[digits:]


def encode_entry(form: str, candidates: Mapping[str, list[str]]) -> str:
    """`{"NOUN": ["vuosi", "vuo"], "ADJ": []}` → "NOUN:3si|1;ADJ:" (tag order kept).

    A tag whose lemmas are those of the tag before it is written "TAG:^" ("VERB:0;AUX:^").
    """
    groups, previous = [], None
    for upos, lemmas in candidates.items():
        edits = _LEMMAS.join(_edit(form, lemma) for lemma in lemmas)
        groups.append(upos + _FIELD + (_SAME if edits and edits == previous else edits))
        previous = edits
    return _GROUPS.join(groups)


def decode_entry(form: str, value: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    previous: tuple[str, ...] = ()
    for group in value.split(_GROUPS):
        tag, _, edits = group.partition(_FIELD)
        if edits == _SAME:
            lemmas = previous
        else:
            lemmas = tuple(_apply(form, edit) for edit in edits.split(_LEMMAS)) if edits else ()
        out[tag] = previous = lemmas
    return out


class FormLexicon:
    """Read-only lookups in a baked form lexicon (memory-mapped; safe to share between threads)."""

    def __init__(self, path: Path):
        import marisa_trie

        self.path = path
        self._trie = marisa_trie.BytesTrie()
        self._trie.mmap(str(path))

    def __len__(self) -> int:
        return len(self._trie)

    def items(self) -> list[tuple[str, bytes]]:
        """Every (form, encoded entry) pair, to rebuild a trie from a part of this one."""
        return list(self._trie.items())

    def entry(self, form: str) -> dict[str, tuple[str, ...]]:
        """Every tag's candidate lemmas for `form` (lower-cased), or {} for a form it does not list."""
        key = form.lower()
        values = self._trie.get(key)
        return decode_entry(key, values[0].decode("utf-8")) if values else {}

    def tags(self, form: str) -> tuple[str, ...]:
        """The UD tags the analyser allows for `form`, most likely first; () for a form it does not list."""
        return tuple(self.entry(form))

    def candidates(self, form: str, upos: str) -> tuple[str, ...]:
        """The lemmas the analyser lists for `form` as `upos`, best first (lower case); () if none."""
        return self.entry(form).get(upos, ())

    @classmethod
    def in_model(cls, model_directory: Path, lang: str = "fi") -> "FormLexicon | None":
        path = Path(model_directory) / lang / "lexicon" / FILE_NAME
        return cls(path) if path.is_file() else None


def load_seen_tags(model_directory: Path, lang: str = "fi") -> dict[str, tuple[str, ...]]:
    """The tags each frequent training word was seen with (`traindata.seen_tags`); {} without the file."""
    import json

    path = Path(model_directory) / lang / "lexicon" / SEEN_TAGS_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {form: tuple(tags) for form, tags in data["tags"].items()}
