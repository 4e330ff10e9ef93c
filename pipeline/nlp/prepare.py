"""Training data for the compact model, prepared reproducibly from the UD treebanks.

`prepare_data` writes every file the three Stanza trainers read (CoNLL-U for
the tagger and lemmatizer, text and label files for the tokenizer) from
`../shared/ud/`, and records which files went where, with their hashes.  The
TDT test file is never read.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .train import TrainSettings

log = logging.getLogger("pipeline.nlp.train")

# Relative to the UD root (../shared/ud).  The TDT test file is deliberately absent.
TDT_CONVENTION_FILES = (
    "UD_Finnish-TDT/fi_tdt-ud-dev.conllu",
    "UD_Finnish-OOD/fi_ood-ud-test.conllu",
    "UD_Finnish-PUD/fi_pud-ud-test.conllu",
)
FTB_FILES = (
    "UD_Finnish-FTB/fi_ftb-ud-dev.conllu",
    "UD_Finnish-FTB/fi_ftb-ud-test.conllu",
)
TRAINING_FILES = TDT_CONVENTION_FILES + FTB_FILES
# Tokens and sentence boundaries of the TDT *train* documents (no spacing, no tags).
TDT_TRAIN_TOKENS = "turku-ner-corpus/train.tsv"
FORBIDDEN_FILE = "fi_tdt-ud-test.conllu"

def blocks_of(path: Path) -> list[str]:
    return [b.strip("\n") for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]


def _split_conllu(path: Path, holdout_every: int) -> tuple[list[str], list[str]]:
    """Split a CoNLL-U file's sentence blocks into (train, holdout) deterministically."""
    train: list[str] = []
    hold: list[str] = []
    for i, block in enumerate(blocks_of(path)):
        (hold if i % holdout_every == holdout_every - 1 else train).append(block)
    return train, hold


def _mark_newpar(blocks: list[str]) -> list[str]:
    """Start a new paragraph at the first sentence so files do not run together."""
    if not blocks:
        return blocks
    return ["# newpar\n" + blocks[0]] + blocks[1:]


def _write_conllu(blocks: list[str], path: Path) -> None:
    path.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")


def _strip_xpos_feats(conllu: str) -> str:
    """Blank XPOS and FEATS: the pipeline needs UPOS only, and the feature
    classifiers would triple the tagger's training time on a CPU."""
    lines = []
    for line in conllu.split("\n"):
        cols = line.split("\t")
        if len(cols) == 10:
            cols[4] = cols[5] = "_"
            line = "\t".join(cols)
        lines.append(line)
    return "\n".join(lines)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tokenizer_files(blocks: list[str], work: Path, split: str) -> dict:
    from stanza.utils.datasets import conllu_to_text, prepare_tokenizer_data

    conllu = work / f"fi_compact.{split}.tok.conllu"
    _write_conllu(blocks, conllu)
    txt = work / f"fi_compact.{split}.txt"
    conllu_to_text.convert_text(str(conllu), str(txt))
    labels = work / f"fi_compact-ud-{split}.toklabels"
    mwt = work / f"fi_compact-ud-{split}-mwt.json"
    prepare_tokenizer_data.main([str(txt), str(conllu), "-o", str(labels), "-m", str(mwt)])
    # The pipeline has no MWT expander, so a contraction ("ettei") is one token:
    # MWT labels (3: end of MWT, 4: MWT + sentence end) become plain token labels.
    labels.write_text(labels.read_text(encoding="utf-8").translate(str.maketrans("34", "12")), encoding="utf-8")
    return {"tok_conllu": conllu, "txt": txt, "labels": labels, "mwt": mwt}


def silver_tag(documents: list[list[list[str]]]) -> list[str]:
    """CoNLL-U blocks of the given (gold-tokenised) sentences with UPOS from spaCy's Finnish model.

    spacy-fi-experimental-web-md is a training-time dependency only: its tagger
    and morphologizer (trained on TDT train) tag the TDT train documents' gold
    tokens; its lemmatizer (Voikko, GPL) is not loaded.
    """
    import spacy
    from spacy.tokens import Doc

    nlp = spacy.load("spacy_fi_experimental_web_md", exclude=["lemmatizer", "parser", "ner", "attribute_ruler"])
    sentences = [s for doc in documents for s in doc]
    blocks = []
    for _tokens, doc in zip(sentences, nlp.pipe(Doc(nlp.vocab, words=s) for s in sentences)):
        lines = []
        for i, tok in enumerate(doc, 1):
            head, rel = (0, "root") if i == 1 else (1, "dep")
            lines.append(f"{i}\t{tok.text}\t_\t{tok.pos_ or 'X'}\t_\t_\t{head}\t{rel}\t_\t_")
        blocks.append("\n".join(lines))
    return blocks


