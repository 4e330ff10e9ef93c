"""`python -m pipeline models …`: train, fetch, inspect and evaluate the Finnish NLP model."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Optional

import typer

from .nlp.train import TrainSettings

models_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Train, fetch, inspect and evaluate the Finnish NLP model.")

DEFAULT_UD = Path("../shared/ud")
# Option defaults come from the settings record, so the CLI and the API cannot disagree.
_TRAIN = TrainSettings()


@models_app.command("train")
def models_train(
    ud_dir: Path = typer.Option(DEFAULT_UD, help="Folder with the UD Finnish treebanks (TDT, FTB, OOD)."),
    models_dir: Path = typer.Option(Path("models"), help="Where models live; writes MODELS_DIR/compact."),
    tokenizer_steps: int = typer.Option(_TRAIN.tokenizer_steps),
    tagger_steps: int = typer.Option(_TRAIN.tagger_steps),
    lemma_epochs: int = typer.Option(_TRAIN.lemma_epochs),
    tagger_hidden_dim: int = typer.Option(_TRAIN.tagger_hidden_dim),
    tagger_char_hidden_dim: int = typer.Option(_TRAIN.tagger_char_hidden_dim),
    tagger_pretrain_words: int = typer.Option(_TRAIN.tagger_pretrain_words, help="Words in the tagger's pretrained vectors (spaCy's floret vectors, training-time dependency); 0: none."),
    tagger_pretrain_dim: int = typer.Option(_TRAIN.tagger_pretrain_dim, help="Their dimensions after PCA."),
    lemma_batch_size: int = typer.Option(_TRAIN.lemma_batch_size),
    stages: str = typer.Option("tokenize,pos,lemma,lexicon,refiner", help="Comma-separated stages to (re)train; others are kept. "
                               "lemma-dict rebuilds only the lemmatizer's dictionary (done after lemma anyway); "
                               "lexicon bakes the morphological analyser's lexicon; refiner trains the tag refiner "
                               "on spaCy-tagged TDT train text (both need pip install '.[train]')."),
    seed: int = typer.Option(_TRAIN.seed),
    ftb: str = typer.Option(_TRAIN.ftb, help="FTB in the tagger/lemmatizer data: harmonise (to TDT conventions), drop or raw."),
    tokenizer_tdt_train_text: bool = typer.Option(_TRAIN.tokenizer_tdt_train_text, help="Add the detokenised TDT train documents (Turku NER corpus) to the tokenizer data."),
    tagger_silver: bool = typer.Option(_TRAIN.tagger_silver, help="Add the TDT train documents with spacy-fi-experimental-web-md's UPOS (training-time dependency) to the tagger data."),
    processes: int = typer.Option(_TRAIN.processes, help="Stages trained side by side (one process each)."),
    threads: int = typer.Option(_TRAIN.threads, help="Torch threads per training process."),
    tagger_finetune_steps: int = typer.Option(_TRAIN.tagger_finetune_steps, help="Steps of stage pos-finetune (continues the current tagger)."),
    tagger_finetune_batch: int = typer.Option(_TRAIN.tagger_finetune_batch),
    tagger_finetune_lr: float = typer.Option(_TRAIN.tagger_finetune_lr),
    tagger_finetune_eval: int = typer.Option(_TRAIN.tagger_finetune_eval, help="Holdout check (and best-checkpoint save) every this many steps."),
) -> None:
    """Train the compact Finnish model (tokenize, pos, lemma) from the UD treebanks."""
    from .nlp.train import TrainSettings, train_all

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(processName)s %(name)s: %(message)s")
    settings = TrainSettings(seed=seed, tokenizer_steps=tokenizer_steps, tagger_steps=tagger_steps,
                             lemma_epochs=lemma_epochs, tagger_hidden_dim=tagger_hidden_dim,
                             tagger_char_hidden_dim=tagger_char_hidden_dim, lemma_batch_size=lemma_batch_size,
                             tagger_pretrain_words=tagger_pretrain_words, tagger_pretrain_dim=tagger_pretrain_dim,
                             ftb=ftb, tokenizer_tdt_train_text=tokenizer_tdt_train_text,
                             tagger_silver=tagger_silver, processes=processes, threads=threads,
                             tagger_finetune_steps=tagger_finetune_steps, tagger_finetune_batch=tagger_finetune_batch,
                             tagger_finetune_lr=tagger_finetune_lr, tagger_finetune_eval=tagger_finetune_eval)
    out = train_all(ud_dir, models_dir / "compact", settings, tuple(s.strip() for s in stages.split(",") if s.strip()))
    typer.echo(f"compact model written to {out}")


@models_app.command("download")
def models_download(models_dir: Path = typer.Option(Path("models"))) -> None:
    """Fetch Stanza's official Finnish model into MODELS_DIR/official (needs network)."""
    from .nlp.download import download_official

    typer.echo(f"official model written to {download_official(models_dir)}")


