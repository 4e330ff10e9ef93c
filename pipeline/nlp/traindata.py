"""Training data for the compact model: treebank harmonisation, detokenised text, lemma dictionary.

Pure Python (no Stanza, no torch), so every rule is tested without a model.

* `harmonise_ftb` rewrites FinnTreeBank (FTB) annotation into the conventions of
  TDT, OOD and PUD (the benchmark's): proper-noun lemmas keep their capital,
  plural demonstratives are lemmatised to the singular (`ne` -> `se`), and FTB's
  DET and PART tags, which TDT never uses, become the tag TDT gives that word
  (default PRON for DET, ADV for PART).  More generally, a word whose FTB tag
  TDT-convention data never gives it (at least `min_ref` occurrences there) takes
  TDT's majority tag and lemma; and a (word, tag) whose lemma TDT-convention data
  gives unanimously takes that lemma (`paremmin` -> `hyvin`, TDT lemmatises
  comparatives to the positive).  The reference table comes from the
  TDT-convention *training* sentences only.
* `detokenise` rebuilds running text from a token list (the Turku NER corpus has
  TDT train's tokens and sentence boundaries but no spacing).
* `build_lemma_dict` makes Stanza's lemmatizer dictionary ({upos: {word: lemma}},
  with "*" the tag-independent fallback) where TDT-convention data has priority
  over harmonised FTB.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator, Sequence

# ----------------------------------------------------------------------------- CoNLL-U blocks

PLURAL_PRONOUN_LEMMAS = {"ne": "se", "nämä": "tämä", "nuo": "tuo", "nää": "tämä", "noi": "tuo"}
DEFAULT_RETAG = {"DET": "PRON", "PART": "ADV"}
TDT_TAGS = {"NOUN", "PUNCT", "VERB", "ADV", "ADJ", "PROPN", "PRON", "AUX", "CCONJ", "NUM", "SCONJ",
            "ADP", "SYM", "X", "INTJ"}
CLOSED_TAGS = {"PUNCT", "SYM", "NUM", "X"}


def word_rows(block: str) -> Iterator[list[str]]:
    for line in block.split("\n"):
        cols = line.split("\t")
        if len(cols) == 10 and cols[0].isdigit():
            yield cols


def map_rows(block: str, fn) -> str:
    """Apply `fn(cols) -> cols` to every word line of a sentence block."""
    out = []
    for line in block.split("\n"):
        cols = line.split("\t")
        if len(cols) == 10 and cols[0].isdigit():
            line = "\t".join(fn(cols))
        out.append(line)
    return "\n".join(out)


def strip_compound_marks(block: str) -> str:
    """`hyvinvointi#alue` -> `hyvinvointialue` (FTB has no marks; evaluation removes them)."""
    def fix(cols):
        if "#" in cols[2] and cols[2].strip("#"):
            cols = cols[:]
            cols[2] = cols[2].replace("#", "")
        return cols
    return map_rows(block, fix)


# ----------------------------------------------------------------------------- harmonisation

class Reference:
    """(word, tag, lemma) counts from TDT-convention sentences, keyed by the lower-cased word."""

    def __init__(self, blocks: Iterable[str]):
        self.tags: dict[str, Counter] = defaultdict(Counter)
        self.lemmas: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for block in blocks:
            for cols in word_rows(block):
                w = cols[1].lower()
                self.tags[w][cols[3]] += 1
                self.lemmas[(w, cols[3])][cols[2].replace("#", "") if cols[2].strip("#") else cols[2]] += 1

    def majority_tag(self, word: str, allowed: set[str] | None = None) -> str | None:
        for tag, _ in self.tags.get(word.lower(), Counter()).most_common():
            if allowed is None or tag in allowed:
                return tag
        return None

    def unanimous_lemma(self, word: str, tag: str, min_count: int) -> str | None:
        counts = self.lemmas.get((word.lower(), tag))
        if not counts or len(counts) != 1:
            return None
        lemma, n = next(iter(counts.items()))
        return lemma if n >= min_count else None

    def majority_lemma(self, word: str, tag: str) -> str | None:
        counts = self.lemmas.get((word.lower(), tag))
        return counts.most_common(1)[0][0] if counts else None


def _case_like(lemma: str, word: str, tag: str) -> str:
    """Reference lemmas are looked up by the lower-cased word: re-apply a name's capital."""
    if tag == "PROPN" and word[:1].isupper() and lemma[:1].islower():
        return lemma[:1].upper() + lemma[1:]
    return lemma