def prepare_data(ud_root: Path, work: Path, settings: TrainSettings) -> dict:
    """Write train/holdout CoNLL-U, tokenizer text and label files into `work`.

    TDT-convention files (TDT dev, OOD, PUD) give the holdout (every
    `holdout_every`th sentence) for every stage; FTB is harmonised to their
    conventions (or dropped) and only trained on.
    """
    from . import traindata as td

    sources: list[dict] = []
    choices: dict[str, Any] = {}
    tdt_train, tdt_hold, tdt_train_marked, tdt_hold_marked = [], [], [], []
    for rel in TDT_CONVENTION_FILES:
        path = ud_root / rel
        if path.name == FORBIDDEN_FILE:  # pragma: no cover - guarded by TRAINING_FILES
            raise ValueError("the TDT test file is evaluation-only")
        tr, ho = _split_conllu(path, settings.holdout_every)
        tdt_train += tr
        tdt_hold += ho
        tdt_train_marked += _mark_newpar(tr)
        tdt_hold_marked += _mark_newpar(ho)
        sources.append({"file": rel, "sha256": _sha256(path), "train_sentences": len(tr),
                        "holdout_sentences": len(ho), "used_for": "tokenize, pos, lemma (train + holdout)"})
        log.info("data: %s -> %d train / %d holdout sentences", rel, len(tr), len(ho))
    ref = td.Reference(tdt_train)
    ftb_raw: list[str] = []
    ftb_train: list[str] = []
    for rel in FTB_FILES:
        path = ud_root / rel
        blocks = blocks_of(path)
        ftb_raw += _mark_newpar(blocks)
        sources.append({"file": rel, "sha256": _sha256(path), "train_sentences": len(blocks) if settings.ftb != "drop" else 0,
                        "holdout_sentences": 0, "used_for": f"pos, lemma ({settings.ftb})"
                        + (", tokenize" if settings.tokenizer_ftb else "")})
    if settings.ftb == "harmonise":
        ftb_train, stats = td.harmonise_ftb(ftb_raw, ref)
        choices["ftb_harmonisation"] = dict(stats.most_common())
        log.info("FTB harmonised: %s", dict(stats.most_common(12)))
    elif settings.ftb == "raw":
        ftb_train = ftb_raw
    files: dict = {"train": {}, "dev": {}}
    # Tagger and lemmatizer.
    trainblocks_of = tdt_train_marked + ftb_train
    holdblocks_of = tdt_hold_marked
    for split, blocks in (("train", trainblocks_of), ("dev", holdblocks_of)):
        conllu = work / f"fi_compact.{split}.gold.conllu"
        _write_conllu(blocks, conllu)
        lemma = work / f"fi_compact.{split}.lemma.conllu"
        _write_conllu([td.strip_compound_marks(b) for b in blocks], lemma)
        files[split].update({"conllu": conllu, "lemma": lemma})
    pos_train = list(trainblocks_of)
    # Tokenizer.
    tok_train = list(tdt_train_marked) + (list(ftb_raw) if settings.tokenizer_ftb else [])
    ner_path = ud_root / TDT_TRAIN_TOKENS
    if (settings.tokenizer_tdt_train_text or settings.tagger_silver) and ner_path.is_file():
        documents = td.read_ner_documents(ner_path.read_text(encoding="utf-8"))
        sources.append({"file": TDT_TRAIN_TOKENS, "sha256": _sha256(ner_path),
                        "train_sentences": sum(len(d) for d in documents), "holdout_sentences": 0,
                        "documents": len(documents),
                        "used_for": ", ".join(x for x, on in (("tokenize (detokenised)", settings.tokenizer_tdt_train_text),
                                                                ("pos (silver UPOS)", settings.tagger_silver)) if on)})
        if settings.tokenizer_tdt_train_text:
            for d_idx, doc in enumerate(documents):
                tok_train += td.document_to_conllu(f"tdt-train-{d_idx}", doc)
            choices["tokenizer_tdt_train_text"] = (
                "TDT train documents from the Turku NER corpus, one paragraph per document, spacing rebuilt "
                "by traindata.detokenise (no space before , . : ; ! ? ) ] %, none after ( [, quotes paired)")
        if settings.tagger_silver:
            silver = silver_tag(documents)
            pos_train += _mark_newpar(silver)
            import spacy_fi_experimental_web_md as sfi  # noqa: F401  (version recorded)
            from importlib.metadata import version
            choices["tagger_silver"] = (f"UPOS of the TDT train documents' gold tokens from spacy-fi-experimental-web-md "
                                        f"{version('spacy-fi-experimental-web-md')} (MIT; tagger+morphologizer only)")
    elif settings.tokenizer_tdt_train_text:
        raise FileNotFoundError(f"missing {ner_path} (tokenizer_tdt_train_text)")
    files["train"].update(_tokenizer_files(tok_train, work, "train"))
    files["dev"].update(_tokenizer_files(tdt_hold_marked, work, "dev"))
    for split, blocks in (("train", pos_train), ("dev", holdblocks_of)):
        upos = work / f"fi_compact.{split}.upos.conllu"
        upos.write_text(_strip_xpos_feats("\n\n".join(blocks) + "\n\n"), encoding="utf-8")
        files[split]["upos"] = upos
    return {"files": files, "sources": sources, "choices": choices}