@models_app.command("evaluate")
def models_evaluate(
    conllu: Path = typer.Option(..., help="A CoNLL-U treebank file (its # text lines are the input)."),
    as_json: bool = typer.Option(False, "--json"),
    models_dir: Path = typer.Option(Path("models")),
    model: str = typer.Option("auto"),
    threads: Optional[int] = typer.Option(None),
    lexicon: bool = typer.Option(True, help="Use the full-form lexicon for words the lemmatizer never saw."),
    spacy_model: Optional[str] = typer.Option(None, "--spacy", help="Score this spaCy model instead, the same way "
                                              "(e.g. spacy_fi_experimental_web_md from `pip install '.[bench]'`)."),
) -> None:
    """Score the analyzer with the CoNLL 2018 evaluator: tokens, sentences, words, UPOS, lemmas."""
    from .nlp.analyzer import Analyzer
    from .nlp.conllu_eval import evaluate_conllu, evaluate_spacy

    if not conllu.is_file():
        raise FileNotFoundError(f"no such CoNLL-U file: {conllu}")
    if spacy_model:
        result = evaluate_spacy(spacy_model, conllu)
    else:
        result = evaluate_conllu(Analyzer(models_dir, model, threads, lexicon=lexicon), conllu)
    if as_json:
        typer.echo(json.dumps({k: result[k] for k in ("tokens", "sentences", "words", "upos", "lemmas", "tokens_per_s",
                                                      "load_seconds", "rss_after_load_mb", "model_mb")}))
    else:
        for key in ("model", "file", "tokens", "sentences", "words", "upos", "lemmas", "tokens_per_s", "n_tokens",
                    "load_seconds", "rss_after_load_mb", "model_mb"):
            typer.echo(f"{key:>13}: {result[key]}")


@models_app.command("holdout")
def models_holdout(
    ud_dir: Path = typer.Option(DEFAULT_UD, help="Folder with the UD Finnish treebanks (the recipe's data)."),
    models_dir: Path = typer.Option(Path("models")),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Score the compact model on the training holdout as unseen text: the estimate to tune against.

    The lemma dictionary, the seen tags and the form lexicon are rebuilt without the holdout's
    sentences first; TDT test stays for the final figure only."""
    from .nlp.holdout_eval import evaluate_holdout

    result = evaluate_holdout(ud_dir, models_dir)
    keys = ("tokens", "sentences", "words", "upos", "lemmas", "tokens_per_s", "sentences_scored",
            "holdout_only_forms_removed", "word_list")
    if as_json:
        typer.echo(json.dumps({k: result[k] for k in keys}))
    else:
        for key in ("file",) + keys:
            typer.echo(f"{key:>26}: {result[key]}")


@models_app.command("info")
def models_info(models_dir: Path = typer.Option(Path("models")), model: str = typer.Option("auto"),
                as_json: bool = typer.Option(False, "--json", help="The whole model card as JSON.")) -> None:
    """Which model would be used, and how it was made."""
    from .nlp.analyzer import get_analyzer, model_card

    card = model_card(models_dir, model)
    if as_json:
        typer.echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    folder = Path(card["directory"])
    sizes: dict[str, int] = {}
    for path in sorted(folder.glob("*/*/*")):  # fi/<stage>/<file>: the weights and the lexicon files
        if path.is_file():
            sizes[path.parent.name] = sizes.get(path.parent.name, 0) + path.stat().st_size
    lines = [f"model:      {get_analyzer(models_dir, model).model_name}  (as written to documents.model)",
             f"folder:     {folder}  ({sum(sizes.values()) / 2**20:.1f} MiB: "
             + ", ".join(f"{k} {v / 2**20:.1f}" for k, v in sizes.items()) + ")",
             f"stanza:     {card.get('stanza_version', '?')}"]
    for stage, info in (card.get("stages") or {}).items():
        lines.append(f"{stage + ':':<11} {info.get('device', '?')}, {info.get('seconds', '?')} s"
                     + (f"; {info['note']}" if info.get("note") else ""))
    lines += [f"data:       {d.get('file')} ({d.get('used_for', '')})" for d in card.get("training_data", [])]
    if card.get("excluded"):
        lines.append(f"never used: {card['excluded']}")
    lines.append("more:       python -m pipeline models info --json")
    typer.echo("\n".join(lines))
