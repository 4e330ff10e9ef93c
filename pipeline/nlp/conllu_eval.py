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


def to_conllu(analyses) -> str:
    """CoNLL-U of the analyzer's output, exactly as the pipeline uses it (one word per token)."""
    out = io.StringIO()
    for analysis in analyses:
        toks = analysis.tokens
        for sent in analysis.sentences:
            for n, tok in enumerate(toks[sent.first_token:sent.last_token], 1):
                nxt = tok.index + 1
                glued = nxt < len(toks) and toks[nxt].start == tok.end
                misc = "SpaceAfter=No" if glued else "_"
                head, rel = (0, "root") if n == 1 else (1, "dep")
                lemma = tok.lemma.replace("#", "") or "_"
                out.write(f"{n}\t{tok.text}\t{lemma}\t{tok.upos}\t_\t_\t{head}\t{rel}\t_\t{misc}\n")
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


def spacy_conllu(docs) -> str:
    """CoNLL-U of spaCy documents, written the way `to_conllu` writes the analyzer's."""
    out = io.StringIO()
    for doc in docs:
        for sent in doc.sents:
            words = [t for t in sent if not t.is_space]
            for n, tok in enumerate(words, 1):
                misc = "_" if tok.whitespace_ or tok.i + 1 >= len(doc) or doc[tok.i + 1].is_space else "SpaceAfter=No"
                head, rel = (0, "root") if n == 1 else (1, "dep")
                out.write(f"{n}\t{tok.text}\t{tok.lemma_ or '_'}\t{tok.pos_ or 'X'}\t_\t_\t{head}\t{rel}\t_\t{misc}\n")
            if words:
                out.write("\n")
    return out.getvalue()


def _score(conllu_path: Path, system_conllu: str) -> dict:
    from udtools import udeval

    with tempfile.TemporaryDirectory() as tmp:
        gold_path, sys_path = Path(tmp) / "gold.conllu", Path(tmp) / "system.conllu"
        gold_path.write_text(_strip_hash(conllu_path.read_text(encoding="utf-8")), encoding="utf-8")
        sys_path.write_text(system_conllu, encoding="utf-8")
        return udeval.evaluate(udeval.load_conllu_file(str(gold_path)), udeval.load_conllu_file(str(sys_path)))


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6, 1)


def evaluate_spacy(model_name: str, conllu_path: Path) -> dict:
    """spaCy's Finnish model (the reference a user could install instead) measured exactly as the analyzer is."""
    import spacy

    texts = raw_documents(conllu_path)
    loading = time.perf_counter()
    nlp = spacy.load(model_name)
    list(nlp.pipe(texts[:1]))  # first call: lazy initialisation, like the analyzer's load
    load_seconds = time.perf_counter() - loading
    rss = _rss_mb()
    started = time.perf_counter()
    docs = list(nlp.pipe(texts))
    seconds = time.perf_counter() - started
    n_tokens = sum(1 for d in docs for t in d if not t.is_space)
    result = _score(conllu_path, spacy_conllu(docs))
    return {**_scores(result), "tokens_per_s": round(n_tokens / seconds, 1) if seconds else None,
            "n_tokens": n_tokens, "seconds": round(seconds, 2),
            "load_seconds": round(load_seconds, 2), "rss_after_load_mb": rss,
            "model_mb": _folder_mb(spacy.util.get_package_path(model_name)),
            "model": f"{model_name} {getattr(nlp, 'meta', {}).get('version', '')} ({'+'.join(nlp.pipe_names)})",
            "file": str(conllu_path)}


def _scores(result) -> dict:
    return {key: round(result[name].f1, 4) for key, name in
            (("tokens", "Tokens"), ("sentences", "Sentences"), ("words", "Words"), ("upos", "UPOS"),
             ("lemmas", "Lemmas"))}


def evaluate_conllu(analyzer: Analyzer, conllu_path: Path) -> dict:
    texts = raw_documents(conllu_path)
    loading = time.perf_counter()
    analyzer.load()  # loading the model and the lexicon is not analysis: tokens/s excludes it
    load_seconds = time.perf_counter() - loading
    rss = _rss_mb()
    started = time.perf_counter()
    analyses = analyzer.analyze_many([(f"doc{i}", t) for i, t in enumerate(texts)])
    seconds = time.perf_counter() - started
    n_tokens = sum(len(a.tokens) for a in analyses)
    result = _score(conllu_path, to_conllu(analyses))
    return {
        **_scores(result),
        "tokens_per_s": round(n_tokens / seconds, 1) if seconds else None,
        "n_tokens": n_tokens,
        "seconds": round(seconds, 2),
        # Load: building the Stanza pipeline (importing Stanza and torch included) and the lexicons;
        # resident memory of the whole process after it.
        "load_seconds": round(load_seconds, 2),
        "rss_after_load_mb": rss,
        "model_mb": _folder_mb(analyzer.model.directory),
        "model": analyzer.model_name,
        "file": str(conllu_path),
    }
