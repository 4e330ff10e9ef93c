"""A second opinion on the tagger's UPOS: a CRF over its tags, the analyser's lexicon and the context.

The compact tagger learned from about 70k tokens (TDT dev, OOD, PUD and harmonised FTB); Stanza's
official model has TDT train's 163k.  We have TDT train's tokens but not its tags.  spaCy's
Finnish model was trained on those documents and tags them nearly as annotated, so its tags
there are silver labels for text our tagger never saw.  The refiner is a linear-chain CRF
(CRFsuite) trained on those documents: its features are the tagger's tag (before and after
`Analyzer.corrected_tag`), the form lexicon's tags for the word, the tags the training sentences
gave the word, the word's spelling (lower case, endings, shape) and the neighbouring corrected tags;
its labels are spaCy's tags.  It learns where our tagger disagrees with TDT-trained tagging, and
what in the word and its context says so.

A tag is replaced only where the CRF gives its own tag a marginal probability of at least
`CONFIDENCE`: chosen on the training holdout and on held-out TDT-train documents, before TDT
test was scored (the unconditional CRF was worse than the tagger on OOD's tweets and medical
text, which TDT train has none of).  `python -m pipeline models train --stages refiner` trains it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "refiner.crfsuite"
# A changed tag needs this marginal probability.  Holdout (2,610 tokens) and 1,779 held-out TDT-train
# sentences (17,789 tokens, against silver tags), tokens right beyond the corrected tags:
# 0.0: -15/+359, 0.9: +4/+309, 0.95: +7/+267, 0.98: +7/+197.
CONFIDENCE = 0.95
# CRFsuite's L-BFGS settings: L1 keeps the model small (about 1.3 MB), L2 as CRFsuite suggests.
TRAINING_PARAMS = {"c1": 0.1, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}


@dataclass(frozen=True)
class TaggedWord:
    """One word as the refiner sees it."""

    text: str
    tagger_tag: str  # the tagger's own output
    tag: str  # after Analyzer.corrected_tag
    lexicon_tags: tuple[str, ...]  # the form lexicon's tags for the word, likeliest first
    seen_tags: tuple[str, ...]  # the tags the training sentences gave it (words seen at least twice)


def is_compound_half(word: str) -> bool:
    """A half of a suspended compound: "sosiaali-" (ja terveyspalvelut), (sosiaali- ja) "-terveyspalvelut"."""
    return len(word) > 1 and word[:1] + word[-1:] != "--" and (word.endswith("-") or word.startswith("-")) \
        and any(ch.isalpha() for ch in word)


def shape(word: str) -> str:
    """A coarse spelling class: handle/hashtag, URL, digits, punctuation, capitals, title case, lower case."""
    if word[:1] in "@#" and len(word) > 1:
        return "@" + word[0]
    if word.startswith(("http:", "https:", "www.")):
        return "URL"
    if word.isdigit():
        return "D"
    if not any(ch.isalnum() for ch in word):
        return "P"
    if word.isupper() and len(word) > 1:
        return "U"
    if word[:1].isupper():
        return "T"
    return "l"


def features(sentence: Sequence[TaggedWord]) -> list[dict[str, float]]:
    """CRFsuite features of each word of one sentence (pure; the same in training and at run time)."""
    out = []
    n = len(sentence)
    for i, word in enumerate(sentence):
        lower = word.text.lower()
        lexicon = "|".join(sorted(word.lexicon_tags))
        f = {"b": 1.0, "s=" + word.tagger_tag: 1.0, "c=" + word.tag: 1.0, "lex=" + lexicon: 1.0,
             "seen=" + "|".join(word.seen_tags): 1.0, "w=" + lower: 1.0, "sh=" + shape(word.text): 1.0,
             "x2=" + lower[-2:]: 1.0, "x3=" + lower[-3:]: 1.0, "x4=" + lower[-4:]: 1.0,
             "c|lex=" + word.tag + "/" + lexicon: 1.0}
        for tag in word.lexicon_tags:
            f["has=" + tag] = 1.0
        if "-" in word.text[1:]:
            f["hyph"] = 1.0
        if i == 0:
            f["BOS|sh=" + shape(word.text)] = 1.0
        elif word.text[:1].isupper():  # a capital inside the sentence says more than one at its start
            f["midcap|c=" + word.tag] = 1.0
        if i == n - 1:
            f["EOS"] = 1.0
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f[f"c{d}=" + sentence[j].tag] = 1.0
                if abs(d) == 1:
                    f[f"w{d}=" + sentence[j].text.lower()] = 1.0
                    f[f"c{d}|c=" + sentence[j].tag + "/" + word.tag] = 1.0
        out.append(f)
    return out


class TagRefiner:
    """The trained CRF, applied to one sentence at a time."""

    def __init__(self, path: Path, confidence: float = CONFIDENCE):
        import pycrfsuite

        self.path = Path(path)
        self.confidence = confidence
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.path))

    @classmethod
    def in_model(cls, model_directory: Path, lang: str = "fi") -> "TagRefiner | None":
        path = Path(model_directory) / lang / "pos" / FILE_NAME
        return cls(path) if path.is_file() else None

    def refine(self, sentence: Sequence[TaggedWord]) -> list[str]:
        """Each word's tag: the CRF's where it differs and is confident enough, else `word.tag`.

        Halves of suspended compounds keep theirs: spaCy's tags, the refiner's labels, make half of
        them PROPN (199 of 447 in the TDT train documents), where TDT dev, OOD and PUD tag 177 of 182 NOUN.
        """
        if not sentence:
            return []
        tagger = self._tagger  # one CRFsuite tagger: callers serialise (one analyzer per thread/process)
        tagger.set(features(sentence))
        best = tagger.tag()
        return [label if label != word.tag and tagger.marginal(label, i) >= self.confidence
                and not is_compound_half(word.text) else word.tag
                for i, (word, label) in enumerate(zip(sentence, best))]


def train_refiner(sentences: Iterable[Sequence[TaggedWord]], labels: Iterable[Sequence[str]], path: Path,
                  params: dict | None = None) -> dict:
    """Train the CRF on (sentence, label) pairs of equal length into `path`; returns what it learned from."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    n_sentences = n_tokens = skipped = 0
    for sentence, tags in zip(sentences, labels):
        if len(sentence) != len(tags) or not sentence:
            skipped += 1  # a sentence the two taggers split differently cannot be aligned
            continue
        trainer.append(features(sentence), list(tags))
        n_sentences += 1
        n_tokens += len(sentence)
    trainer.set_params(params or TRAINING_PARAMS)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    return {"sentences": n_sentences, "tokens": n_tokens, "skipped": skipped,
            "params": params or TRAINING_PARAMS, "confidence": CONFIDENCE}
