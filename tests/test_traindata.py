"""Training-data rules of the compact model's recipe (pure Python, no model needed)."""
from pipeline.nlp import traindata as td


def _block(rows):
    return "\n".join("\t".join([str(i), w, lemma, u, "_", "_", "0", "root", "_", "_"]) for i, (w, lemma, u) in enumerate(rows, 1))


REF = td.Reference([
    _block([("Ne", "se", "PRON"), ("sitä", "se", "PRON"), ("sitä", "se", "PRON"), ("tässä", "tämä", "PRON")]),
    _block([("tässä", "tämä", "PRON"), ("tässä", "tämä", "PRON"), ("paremmin", "hyvin", "ADV"),
            ("paremmin", "hyvin", "ADV"), ("eri", "eri", "ADJ")]),
])


def test_harmonise_ftb_conventions():
    block = _block([("Helsingin", "helsinki", "PROPN"), ("ne", "ne", "PRON"), ("nämä", "nämä", "DET"),
                    ("eri", "eri", "DET"), ("sitä", "sitä", "PART"), ("kai", "kai", "PART"),
                    ("tässä", "tässä", "ADV"), ("paremmin", "paremmin", "ADV")])
    (out,), stats = td.harmonise_ftb([block], REF)
    rows = [(c[1], c[2], c[3]) for c in td.word_rows(out)]
    assert rows == [("Helsingin", "Helsinki", "PROPN"), ("ne", "se", "PRON"), ("nämä", "tämä", "PRON"),
                    ("eri", "eri", "ADJ"), ("sitä", "se", "PRON"), ("kai", "kai", "ADV"),
                    ("tässä", "tämä", "PRON"), ("paremmin", "hyvin", "ADV")]
    assert stats["retag DET->PRON"] == 1 and stats["retag PART->ADV"] == 1


def test_strip_compound_marks():
    out = td.strip_compound_marks(_block([("hyvinvointialueen", "hyvinvointi#alue", "NOUN"), ("#", "#", "SYM")]))
    assert [c[2] for c in td.word_rows(out)] == ["hyvinvointialue", "#"]


def test_detokenise():
    tokens = ["Hän", "sanoi", '"', "kyllä", '"', "(", "ehkä", ")", ",", "ja", "lähti", "."]
    spaces = td.detokenise(tokens)
    text = "".join(t + (" " if s else "") for t, s in zip(tokens, spaces)).strip()
    assert text == 'Hän sanoi "kyllä" (ehkä), ja lähti.'


def test_ner_documents_to_conllu():
    docs = td.read_ner_documents("-DOCSTART-\tO\n\nOtsikko\tO\n\nTeksti\tO\nalkaa\tO\n.\tO\n\n-DOCSTART-\tO\n\nToinen\tO\n")
    assert docs == [[["Otsikko"], ["Teksti", "alkaa", "."]], [["Toinen"]]]
    blocks = td.document_to_conllu("d0", docs[0])
    assert blocks[0].startswith("# newdoc id = d0\n# newpar\n# text = Otsikko")
    assert "2\talkaa\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No" in blocks[1]


def test_lemma_dict_tiers():
    tdt = [("ne", "PRON", "se"), ("ne", "PRON", "se"), ("talo", "NOUN", "talo")]
    ftb = [("ne", "PRON", "ne"), ("ne", "PRON", "ne"), ("ne", "PRON", "ne"), ("kissa", "NOUN", "kissa"),
           ("talo", "PROPN", "Talo")]
    d = td.build_lemma_dict([tdt, ftb])
    assert d["*"] == {"kissa": "kissa", "ne": "se", "talo": "talo"}
    assert d["PROPN"] == {"talo": "Talo"}


def test_pretrain_vocabulary_treebank_forms_first_whitespace_dropped_size_capped():
    from pipeline.nlp.build_pretrain import vocabulary

    words = vocabulary(["talo", "talo", "on"], ["Helsinki", "on", "a b"], ["ja", "talo", "on"], size=4)
    assert words == ["talo", "on", "Helsinki", "ja"]  # talo 11, on 7: treebank forms weigh 5 per occurrence
    assert "a b" not in vocabulary([], ["a b"], [], size=10)


def test_pretrain_reduce_dimensions_deterministic_unit_scale():
    import numpy as np

    from pipeline.nlp.build_pretrain import reduce_dimensions

    vectors = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    first, again = reduce_dimensions(vectors, 3), reduce_dimensions(vectors, 3)
    assert first.shape == (50, 3) and first.dtype == np.float32
    assert np.array_equal(first, again)
    assert abs(float(first.std()) - 1.0) < 1e-5


def test_train_tagger_with_pretrain_file_passes_it_to_stanza(monkeypatch, tmp_path):
    from stanza.models import tagger

    from pipeline.nlp.train import TrainSettings, train_tagger

    seen: list[list[str]] = []
    monkeypatch.setattr(tagger, "main", lambda args: seen.append(args))
    files = {"train": {"upos": tmp_path / "t.conllu"}, "dev": {"upos": tmp_path / "d.conllu"}}
    train_tagger(files, tmp_path / "pos.pt", TrainSettings())
    train_tagger({**files, "tagger_pretrain": tmp_path / "pre.pt"}, tmp_path / "pos.pt", TrainSettings())
    assert "--no_pretrain" in seen[0] and "--wordvec_pretrain_file" not in seen[0]
    assert seen[1][seen[1].index("--wordvec_pretrain_file") + 1] == str(tmp_path / "pre.pt")
    assert "--no_pretrain" not in seen[1]
