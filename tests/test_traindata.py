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
