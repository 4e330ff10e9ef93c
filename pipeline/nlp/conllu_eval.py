"""`models evaluate`: the analyzer on a treebank's raw text, scored by the CoNLL 2018 evaluator."""
from __future__ import annotations

import io
import re
import tempfile
import time
from pathlib import Path

from .analyzer import Analyzer


def raw_documents(conllu_path: Path) -> list[str]:
    """The raw text of a CoNLL-U file from its `# text` lines.

    `# newdoc` starts a new document and `# newpar` a new paragraph (a blank
    line); sentences of a paragraph are joined by a space.  A file with neither
    (TDT test) is one paragraph.
    """
    docs: list[list[list[str]]] = [[[]]]
    for line in conllu_path.read_text(encoding="utf-8").splitlines():
        if re.match(r"#\s*newdoc", line) and any(p for p in docs[-1] if p):
            docs.append([[]])
        elif re.match(r"#\s*newpar", line) and docs[-1][-1]:
            docs[-1].append([])
        elif m := re.match(r"#\s*text\s*=\s?(.*)$", line):
            docs[-1][-1].append(m.group(1).strip())
    return ["\n\n".join(" ".join(p) for p in doc if p) for doc in docs if any(doc)]


def to_conllu(stanza_docs, lemma_for=None) -> str:
    """CoNLL-U of the system output: one word per token, lemmas as the analyzer gives them."""
    out = io.StringIO()
    for sdoc in stanza_docs:
        for sent in sdoc.sentences:
            words = sent.words
            for i, w in enumerate(words, 1):
                lemma = lemma_for(w.text, w.lemma, w.upos or "X") if lemma_for else (w.lemma or w.text)
                lemma = lemma.replace("#", "") or "_"
                head = 0 if i == 1 else 1
                rel = "root" if i == 1 else "dep"
                misc = "_"
                tok = w.parent
                if tok is not None and tok.words[-1] is w and tok.spaces_after == "":
                    misc = "SpaceAfter=No"
                out.write(f"{i}\t{w.text}\t{lemma}\t{w.upos or '_'}\t_\t_\t{head}\t{rel}\t_\t{misc}\n")
            out.write("\n")
    return out.getvalue()


def _strip_hash(conllu_text: str) -> str:
    lines = []
    for line in conllu_text.splitlines():
        cols = line.split("\t")
        if len(cols) == 10 and cols[2] != "#":
            cols[2] = cols[2].replace("#", "") or "_"
            line = "\t".join(cols)
        lines.append(line)
    return "\n".join(lines) + "\n"


def evaluate_conllu(analyzer: Analyzer, conllu_path: Path) -> dict:
    from udtools import udeval

    texts = raw_documents(conllu_path)
    started = time.perf_counter()
    sdocs = analyzer.stanza_documents(texts)
    seconds = time.perf_counter() - started
    n_tokens = sum(len(s.tokens) for d in sdocs for s in d.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        gold_path, sys_path = Path(tmp) / "gold.conllu", Path(tmp) / "system.conllu"
        gold_path.write_text(_strip_hash(conllu_path.read_text(encoding="utf-8")), encoding="utf-8")
        sys_path.write_text(to_conllu(sdocs, analyzer.lemma_for), encoding="utf-8")
        result = udeval.evaluate(udeval.load_conllu_file(str(gold_path)), udeval.load_conllu_file(str(sys_path)))
    return {
        "tokens": round(result["Tokens"].f1, 4),
        "sentences": round(result["Sentences"].f1, 4),
        "words": round(result["Words"].f1, 4),
        "upos": round(result["UPOS"].f1, 4),
        "lemmas": round(result["Lemmas"].f1, 4),
        "tokens_per_s": round(n_tokens / seconds, 1) if seconds else None,
        "n_tokens": n_tokens,
        "seconds": round(seconds, 2),
        "model": analyzer.model_name,
        "file": str(conllu_path),
    }
