"""Command line: `python -m pipeline …`.

Expected failures (`PipelineError`) print one line and exit non-zero; no traceback.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import PipelineError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Finnish wellbeing-county strategy extraction.")
models_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Train, fetch, inspect and evaluate the Finnish NLP model.")
app.add_typer(models_app, name="models")

DEFAULT_UD = Path("../shared/ud")


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(processName)s %(name)s: %(message)s")


@models_app.command("train")
def models_train(
    ud_dir: Path = typer.Option(DEFAULT_UD, help="Folder with the UD Finnish treebanks (TDT, FTB, OOD)."),
    models_dir: Path = typer.Option(Path("models"), help="Where models live; writes MODELS_DIR/compact."),
    tokenizer_steps: int = typer.Option(4000),
    tagger_steps: int = typer.Option(400),
    lemma_epochs: int = typer.Option(20),
    stages: str = typer.Option("tokenize,pos,lemma", help="Comma-separated stages to (re)train; others are kept."),
    seed: int = typer.Option(1234),
) -> None:
    """Train the compact Finnish model (tokenize, pos, lemma) from the UD treebanks."""
    from .nlp.train import TrainSettings, train_all

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(processName)s %(name)s: %(message)s")
    settings = TrainSettings(seed=seed, tokenizer_steps=tokenizer_steps, tagger_steps=tagger_steps,
                             lemma_epochs=lemma_epochs)
    out = train_all(ud_dir, models_dir / "compact", settings, tuple(s.strip() for s in stages.split(",") if s.strip()))
    typer.echo(f"compact model written to {out}")


def main() -> None:
    try:
        app(standalone_mode=False)
    except PipelineError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except FileNotFoundError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as err:  # typer's own exits keep their code
        raise
    except Exception as err:  # click usage errors
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