def harmonise_row(cols: list[str], ref: Reference, min_ref: int = 3, stats: Counter | None = None) -> list[str]:
    cols = cols[:]
    word, lemma, tag = cols[1], cols[2], cols[3]
    stats = stats if stats is not None else Counter()
    # 1. Tags TDT does not use, or does not use for this word.
    if tag in DEFAULT_RETAG:
        retag = ref.majority_tag(word, TDT_TAGS - CLOSED_TAGS) or DEFAULT_RETAG[tag]
        stats[f"retag {tag}->{retag}"] += 1
        tag = retag
        ref_lemma = ref.majority_lemma(word, tag)
        if ref_lemma:
            lemma = _case_like(ref_lemma, word, tag)
    elif tag not in CLOSED_TAGS and tag != "PROPN":
        seen = ref.tags.get(word.lower())
        if seen and sum(seen.values()) >= min_ref and seen[tag] == 0:
            new = ref.majority_tag(word, TDT_TAGS - CLOSED_TAGS)
            if new and new != "PROPN":
                stats[f"retag {tag}->{new} (word never {tag} in TDT)"] += 1
                tag = new
                lemma = _case_like(ref.majority_lemma(word, tag) or lemma, word, tag)
    # 2. Lemma conventions.
    if tag in ("PRON", "DET") and lemma.lower() in PLURAL_PRONOUN_LEMMAS:
        stats["pronoun lemma to singular"] += 1
        lemma = PLURAL_PRONOUN_LEMMAS[lemma.lower()]
    if tag == "PROPN" and word[:1].isupper() and lemma[:1].islower() and lemma[:1].upper() == word[:1]:
        stats["PROPN lemma capitalised"] += 1
        lemma = lemma[:1].upper() + lemma[1:]
    if tag not in CLOSED_TAGS:
        ref_lemma = ref.unanimous_lemma(word, tag, 2)
        if ref_lemma and ref_lemma.lower() != lemma.lower():
            stats["lemma from TDT (unanimous for word+tag)"] += 1
            lemma = _case_like(ref_lemma, word, tag)
    cols[2], cols[3] = lemma, tag
    return cols


def harmonise_ftb(blocks: list[str], ref: Reference, min_ref: int = 3) -> tuple[list[str], Counter]:
    stats: Counter = Counter()
    out = [map_rows(b, lambda cols: harmonise_row(cols, ref, min_ref, stats)) for b in blocks]
    return out, stats


# ----------------------------------------------------------------------------- detokenisation

NO_SPACE_BEFORE = set(",.:;!?)]%}")
NO_SPACE_AFTER = set("([{")
QUOTES = {'"', "”", "“", "»", "«", "'"}


def detokenise(tokens: list[str]) -> list[bool]:
    """Whether each token is followed by a space (the last one: True), by Finnish typesetting rules.

    No space before , . : ; ! ? ) ] %, none after ( [; quotes alternate opening
    (glued to the next token) and closing (glued to the previous one).
    """
    space_after = [True] * len(tokens)
    open_quote = False
    for i, tok in enumerate(tokens):
        if tok in QUOTES:
            if not open_quote:
                space_after[i] = False  # opening: glued to what follows
            elif i > 0:
                space_after[i - 1] = False  # closing: glued to what precedes
            open_quote = not open_quote
            continue
        if i > 0 and tok in NO_SPACE_BEFORE:
            space_after[i - 1] = False
        if tok in NO_SPACE_AFTER:
            space_after[i] = False
    if tokens:
        space_after[-1] = True
    return space_after


