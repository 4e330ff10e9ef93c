"""Training-time: the tagger's pretrained word vectors, baked from spaCy's Finnish floret vectors.

`spacy-fi-experimental-web-md` (MIT) ships floret vectors trained on Finnish mC4: a vector for any
string, built from hashed character n-grams.  Stanza's tagger takes a fixed table instead
(`--wordvec_pretrain_file`), so the vectors of a word list are exported: the forms of the training
treebanks (never TDT test) and of the TDT train documents, then wordfreq's most frequent Finnish
words, reduced by PCA to `dim` dimensions so that the table stays small (50,000 × 100 floats,
about 21 MB).  Only the recipe needs spaCy's model and wordfreq (the `train` extra); the product
reads the table with Stanza.
"""
from __future__ import annotations

import importlib.util
import logging
import tempfile
from collections import Counter
from pathlib import Path
from typing import Iterable

log = logging.getLogger("pipeline.nlp.build_pretrain")

SPACY_MODEL = "spacy_fi_experimental_web_md"
WORDFREQ_WORDS = 60_000


def vocabulary(treebank_forms: Iterable[str], document_tokens: Iterable[str], frequent_words: Iterable[str],
               size: int) -> list[str]:
    """The words to export, most useful first: treebank forms (weight 5), then the documents' tokens and the
    frequent words (weight 1 each); ties in first-seen order.  Words with white space cannot be stored."""
    weights: Counter[str] = Counter()
    for form in treebank_forms:
        weights[form] += 5
    for group in (document_tokens, frequent_words):
        for word in group:
            weights[word] += 1
    return [word for word, _ in weights.most_common() if word and not any(c.isspace() for c in word)][:size]


def reduce_dimensions(vectors, dim: int):
    """PCA to `dim` dimensions, scaled to unit standard deviation (deterministic: an SVD, no sampling)."""
    import numpy as np

    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dim].T
    return (reduced / reduced.std()).astype(np.float32)


def build_pretrain(path: Path, treebank_forms: Iterable[str], document_tokens: Iterable[str],
                   size: int = 50_000, dim: int = 100) -> dict:
    """Write Stanza's pretrain file (`stanza.models.common.pretrain.Pretrain`) to `path`; returns a summary."""
    missing = [name for name in (SPACY_MODEL, "wordfreq") if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"the tagger's pretrained vectors need {', '.join(missing)}: pip install '.[train]'")
    from importlib.metadata import version

    import numpy as np
    import spacy
    import wordfreq
    from stanza.models.common.pretrain import Pretrain

    # Only the vectors table: no pipeline component is loaded (nor Voikko, which its lemmatizer needs).
    nlp = spacy.load(SPACY_MODEL, exclude=["tok2vec", "tagger", "morphologizer", "parser", "attribute_ruler",
                                           "lemmatizer", "ner", "senter"])
    words = vocabulary(treebank_forms, document_tokens, wordfreq.top_n_list("fi", WORDFREQ_WORDS), size)
    table = reduce_dimensions(np.stack([np.asarray(nlp.vocab.get_vector(word)) for word in words]).astype(np.float32), dim)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "vectors.txt"
        with text.open("w", encoding="utf-8") as fh:
            fh.write(f"{len(words)} {dim}\n")
            for word, row in zip(words, table):
                fh.write(word + " " + " ".join(f"{x:.4f}" for x in row) + "\n")
        Pretrain(str(path), str(text)).load()  # reads the text once and saves the .pt table
    summary = {"words": len(words), "dim": dim, "bytes": path.stat().st_size,
               "source": f"{SPACY_MODEL} {spacy.util.get_package_version(SPACY_MODEL)} floret vectors, PCA to {dim}",
               "word_list": f"training treebank forms, TDT train document tokens, wordfreq {version('wordfreq')} "
                            f"top {WORDFREQ_WORDS:,} Finnish words"}
    log.info("pretrained vectors: %s", summary)
    return summary
