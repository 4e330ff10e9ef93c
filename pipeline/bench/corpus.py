"""The benchmark's corpus: texts at hand, cycled to N documents that all differ (no timing here).

Every raw file is read through `pipeline.ingest`, the one reader of raw files, so the
benchmark sees the same decoded, normalized text the pipeline does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .. import ingest

DEFAULT_SOURCES = (Path("raw_texts"), Path("../shared/corpus/dev"))


@dataclass(frozen=True)
class SourceText:
    name: str  # file stem
    text: str


def source_texts(dirs: Iterable[Path | str] = DEFAULT_SOURCES) -> list[SourceText]:
    """Every readable text in `dirs` that exist (missing folders are skipped), identical texts once.

    Whatever its language: a non-Finnish file stays in the corpus, where the pipeline under
    test skips it as it would in production.  Unreadable or empty files are left out.
    Ordered by folder, then document id, so the corpus built from them is deterministic.
    """
    dirs = list(dirs)
    seen: set[str] = set()
    out: list[SourceText] = []
    for folder in dirs:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for src in ingest.discover(folder):
            doc = ingest.read_document(src, check_language=False)
            text = doc.text
            if doc.status != "ok" or not text or not text.strip() or text in seen:
                continue
            seen.add(text)
            # doc_id keeps sub-folders ("a/b"); the corpus is flat, so only the file stem names it
            out.append(SourceText(Path(src.doc_id).name, text))
    if not out:
        raise FileNotFoundError(f"no .txt files to build a benchmark corpus from in {', '.join(map(str, dirs))}")
    return out


def variant(text: str, i: int) -> str:
    """Copy `i` of a text: a short numbered sentence at the end makes its hash unique."""
    return f"{text.rstrip()}\n\nKopio numero {i + 1}.\n"


def build_corpus(texts: Sequence[SourceText], n: int, dest: Path | str) -> list[Path]:
    """Write N documents into `dest` (created; must not hold other .txt files): texts cycled, each varied."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(n)))
    paths = []
    for i in range(n):
        src = texts[i % len(texts)]
        path = dest / f"{i:0{width}d}_{src.name}.txt"
        path.write_text(variant(src.text, i), encoding="utf-8")
        paths.append(path)
    return paths


def finnish_texts(raw_dir: Path | str) -> list[str]:
    """The texts the pipeline would analyze (status ok), read exactly as it reads them, in doc_id order."""
    docs = [ingest.read_document(src) for src in ingest.discover(Path(raw_dir))]
    return [d.text for d in docs if d.status == "ok" and d.text and d.text.strip()]