def read_ner_documents(text: str) -> list[list[list[str]]]:
    """Documents -> sentences -> tokens from a CoNLL NER file with -DOCSTART- lines."""
    docs: list[list[list[str]]] = []
    sent: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.startswith("-DOCSTART-"):
            if sent:
                docs[-1].append(sent) if docs else docs.append([sent])
                sent = []
            docs.append([])
            continue
        if not line.strip():
            if sent:
                if not docs:
                    docs.append([])
                docs[-1].append(sent)
                sent = []
            continue
        sent.append(line.split("\t")[0])
    if sent:
        if not docs:
            docs.append([])
        docs[-1].append(sent)
    return [d for d in docs if d]


def ner_tokens(path: Path) -> set[str]:
    """Every token of a CoNLL NER file (the Turku NER corpus's TDT train documents); none if it is absent."""
    if not path.is_file():
        return set()
    return {token for doc in read_ner_documents(path.read_text(encoding="utf-8")) for sentence in doc
            for token in sentence}


def document_to_conllu(doc_id: str, sentences: list[list[str]]) -> list[str]:
    """CoNLL-U blocks for one document (one paragraph) with SpaceAfter=No from `detokenise`.

    Only FORM and MISC matter (tokenizer training); the other columns are placeholders.
    """
    blocks = []
    for s_idx, tokens in enumerate(sentences):
        spaces = detokenise(tokens)
        text = "".join(t + (" " if sp else "") for t, sp in zip(tokens, spaces)).strip()
        lines = ([f"# newdoc id = {doc_id}", "# newpar"] if s_idx == 0 else []) + [f"# text = {text}"]
        for i, (tok, sp) in enumerate(zip(tokens, spaces), 1):
            misc = "_" if sp or i == len(tokens) else "SpaceAfter=No"
            head, rel = (0, "root") if i == 1 else (1, "dep")
            lines.append(f"{i}\t{tok}\t_\t_\t_\t_\t{head}\t{rel}\t_\t{misc}")
        blocks.append("\n".join(lines))
    return blocks


# ----------------------------------------------------------------------------- lemma dictionary

POS_INDEPENDENT = "*"


def triples(blocks: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    for block in blocks:
        for cols in word_rows(block):
            yield cols[1], cols[3], cols[2]


def build_lemma_dict(tiers: Sequence[Iterable[tuple[str, str, str]]]) -> dict[str, dict[str, str]]:
    """Stanza's {upos: {word: lemma}} dictionary, earlier tiers first.

    Within a tier the most frequent lemma wins (as in Stanza's own `train_dict`);
    a later tier only adds words (or word+tag pairs) no earlier tier has.
    """
    fallback: dict[str, str] = {}
    composite: dict[tuple[str, str], str] = {}
    for tier in tiers:
        ctr = Counter(tier)
        tier_words: dict[str, str] = {}
        tier_pairs: dict[tuple[str, str], str] = {}
        for (w, pos, lemma), _ in ctr.most_common():
            tier_words.setdefault(w, lemma)
            tier_pairs.setdefault((w, pos), lemma)
        for w, lemma in tier_words.items():
            fallback.setdefault(w, lemma)
        for key, lemma in tier_pairs.items():
            composite.setdefault(key, lemma)
    pos_dict: dict[str, dict[str, str]] = {POS_INDEPENDENT: dict(sorted(fallback.items()))}
    for (w, pos), lemma in sorted(composite.items()):
        if fallback.get(w) != lemma:
            pos_dict.setdefault(pos, {})[w] = lemma
    return pos_dict


# ----------------------------------------------------------------------------- seen tags

def seen_tags(blocks: Iterable[str], min_count: int = 2) -> dict[str, list[str]]:
    """{lower-cased form: its UD tags, most frequent first} for forms seen at least `min_count` times.

    The analyzer lets no such word take a tag the training data never gave it (see
    Analyzer.corrected_tag): measured on the holdout, the tagger's tags it replaces
    were all wrong, and every replacement right.
    """
    counts: dict[str, Counter] = {}
    for block in blocks:
        for cols in word_rows(block):
            counts.setdefault(cols[1].lower(), Counter())[cols[3]] += 1
    return {form: [tag for tag, _ in sorted(ctr.items(), key=lambda kv: (-kv[1], kv[0]))]
            for form, ctr in sorted(counts.items()) if sum(ctr.values()) >= min_count}
