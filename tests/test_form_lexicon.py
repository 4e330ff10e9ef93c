"""The form lexicon: the analyser's readings baked at training time, looked up at run time."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.nlp.build_form_lexicon import build_entries, lemma_candidates, minen_lemma, write_trie
from pipeline.nlp.form_lexicon import FormLexicon, decode_entry, encode_entry
from pipeline.nlp.lemmas import case_like_word, compound_lemma_from, lexicon_choice

REPO = Path(__file__).resolve().parents[1]


def test_encode_entry_round_trip_keeps_tag_order_and_lemmas():
    candidates = {"NOUN": ["vuosi", "vuo"], "VERB": ["vuotaa"], "AUX": ["vuotaa"], "ADJ": []}
    value = encode_entry("vuotta", candidates)
    assert value == "NOUN:3si|3;VERB:2aa;AUX:^;ADJ:"
    assert decode_entry("vuotta", value) == {"NOUN": ("vuosi", "vuo"), "VERB": ("vuotaa",),
                                             "AUX": ("vuotaa",), "ADJ": ()}


def test_form_lexicon_lookup_any_case_finds_lower_case_key(tmp_path):
    path = tmp_path / "forms.marisa"
    write_trie({"vuotta": encode_entry("vuotta", {"NOUN": ["vuosi"]})}, path)
    lexicon = FormLexicon(path)
    assert len(lexicon) == 1
    assert lexicon.candidates("Vuotta", "NOUN") == ("vuosi",)
    assert lexicon.candidates("vuotta", "VERB") == ()
    assert lexicon.tags("vuotta") == ("NOUN",) and lexicon.tags("talo") == ()


def test_form_lexicon_in_model_without_lexicon_is_none(tmp_path):
    assert FormLexicon.in_model(tmp_path) is None


def test_lemma_candidates_fourth_infinitive_is_minen_noun():
    # pypykko reads "ottamista" as the verb "ottaa" (+inf4 and +part_ma); TDT: NOUN "ottaminen", VERB "ottaa".
    readings = [("verb", "ottaa", 0.0, "Lexicon", "+part_ma+pl+ela"), ("verb", "ottaa", 0.0, "Lexicon", "+inf4+sg+par")]
    assert lemma_candidates("ottamista", readings, {}) == {"VERB": ["ottaa"], "AUX": ["ottaa"], "NOUN": ["ottaminen"],
                                                           "ADJ": []}


def test_minen_lemma_inflected_forms_give_nominative():
    assert [minen_lemma(w) for w in ("väheneminen", "saapumisen", "selittelemiseen", "talo")] == [
        "väheneminen", "saapuminen", "selitteleminen", None]


def test_lemma_candidates_ties_broken_by_lemma_frequency_and_guesses_dropped():
    readings = [("noun", "strategi", 0.0, "Lexicon", "+sg+par+poss3"), ("noun", "strategia", 0.0, "Lexicon", "+sg+ill"),
                ("verb", "strategiata", 5.0, "Guesser|Any", "+pres+1sg")]
    assert lemma_candidates("strategiaan", readings, {"strategia": 2e-5, "strategi": 1e-7}) == {
        "NOUN": ["strategia", "strategi"]}


def test_lemma_candidates_compound_marks_removed_plain_word_before_compound():
    readings = [("noun", "hyvinvointi|alue", 4.0, "Lexicon|Gfx", "+sg+gen"),
                ("noun", "hyvin|vointi|alue", 0.0, "Lexicon", "+sg+gen"),
                ("adverb", "hyvin", 2.0, "Lexicon|Pfx", "")]
    assert lemma_candidates("hyvinvointialueen", readings, {}) == {"NOUN": ["hyvinvointialue"], "ADV": ["hyvin"]}


def test_build_entries_capitalised_variant_contributes_only_names():
    analysed = [("tukholman", []), ("Tukholman", [("proper", "Tukholma", 0.0, "Lexicon", "+sg+gen"),
                                                   ("noun", "tukholma", 0.0, "Lexicon", "+sg+gen")])]
    entries = build_entries(analysed, {})
    assert decode_entry("tukholman", entries["tukholman"]) == {"PROPN": ("tukholma",)}


@pytest.mark.parametrize("word,lemma,upos,expected", [
    ("WSOY:llä", "wsoy", "PROPN", "WSOY"),                 # an acronym keeps its capitals
    ("CNN:lle", "cnn", "NOUN", "CNN"),
    ("STRATEGIAMME", "strategia", "NOUN", "strategia"),  # capitals without a colon: a heading
    ("Ala-Itävallan", "ala-itävalta", "PROPN", "Ala-Itävalta"),
    ("Strategiaan", "strategia", "NOUN", "strategia"),     # a sentence-initial noun does not
])
def test_case_like_word_capitals_copied_only_for_names_and_acronyms(word, lemma, upos, expected):
    assert case_like_word(word, lemma, upos) == expected


def test_lexicon_choice_full_form_lexicon_wins_only_where_analyser_lists_it():
    assert lexicon_choice("arvomme", "NOUN", ("arvo",), "arvo") == "arvo"
    assert lexicon_choice("askeleet", "NOUN", ("askel",), "askele") == "askel"
    assert lexicon_choice("strategiaan", "NOUN", ("strategia", "strategi"), "strategi") == "strategi"


def test_compound_lemma_from_uses_given_lexicon_for_final_part():
    heads = {"palveluverkkoa": ("palveluverkko",), "verkkoa": ("verkko",)}
    lookup = lambda part, upos: heads.get(part, ())  # noqa: E731
    assert compound_lemma_from("sairaalapalveluverkkoa", "NOUN", lookup) == "sairaalapalveluverkko"
    assert compound_lemma_from("sairaalapalveluverkkoa", "VERB", lookup) is None


@pytest.mark.model
def test_analyzer_corrected_tag_unseen_word_outside_analysers_tags_takes_its_first(tmp_path):
    from pipeline.nlp.analyzer import Analyzer

    path = tmp_path / "forms.marisa"
    write_trie({"seututie": encode_entry("seututie", {"NOUN": ["seututie"]}),
                "kosimaan": encode_entry("kosimaan", {"VERB": ["kosia"], "AUX": ["kosia"]})}, path)
    analyzer = Analyzer(REPO / "models", "compact")
    analyzer._forms = FormLexicon(path)
    analyzer._known = frozenset({"kosimaan"})
    assert analyzer.corrected_tag("seututie", "VERB") == "NOUN"     # unseen, VERB ruled out
    assert analyzer.corrected_tag("seututie", "NOUN") == "NOUN"
    assert analyzer.corrected_tag("kosimaan", "NOUN") == "VERB"     # seen once: the analyser still rules
    assert analyzer.corrected_tag("Seututie", "PROPN") == "PROPN"   # a predicted name is left alone
    assert analyzer.corrected_tag("seututie", "PROPN") == "NOUN"    # unless written in lower case
    assert analyzer.corrected_tag("Kotka", "NOUN") == "NOUN"         # not in the lexicon
    analyzer._seen_tags = {"niin": ("ADV", "SCONJ")}
    assert analyzer.corrected_tag("Niin", "PRON") == "ADV"          # seen twice or more, never PRON
    assert analyzer.corrected_tag("niin", "SCONJ") == "SCONJ"


def test_seen_tags_only_frequent_words_most_frequent_tag_first():
    from pipeline.nlp.traindata import seen_tags

    blocks = ["1\tNiin\tniin\tADV\t_\t_\t0\troot\t_\t_\n2\ttalo\ttalo\tNOUN\t_\t_\t1\tnmod\t_\t_",
              "1\tniin\tniin\tSCONJ\t_\t_\t0\troot\t_\t_\n2\tniin\tniin\tADV\t_\t_\t1\tadvmod\t_\t_"]
    assert seen_tags(blocks, min_count=2) == {"niin": ["ADV", "SCONJ"]}


@pytest.mark.model
def test_analyzer_lemma_for_suspended_compound_halves_drop_the_hyphen():
    from pipeline.nlp.analyzer import Analyzer

    analyzer = Analyzer(REPO / "models", "compact")
    analyzer._known = frozenset({"uutistoimiston"})
    assert analyzer.lemma_for("-uutistoimiston", "-uutistoimisto", "NOUN") == "uutistoimisto"
    assert analyzer.lemma_for("tiedonsiirto-", "tiedonsiirtto", "NOUN") == "tiedonsiirto"
    assert analyzer.lemma_for("Néstos-", "Néstos", "PROPN") == "Néstos"


@pytest.mark.parametrize("word,lemma,upos,expected", [
    ("CNN:lle", "cnn", "PROPN", "CNN"),        # an inflected acronym keeps its capitals
    ("EU:n", "Eu", "PROPN", "EU"),
    ("STRATEGIAMME", "strategia", "NOUN", "strategia"),  # a heading in capitals is no acronym
    ("GCHQ", "gchq", "PROPN", "GCHQ"),        # an uninflected acronym too
    ("VISIO", "visio", "NOUN", "visio"),      # a common noun in capitals stays lower-case
])
def test_clean_lemma_inflected_acronym_keeps_capitals(word, lemma, upos, expected):
    from pipeline.nlp.lemmas import clean_lemma

    assert clean_lemma(word, lemma, upos) == expected


def test_suffix_stems_clitics_and_possessives_stripped_translative_restored():
    from pipeline.nlp.lemmas import suffix_stems

    assert "raunioita" in suffix_stems("raunioitakin")
    assert "keskiajalla" in suffix_stems("keskiajallakaan")
    assert "kyynärpäitä" in suffix_stems("Kyynärpäitäni")
    assert "huviksi" in suffix_stems("huvikseni")
    assert "etnisyydestä" in suffix_stems("etnisyydestään")
    assert suffix_stems("talo") == [] and suffix_stems("kin") == []


def test_clean_lemma_trusted_lexicon_lemma_short_beside_long_form_kept():
    from pipeline.nlp.lemmas import clean_lemma

    assert clean_lemma("taidoillaan", "taito", "NOUN") == "taidoillaan"  # the decoder's: looks degenerate
    assert clean_lemma("taidoillaan", "taito", "NOUN", trusted=True) == "taito"


@pytest.mark.model
def test_analyzer_lemma_for_unknown_form_with_clitic_or_possessive_uses_stem_lemma(tmp_path):
    from pipeline.nlp.analyzer import Analyzer

    path = tmp_path / "forms.marisa"
    write_trie({"raunioita": encode_entry("raunioita", {"NOUN": ["raunio"]}),
                "kyynärpäitä": encode_entry("kyynärpäitä", {"NOUN": ["kyynärpää"]}),
                "kunhan": encode_entry("kunhan", {"SCONJ": ["kunhan"]}),
                "kun": encode_entry("kun", {"ADV": ["kun"]})}, path)
    analyzer = Analyzer(REPO / "models", "compact")
    analyzer.load()
    analyzer._forms = FormLexicon(path)
    analyzer._known = frozenset()  # as if the lemmatizer never saw these words
    assert analyzer.lemma_for("raunioitakin", "raunioitakki", "NOUN") == "raunio"
    assert analyzer.lemma_for("kyynärpäitäni", "kyynärpäitä", "NOUN") == "kyynärpää"
    assert analyzer.lemma_for("Shinhan", "Shinha", "PROPN") == "Shinha"   # a name is not split
    assert analyzer.lemma_for("kunhan", "kunhan", "ADV") == "kunhan"     # a word the analyser knows is not split


@pytest.mark.model
def test_analyzer_lemma_for_verb_not_infinitive_takes_analysers_infinitive(tmp_path):
    from pipeline.nlp.analyzer import Analyzer

    path = tmp_path / "forms.marisa"
    write_trie({"sallittu": encode_entry("sallittu", {"VERB": ["sallia"], "ADJ": ["sallittu"]})}, path)
    analyzer = Analyzer(REPO / "models", "compact")
    analyzer.load()
    analyzer._forms = FormLexicon(path)
    analyzer._known = frozenset({"sallittu"})
    assert analyzer.lemma_for("sallittu", "sallittu", "VERB") == "sallia"
    assert analyzer.lemma_for("sallittu", "sallittu", "ADJ") == "sallittu"


def test_hyphen_compound_lemma_final_part_lemmatized_head_as_written_for_acronyms():
    from pipeline.nlp.lemmas import hyphen_compound_lemma

    lexicon = {"rahoituksella": ("rahoitus",), "kisojen": ("kisa",), "uudistuksen": ("uudistus",),
               "julkaisuita": ("julkaisu",), "aikaisia": ("aikainen",)}
    lemmas_of = lambda part, upos: lexicon.get(part, ())  # noqa: E731
    assert hyphen_compound_lemma("EU-rahoituksella", "NOUN", lemmas_of) == "EU-rahoitus"
    assert hyphen_compound_lemma("MM-kisojen", "NOUN", lemmas_of) == "MM-kisa"
    assert hyphen_compound_lemma("Sote-uudistuksen", "NOUN", lemmas_of) == "sote-uudistus"  # sentence-initial
    assert hyphen_compound_lemma("Facebook-julkaisuita", "NOUN", lemmas_of, keep_head_case=True) == "Facebook-julkaisu"
    assert hyphen_compound_lemma("oikea-aikaisia", "ADJ", lemmas_of) == "oikea-aikainen"
    assert hyphen_compound_lemma("Keski-Suomen", "PROPN", lemmas_of) is None       # names are left to the model
    assert hyphen_compound_lemma("sote-tuntematonta", "NOUN", lemmas_of) is None   # final part unknown
    assert hyphen_compound_lemma("-rahoituksella", "NOUN", lemmas_of) is None      # a suspended compound's half


@pytest.mark.model
def test_analyzer_lemma_for_hyphenated_compound_keeps_hyphen_over_dictionary_lemma(tmp_path):
    from pipeline.nlp.analyzer import Analyzer

    path = tmp_path / "forms.marisa"
    write_trie({"julkaisuita": encode_entry("julkaisuita", {"NOUN": ["julkaisu"]}),
                "rahoituksella": encode_entry("rahoituksella", {"NOUN": ["rahoitus"]})}, path)
    analyzer = Analyzer(REPO / "models", "compact")
    analyzer.load()
    analyzer._forms = FormLexicon(path)
    # The lemmatizer learned TDT's lemmas, which drop the hyphen of a hyphenated compound.
    assert analyzer.lemma_for("Facebook-julkaisuita", "Facebookjulkaisu", "NOUN") == "Facebook-julkaisu"
    assert analyzer.lemma_for("EU-rahoituksella", "eu-rahoituksi", "NOUN") == "EU-rahoitus"


def test_locate_model_fingerprint_follows_lexicon_files_not_the_card(tmp_path):
    from pipeline.nlp.analyzer import locate_model

    model = tmp_path / "compact"
    (model / "fi" / "pos").mkdir(parents=True)
    (model / "fi" / "lexicon").mkdir()
    (model / "resources.json").write_text("{}")
    (model / "fi" / "pos" / "compact.pt").write_bytes(b"weights")
    (model / "fi" / "lexicon" / "seen_tags.json").write_text('{"format": 1, "tags": {}}')
    first = locate_model(tmp_path, "compact").fingerprint
    (model / "MODEL_CARD.json").write_text('{"note": "edited"}')
    assert locate_model(tmp_path, "compact").fingerprint == first
    (model / "fi" / "lexicon" / "seen_tags.json").write_text('{"format": 1, "tags": {"niin": ["ADV"]}}')
    assert locate_model(tmp_path, "compact").fingerprint != first


def _conllu(sentences: list[list[tuple[str, str, str]]]) -> str:
    blocks = []
    for words in sentences:
        rows = [f"{i}\t{w}\t{lemma}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_"
                for i, (w, lemma, upos) in enumerate(words, 1)]
        blocks.append(f"# text = {' '.join(w for w, _, _ in words)}\n" + "\n".join(rows))
    return "\n\n".join(blocks) + "\n\n"


def _tiny_ud(root: Path) -> None:
    from pipeline.nlp.prepare import FTB_FILES, TDT_CONVENTION_FILES

    seen = [("Talo", "talo", "NOUN"), ("on", "olla", "AUX"), ("iso", "iso", "ADJ"), (".", ".", "PUNCT")]
    held = [("Kissa", "kissa", "NOUN"), ("juoksee", "juosta", "VERB"), ("pihalla", "piha", "NOUN"), (".", ".", "PUNCT")]
    for rel in TDT_CONVENTION_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_conllu([seen, held]), encoding="utf-8")  # every 2nd sentence is held out
    for rel in FTB_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_conllu([seen]), encoding="utf-8")


def test_holdout_only_forms_without_word_list_are_all_holdout_forms_not_trained_on(tmp_path, monkeypatch):
    import sys

    from pipeline.nlp import traindata as td
    from pipeline.nlp.holdout_eval import _holdout_only_forms
    from pipeline.nlp.prepare import FTB_FILES, TDT_CONVENTION_FILES, _split_conllu, blocks_of

    _tiny_ud(tmp_path)
    train, hold = _split_conllu(tmp_path / TDT_CONVENTION_FILES[0], 2)
    ftb = blocks_of(tmp_path / FTB_FILES[0])
    monkeypatch.setitem(sys.modules, "wordfreq", None)  # import fails: the pessimistic variant
    removed, note = _holdout_only_forms(train, ftb, hold, tmp_path)
    assert removed == {"kissa", "juoksee", "pihalla"} and "pessimistic" in note
    assert {cols[1] for b in train for cols in td.word_rows(b)} == {"Talo", "on", "iso", "."}


@pytest.mark.model
def test_evaluate_holdout_tiny_treebank_scores_held_sentences_and_drops_their_forms(tmp_path, monkeypatch):
    import sys

    from pipeline.nlp.holdout_eval import evaluate_holdout

    _tiny_ud(tmp_path)
    monkeypatch.setitem(sys.modules, "wordfreq", None)
    result = evaluate_holdout(tmp_path, REPO / "models", holdout_every=2)
    assert result["sentences_scored"] == 3  # one held sentence from each TDT-convention file
    assert result["holdout_only_forms_removed"] == 3  # kissa, juoksee, pihalla: in no training sentence
    assert 0.0 <= result["lemmas"] <= 1.0 and 0.0 <= result["upos"] <= 1.0


def test_evaluate_holdout_missing_treebanks_names_the_files(tmp_path):
    from pipeline.nlp.holdout_eval import evaluate_holdout

    with pytest.raises(FileNotFoundError, match="treebank files missing under .*fi_tdt-ud-dev.conllu"):
        evaluate_holdout(tmp_path, REPO / "models")


def test_analyzer_pretrain_option_only_when_model_has_vectors(tmp_path):
    from pipeline.nlp.analyzer import Analyzer

    compact = tmp_path / "compact"
    (compact / "fi" / "pos").mkdir(parents=True)
    (compact / "resources.json").write_text("{}", encoding="utf-8")
    (compact / "fi" / "pos" / "compact.pt").write_bytes(b"tagger")
    assert Analyzer(tmp_path, "compact")._pretrain_option() == {}
    (compact / "fi" / "pretrain").mkdir()
    (compact / "fi" / "pretrain" / "compact.pt").write_bytes(b"vectors")
    assert Analyzer(tmp_path, "compact")._pretrain_option() == {
        "pos_pretrain_path": str(compact / "fi" / "pretrain" / "compact.pt")}
