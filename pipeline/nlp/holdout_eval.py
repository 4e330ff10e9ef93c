"""An honest estimate on the training holdout: the analyzer scored as if the holdout were unseen text.

The shipped lemma dictionary, seen tags and form lexicon are built from every non-test sentence,
the holdout (every `holdout_every`th sentence of TDT dev, OOD and PUD) included, so scoring the
holdout with them measures memory, not generalisation.  `evaluate_holdout` rebuilds all three
without the holdout, as the recipe would from the other sentences only, and scores the analyzer
on the holdout's text, the way `evaluate_conllu` scores TDT test.  The seq2seq lemmatizer and the
tagger were already trained without the holdout (it is their early-stopping set).

Lexicon entries are removed for forms that occur in the holdout but in no other training sentence
and not in the TDT train documents' tokens.  Without wordfreq (the `train` extra), forms the word
list also has are removed too, which makes the estimate pessimistic; the result says which.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .analyzer import Analyzer
from .conllu_eval import evaluate_conllu
from .form_lexicon import FormLexicon
from .prepare import FTB_FILES, TDT_CONVENTION_FILES, TDT_TRAIN_TOKENS, _split_conllu, blocks_of


def _holdout_only_forms(train: list[str], ftb: list[str], hold: list[str], ud_root: Path) -> tuple[set[str], str]:
    from . import traindata as td

    elsewhere = {cols[1].lower() for block in train + ftb for cols in td.word_rows(block)}
    elsewhere |= {token.lower() for token in td.ner_tokens(ud_root / TDT_TRAIN_TOKENS)}
    word_list = "wordfreq's Finnish list kept"
    try:
        import wordfreq

        elsewhere |= set(wordfreq.get_frequency_dict("fi", wordlist="large"))
    except ImportError:
        word_list = "wordfreq not installed: every holdout-only form removed (pessimistic)"
    return {cols[1].lower() for block in hold for cols in td.word_rows(block)} - elsewhere, word_list


def evaluate_holdout(ud_root: Path, models_dir: Path | str = "models", holdout_every: int = 20) -> dict:
    import marisa_trie

    from . import traindata as td

    missing = [rel for rel in TDT_CONVENTION_FILES + FTB_FILES if not (ud_root / rel).is_file()]
    if missing:
        raise FileNotFoundError(f"treebank files missing under {ud_root}: {', '.join(missing)} "
                                "(--ud-dir: the folder the training recipe reads)")
    train, hold = [], []
    for rel in TDT_CONVENTION_FILES:
        part_train, part_hold = _split_conllu(ud_root / rel, holdout_every)
        train += part_train
        hold += part_hold
    train = [td.strip_compound_marks(block) for block in train]
    ftb, _ = td.harmonise_ftb([b for rel in FTB_FILES for b in blocks_of(ud_root / rel)], td.Reference(train))
    analyzer = Analyzer(models_dir, "compact", lexicon=True)
    lemma_dictionary = td.build_lemma_dict([list(td.triples(train)), list(td.triples(ftb))])
    seen_tags = {form: tuple(tags) for form, tags in td.seen_tags(train).items()}
    removed, word_list = _holdout_only_forms(train, ftb, hold, ud_root)
    analyzer.load()
    with tempfile.TemporaryDirectory() as tmp:
        forms = analyzer.form_lexicon
        if forms is not None:
            path = Path(tmp) / "forms.marisa"
            marisa_trie.BytesTrie([(key, value) for key, value in forms.items() if key not in removed]).save(str(path))
            forms = FormLexicon(path)
        analyzer.use_training_data(lemma_dictionary, seen_tags, forms)
        conllu = Path(tmp) / "holdout.conllu"
        conllu.write_text("\n\n".join(("# newdoc\n# newpar\n" + b) if i == 0 else b for i, b in enumerate(hold))
                          + "\n\n", encoding="utf-8")
        result = evaluate_conllu(analyzer, conllu)
    return {**result, "file": f"holdout: every {holdout_every}th sentence of {', '.join(TDT_CONVENTION_FILES)}",
            "sentences_scored": len(hold), "holdout_only_forms_removed": len(removed), "word_list": word_list}
