"""The Finnish analyzer: sentences, tokens, lemmas and UPOS with character offsets.

This module (with the rest of `pipeline.nlp`) is the only place that imports
Stanza.  A Stanza pipeline is built once per process (`get_analyzer`) and
documents are processed in bulk, never a sentence at a time.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import ConfigError, ModelNotFoundError, first_line
from ..types import Analysis, Sentence, Token
from .distinct import distinct_lemmas_during, distinct_spellings_during
from .form_lexicon import FILE_NAME as LEXICON_FILE, SEEN_TAGS_FILE, FormLexicon, load_seen_tags
from .tag_refiner import FILE_NAME as REFINER_FILE, TaggedWord, TagRefiner
from .lemmas import (clean_lemma, compound_lemma, compound_lemma_from, is_degenerate_lemma,  # noqa: F401  (re-exported)
                     case_like_word, fallback_lemma, hyphen_compound_lemma, lexicon_choice, lexicon_lemma,
                     suffix_stems)

log = logging.getLogger("pipeline.nlp")

LANG = "fi"
MODEL_CHOICES = ("auto", "compact", "official")
PROCESSORS = "tokenize,pos,lemma"
TRAIN_COMMAND = "python -m pipeline models train"
DOWNLOAD_COMMAND = "python -m pipeline models download"


# --------------------------------------------------------------------------- models on disk

@dataclass(frozen=True)
class ModelInfo:
    kind: str  # "compact" | "official"
    directory: Path  # a Stanza resources directory
    package: str  # Stanza package name inside it
    fingerprint: str  # short hash of the model files: changes when the model does

    @property
    def name(self) -> str:
        return f"fi-{self.kind}@{self.fingerprint}"


def _fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    # The weights and the lexicon files, not the card: editing MODEL_CARD.json changes no analysis.
    for path in sorted([*directory.rglob("*.pt"), *directory.rglob(f"lexicon/{LEXICON_FILE}"),
                        *directory.rglob(f"lexicon/{SEEN_TAGS_FILE}"),
                        *directory.rglob(f"pos/{REFINER_FILE}")]):
        stat = path.stat()
        digest.update(f"{path.relative_to(directory)}:{stat.st_size}".encode())
        with path.open("rb") as fh:  # head and tail: cheap and changes with any retraining
            digest.update(fh.read(1 << 16))
            fh.seek(max(0, stat.st_size - (1 << 16)))
            digest.update(fh.read())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def analyzer_code_version() -> str:
    """Short hash of the analyzer's own code (this module, `lemmas`, `form_lexicon`, `fullform`, `tag_refiner`
    and `distinct`): the post-processing that turns Stanza's output into an `Analysis` lives there, so stored analyses are redone
    when it changes."""
    digest = hashlib.sha256()
    for name in ("analyzer.py", "lemmas.py", "form_lexicon.py", "fullform.py", "tag_refiner.py", "distinct.py"):
        path = Path(__file__).with_name(name)
        digest.update(path.read_bytes())
    return digest.hexdigest()[:6]


def _is_model_dir(directory: Path) -> bool:
    return (directory / "resources.json").is_file() and any((directory / LANG).rglob("*.pt"))


def locate_model(models_dir: Path | str, choice: str = "auto") -> ModelInfo:
    """Find the model to use: `official` when chosen or (for `auto`) present, else `compact`."""
    if choice not in MODEL_CHOICES:
        raise ConfigError(f"unknown model choice {choice!r}; use one of {', '.join(MODEL_CHOICES)}")
    models_dir = Path(models_dir)
    official, compact = models_dir / "official", models_dir / "compact"
    if choice in ("official", "auto") and _is_model_dir(official):
        return ModelInfo("official", official, "default", _fingerprint(official))
    if choice == "official":
        raise ModelNotFoundError(
            f"no official Stanza model in {official}; run `{DOWNLOAD_COMMAND}` on a machine with network access"
        )
    if _is_model_dir(compact):
        return ModelInfo("compact", compact, "compact", _fingerprint(compact))
    raise ModelNotFoundError(
        f"no Finnish model in {models_dir}; point --models-dir at the folder holding compact/ or official/, "
        f"or run `{TRAIN_COMMAND}` (needs the UD treebanks) or `{DOWNLOAD_COMMAND}` (needs network)"
    )


POS_BATCH_TOKENS = 500  # peak RSS of 100 documents in 16-document batches: 1,117 MB at 5,000, 685 MB at 500
# The tokenizer's paragraphs per batch, per torch thread. Its peak memory follows this: one batch of
# 16 documents took about 165 MB more at Stanza's 32 paragraphs, 80 MB at 16 and 46 MB at 8. With one
# thread 8 was as fast as 32, with two 16 was (8 about 15 % slower); tokens and sentences are the same.
TOKENIZE_PARAGRAPHS_PER_THREAD = 8
_HYPHENS = ("-", "–")
# Tags the analyser may overrule (see Analyzer.corrected_tag).
CORRECTABLE_TAGS = ("NOUN", "VERB", "ADJ", "ADV")

# --------------------------------------------------------------------------- lemma cleaning

def _split_at_line_breaks(text: str, tokens: list[Token], sentence_starts: set[int]) -> set[int]:
    """A line break ends a sentence: in press texts a line is a heading, list item or paragraph."""
    starts = set(sentence_starts)
    for prev, tok in zip(tokens, tokens[1:]):
        if "\n" in text[prev.end:tok.start]:
            starts.add(tok.index)
    return starts


_TRAILING = set(":;,!?)]”\"»")
_LEADING = set("([“”\"«")


def split_glued_punctuation(raw_tokens):
    """Split punctuation the tokenizer left glued to a word ("Arvot:" → "Arvot", ":").

    A Finnish word never ends in a colon, comma or closing quote, nor starts with
    an opening one; a full stop is left alone (abbreviations such as "esim.").
    """
    for surface, start, end, lemma, upos, sent in raw_tokens:
        lead = []
        while len(surface) > 1 and surface[0] in _LEADING and any(c.isalnum() for c in surface[1:]):
            lead.append((surface[0], start, start + 1, surface[0], "PUNCT", sent))
            surface, start = surface[1:], start + 1
            lemma = lemma[1:] if lemma and lemma[0] in _LEADING else lemma
        trail: list[tuple[str, int, int, str | None, str | None, int]] = []
        while len(surface) > 1 and surface[-1] in _TRAILING and any(c.isalnum() for c in surface[:-1]):
            trail.insert(0, (surface[-1], end - 1, end, surface[-1], "PUNCT", sent))
            surface, end = surface[:-1], end - 1
            lemma = lemma[:-1] if lemma and lemma[-1] in _TRAILING else lemma
        if (lead or trail) and upos == "PUNCT":
            upos = "X"
        yield from lead
        yield surface, start, end, lemma, upos, sent
        yield from trail


def build_analysis(doc_id: str, text: str, raw_tokens: Iterable[tuple[str, int, int, str | None, str | None, int]],
                   model: str, split_on_newline: bool = True, lemma_fn=clean_lemma) -> Analysis:
    """Turn (text, start, end, lemma, upos, stanza_sentence) tuples into an `Analysis`.

    Pure: no Stanza here, so it is tested without a model.
    """
    tokens: list[Token] = []
    starts: set[int] = set()
    last_sentence = None
    for surface, start, end, lemma, upos, sent in split_glued_punctuation(raw_tokens):
        if text[start:end] != surface:
            # Stanza normalises some characters in token text; the source text is authoritative.
            surface = text[start:end]
        if sent != last_sentence:
            starts.add(len(tokens))
            last_sentence = sent
        upos = upos or "X"
        tokens.append(Token(len(tokens), 0, surface, lemma_fn(surface, lemma, upos), upos, start, end))
    if split_on_newline:
        starts = _split_at_line_breaks(text, tokens, starts)
    ordered = sorted(starts | ({0} if tokens else set()))
    sentences, final = [], []
    bounds = ordered + [len(tokens)]
    for s_idx, (a, b) in enumerate(zip(bounds, bounds[1:])):
        sentences.append(Sentence(s_idx, tokens[a].start, tokens[b - 1].end, a, b))
        final += [Token(t.index, s_idx, t.text, t.lemma, t.upos, t.start, t.end) for t in tokens[a:b]]
    return Analysis(doc_id, text, tuple(sentences), tuple(final), model)


class Analyzer:
    """Stanza tokenize → pos → lemma for Finnish, loaded from a local resources directory."""

    def __init__(self, models_dir: Path | str = "models", choice: str = "auto",
                 threads: int | None = None, split_on_newline: bool = True, lexicon: bool = True):
        self.model = locate_model(models_dir, choice)
        self.split_on_newline = split_on_newline
        self.lexicon = lexicon
        self._pipeline: Any = None  # stanza.Pipeline once loaded (stanza has no type information)
        self._load_lock = threading.Lock()
        self._threads = threads
        self._known: frozenset[str] = frozenset()
        self._forms: FormLexicon | None = None  # the analyser's lexicon baked into the model, if it has one
        self._seen_tags: dict[str, tuple[str, ...]] = {}  # frequent training words' tags, most frequent first
        self._refiner: TagRefiner | None = None  # the CRF's second opinion on tags, if the model has one

    @property
    def model_name(self) -> str:
        # The lexicon changes lemmas, so outputs made with and without it must not be mixed; the
        # analyzer's post-processing (lemma cleaning, punctuation, sentences) is part of the result too.
        name = self.model.name.replace("@", "+lexicon@") if self.lexicon else self.model.name
        return f"{name}-{analyzer_code_version()}"

    @property
    def form_lexicon(self) -> FormLexicon | None:
        return self._forms

    def use_training_data(self, lemma_dictionary: dict[str, dict[str, str]],
                          seen_tags: dict[str, tuple[str, ...]], forms: FormLexicon | None) -> None:
        """Replace what the loaded model knows of its training data: the lemmatizer's dictionary
        ({upos: {word: lemma}}), the seen tags and the form lexicon (`holdout_eval` removes the holdout)."""
        self.load().processors["lemma"]._trainer.pos_dict = lemma_dictionary
        self._known = _dictionary_words(lemma_dictionary)
        self._seen_tags = seen_tags
        self._forms = forms

    def _unseen(self, word: str, upos: str | None) -> bool:
        return upos not in ("PUNCT", "NUM", "SYM") and word not in self._known and word.lower() not in self._known

    def _lexicon_decides(self, word: str, upos: str | None) -> str | None:
        """The lexicons' lemma where it replaces the lemmatizer's: a word the lemmatizer never saw.

        Order, measured on the training holdout's unseen words: the analyser's lemmas for the
        word (the full-form lexicon's among them if it lists one), the full-form lexicon,
        the analyser's lemmas for the word without a clitic or possessive suffix if it does
        not know the word itself (not for names: "Shinhan" is no "Shin" + "-han"), a compound's
        final part in the analyser's lexicon, then in the full-form lexicon.
        """
        if not self.lexicon or not self._unseen(word, upos):
            return None
        tag = upos or "X"
        full_form = lexicon_lemma(word, tag)
        entry = self._forms.entry(word) if self._forms is not None else {}  # one lookup for both uses below
        if entry.get(tag):
            return lexicon_choice(word, tag, entry[tag], full_form)
        if full_form:
            return full_form
        if self._forms is None:
            return compound_lemma(word, tag) or None
        if tag != "PROPN" and not entry:  # "kunhan" is a word, not "kun" + "-han"
            for stem in suffix_stems(word):
                candidates = self._forms.candidates(stem, tag)
                if candidates:
                    return case_like_word(word, candidates[0], tag)
        compound = compound_lemma_from(word, tag, self._forms.candidates)
        if compound:
            return case_like_word(word, compound, tag)
        return compound_lemma(word, tag) or None

    def _lexicon_lemmas(self, form: str, tag: str) -> tuple[str, ...]:
        """The lemmas the lexicons list for `form` as `tag`, best first: the analyser's, else the full-form lexicon's."""
        candidates = self._forms.candidates(form, tag) if self._forms is not None else ()
        if candidates:
            return candidates
        full_form = lexicon_lemma(form, tag)
        return (full_form,) if full_form else ()

    def corrected_tag(self, word: str, upos: str | None) -> str | None:
        """The tagger's tag, unless the training data or the analyser rules it out (see `correct_tag`)."""
        return correct_tag(word, upos, self._seen_tags, self._forms)

    def _correct_tags(self, docs) -> None:
        """Tags after `corrected_tag`, then the tag refiner's confident changes (see tag_refiner)."""
        for sdoc in docs:
            for sentence in sdoc.sentences:
                words = [word for word in sentence.words if word.text]
                tagged = tagged_words(words, self._seen_tags, self._forms)
                tags = self._refiner.refine(tagged) if self._refiner is not None else [t.tag for t in tagged]
                for word, tag in zip(words, tags):
                    word.upos = tag

    def lemma_for(self, word: str, lemma: str | None, upos: str) -> str:
        """The final lemma: Stanza's, or for a word its lemmatizer never saw, the lexicon's; then cleaned."""
        if len(word) > 2 and word[0] in _HYPHENS and word[1].isalpha():
            # The second half of a suspended compound ("Reuters -uutistoimiston"): the word's lemma.
            return self.lemma_for(word[1:], lemma.lstrip("".join(_HYPHENS)) if lemma else lemma, upos)
        if len(word) > 2 and word[-1] in _HYPHENS and word[-2].isalpha():
            # The first half of one ("tiedonsiirto- ja tallennusjärjestelmä") does not inflect.
            return fallback_lemma(word[:-1], upos)
        hyphenated = self._hyphen_compound(word, lemma, upos)
        if hyphenated:
            return clean_lemma(word, hyphenated, upos, trusted=True)
        lexical = self._lexicon_decides(word, upos)
        if lexical:
            return clean_lemma(word, lexical, upos, trusted=True)
        return self._verb_lemma(word, clean_lemma(word, lemma, upos), upos)

    def _hyphen_compound(self, word: str, lemma: str | None, upos: str) -> str | None:
        """A hyphenated compound's lemma from its final part's (`lemmas.hyphen_compound_lemma`), for any
        such word: the lemmatizer learned TDT's, which drop the hyphen ("Facebookjulkaisu")."""
        if not self.lexicon or "-" not in word:
            return None
        return hyphen_compound_lemma(word, upos, self._lexicon_lemmas, keep_head_case=(lemma or "")[:1].isupper())

    def _verb_lemma(self, word: str, lemma: str, upos: str) -> str:
        """A verb's lemma is its infinitive: where the lemmatizer gave a VERB another form ("sallittu",
        "valtasivat") and the analyser lists the verb's infinitive, the analyser's."""
        if upos != "VERB" or not self.lexicon or self._forms is None:
            return lemma
        candidates = self._forms.candidates(word, "VERB")
        return candidates[0] if candidates and lemma.lower() not in candidates else lemma

    def _skip_decided_words(self, docs) -> None:
        """Let the lemmatizer look up, not generate, the lemmas `lemma_for` takes from the lexicon.

        Stanza's lemmatizer runs its seq2seq model only for (word, UPOS) pairs missing from
        its dictionary, and for those words `lemma_for` discards that output for the
        lexicon's anyway.  Entering the lexicon's lemma in the dictionary first gives the
        same final lemmas without the decoding (the largest share of the lemmatizer's time).
        Words that `split_glued_punctuation` will split are left alone: their final lemma
        is decided on the split surface.
        """
        trainer = getattr(self._pipeline.processors.get("lemma"), "_trainer", None)
        if trainer is None or not hasattr(trainer, "pos_dict") or getattr(trainer, "caseless", False):
            return
        for sdoc in docs:
            for sentence in sdoc.sentences:
                for word in sentence.words:
                    text, upos = word.text, word.upos
                    if not text or text[0] in _LEADING or text[-1] in _TRAILING:
                        continue
                    lexical = self._lexicon_decides(text, upos)
                    if lexical is not None:
                        trainer.pos_dict.setdefault(upos, {})[text] = lexical

    def load(self):
        """Build the Stanza pipeline (and the lexicon) now, once per analyzer; returns the pipeline.

        Later calls return the same pipeline: callers load up front so that the time is not
        charged to the first batch (worker start-up, benchmarks, evaluation).
        """
        with self._load_lock:  # a preload thread and the first batch may ask at the same time
            return self._load()

    def _load(self):
        if self._pipeline is None:
            import stanza
            import torch

            if self._threads:
                torch.set_num_threads(self._threads)
            threads = self._threads or torch.get_num_threads()
            log.info("loading Stanza model %s from %s", self.model.name, self.model.directory)
            try:
                with _without_optimizers():
                    self._pipeline = stanza.Pipeline(
                        LANG,
                        dir=str(self.model.directory),
                        package=self.model.package,
                        processors=PROCESSORS,
                        download_method=None,  # never touch the network: the model is local
                        use_gpu=False,
                        # The tagger's batches: at most POS_BATCH_TOKENS words at a time (Stanza's default,
                        # 5,000, costs about 400 MB more at the peak and is not faster here).
                        pos_batch_maximum_tokens=POS_BATCH_TOKENS,
                        **self._pretrain_option(),
                        logging_level="WARN",
                    )
            except Exception as err:  # a truncated or damaged file: one line, not torch's traceback
                detail = first_line(err)
                raise ModelNotFoundError(
                    f"cannot load the model in {self.model.directory} ({type(err).__name__}: {detail}); "
                    f"its files may be truncated or damaged: reinstall it (`{DOWNLOAD_COMMAND}` or "
                    f"`{TRAIN_COMMAND}`) or point --models-dir at a good copy") from err
            # Stanza 1.15's tokenizer predicts in batches of its training argument, not of the
            # pipeline's `tokenize_batch_size`: set where it reads it.
            tokenizer = getattr(self._pipeline.processors.get("tokenize"), "trainer", None)
            if tokenizer is not None and isinstance(getattr(tokenizer, "args", None), dict):
                tokenizer.args["batch_size"] = TOKENIZE_PARAGRAPHS_PER_THREAD * threads
            trainer = getattr(self._pipeline.processors.get("lemma"), "_trainer", None)
            if trainer is not None and hasattr(trainer, "pos_dict"):
                self._known = _dictionary_words(trainer.pos_dict)
            if self.lexicon:
                self._forms = FormLexicon.in_model(self.model.directory, LANG)
                self._seen_tags = load_seen_tags(self.model.directory, LANG)
                self._refiner = TagRefiner.in_model(self.model.directory, LANG)
                # simplemma's dictionary is opened on first use (0.1 s from its cached trie; the one
                # build, about 10 s, if the cache is missing): with the model, not in the first batch.
                lexicon_lemma("talo")
        return self._pipeline

    def _pretrain_option(self) -> dict:
        # A tagger trained with pretrained vectors needs them at run time; the compact model keeps
        # them beside its tagger (fi/pretrain), where Stanza would not look without being told.
        path = self.model.directory / LANG / "pretrain" / f"{self.model.package}.pt"
        return {"pos_pretrain_path": str(path)} if self.model.kind == "compact" and path.is_file() else {}

    def stanza_documents(self, texts: Sequence[str]):
        """Raw Stanza output for `texts`, processed as one bulk batch."""
        import stanza

        nlp = self.load()
        docs = [stanza.Document([], text=t) for t in texts]
        if not docs:
            return []
        nlp(docs, processors="tokenize")
        with distinct_spellings_during(nlp):
            nlp(docs, processors="pos")
        if self.lexicon:
            self._correct_tags(docs)
            self._skip_decided_words(docs)
        with distinct_lemmas_during(nlp, docs):
            return nlp(docs, processors="lemma")

    def analyze_many(self, items: Sequence[tuple[str, str]]) -> list[Analysis]:
        """Analyze (doc_id, text) pairs in one bulk call; empty texts get empty analyses."""
        nonempty = [(i, t) for i, (_, t) in enumerate(items) if t.strip()]
        results: list[Analysis | None] = [None] * len(items)
        stanza_docs = self.stanza_documents([t for _, t in nonempty])
        for (i, text), sdoc in zip(nonempty, stanza_docs):
            results[i] = build_analysis(items[i][0], text, _raw_tokens(sdoc), self.model_name,
                                        self.split_on_newline, self.lemma_for)
        for i, (doc_id, text) in enumerate(items):
            if results[i] is None:
                results[i] = Analysis(doc_id, text, (), (), self.model_name)
        return results  # type: ignore[return-value]

    def analyze(self, doc_id: str, text: str) -> Analysis:
        return self.analyze_many([(doc_id, text)])[0]


def correct_tag(word: str, upos: str | None, seen_tags: dict[str, tuple[str, ...]],
                forms: FormLexicon | None) -> str | None:
    """The tagger's tag, unless the training data or the analyser rules it out.

    A word the training data had at least twice keeps to the tags it had there (its most
    frequent one replaces another): the tagger learned TDT's own conventions for those
    ("vuonna" NOUN where the analyser says ADV).  Any other word keeps to the analyser's
    tags, for open-class predictions only; a predicted name is left alone (the analyser
    does not list most names).  On the holdout, extending that from unseen words to words
    seen once changed 6 tags, 5 of them to the right one and none away from it.
    """
    seen = seen_tags.get(word.lower())
    if seen:
        return upos if upos in seen else seen[0]
    correctable = upos in CORRECTABLE_TAGS or upos == "PROPN" and word[:1].islower()  # "alko" is no name
    if forms is None or not correctable:
        return upos
    allowed = forms.tags(word)
    return allowed[0] if allowed and upos not in allowed else upos


def tagged_words(words, seen_tags: dict[str, tuple[str, ...]], forms: FormLexicon | None) -> list[TaggedWord]:
    """Stanza words as the tag refiner sees them (run time and its training alike)."""
    return [TaggedWord(w.text, w.upos or "X", correct_tag(w.text, w.upos, seen_tags, forms) or "X",
                       forms.tags(w.text) if forms is not None else (), seen_tags.get(w.text.lower(), ()))
            for w in words]


@contextlib.contextmanager
def _without_optimizers():
    """Build Stanza's processors without their optimizers: the analyzer never trains.

    Each of Stanza's trainers makes an Adam optimizer even to predict, and torch's first
    optimizer imports torch._dynamo: about 2 s of every process's start-up here (a run, each
    worker), for an object nothing uses.  Loading is serialised by the analyzer's lock.
    """
    from stanza.models.common import utils

    saved = utils.get_optimizer, utils.get_split_optimizer
    utils.get_optimizer = lambda *args, **kwargs: None
    utils.get_split_optimizer = lambda *args, **kwargs: {}
    try:
        yield
    finally:
        utils.get_optimizer, utils.get_split_optimizer = saved


def _dictionary_words(pos_dict: dict[str, dict[str, str]]) -> frozenset[str]:
    return frozenset().union(*(set(entries) for entries in pos_dict.values()))


def _raw_tokens(sdoc):
    for s_idx, sentence in enumerate(sdoc.sentences):
        for token in sentence.tokens:
            words = token.words
            lemma = " ".join(w.lemma or "" for w in words) if len(words) > 1 else words[0].lemma
            yield token.text, token.start_char, token.end_char, lemma, words[-1].upos, s_idx


_ANALYZERS: dict[tuple, Analyzer] = {}


def get_analyzer(models_dir: Path | str = "models", choice: str = "auto", threads: int | None = None,
                 lexicon: bool = True) -> Analyzer:
    """The process-wide analyzer for these settings (the Stanza pipeline is built once)."""
    key = (str(Path(models_dir).resolve()), choice, threads, lexicon)
    if key not in _ANALYZERS:
        _ANALYZERS[key] = Analyzer(models_dir, choice, threads, lexicon=lexicon)
    return _ANALYZERS[key]


def model_card(models_dir: Path | str = "models", choice: str = "auto") -> dict:
    info = locate_model(models_dir, choice)
    card_path = info.directory / "MODEL_CARD.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    return {"name": info.name, "kind": info.kind, "directory": str(info.directory), **card}
