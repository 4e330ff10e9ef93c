"""simplemma's Finnish full-form dictionary, read from a trie cached on this machine.

simplemma's low-memory backend indexes its 3.5 million Finnish entries again in every
process on first use: about 2.6 s of CPU and 55 MB here, paid by every run, every worker
and every test that loads the analyzer.  simplemma's trie backend holds the same entries
as a MARISA trie that it caches in the user's cache folder: built once (about 8 s, with a
700 MB peak while simplemma's plain dictionary is in memory) and then loaded in 0.1 s
(18 MB).  The lookups are simplemma's own (`DictionaryLookupStrategy.get_lemma`), so the
lemmas are the ones the low-memory backend gives (a test compares them).

The cache is made here from the installed simplemma, in simplemma's own cache location,
never shipped: its data keeps simplemma's licences (ODbL, CC BY-SA).  It is written to a
temporary name and renamed, so a process never reads a half-written trie; the build runs
in a child process, so a run that has to build it does not keep that heap.  Where the cache
cannot be written, lookups use the low-memory backend as before (a warning says why).
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

log = logging.getLogger("pipeline.nlp")

LANG = "fi"
BUILD_TIMEOUT_S = 600
# The child process runs this module by name: under `python -m pipeline.nlp.fullform` (make install)
# `__name__` is "__main__", which a second `python -m` cannot find.
MODULE = "pipeline.nlp.fullform"


def cache_path() -> Path:
    """Where simplemma's trie backend keeps its Finnish trie (its default location, per version)."""
    from platformdirs import user_cache_dir
    from simplemma.__metadata__ import __version__

    return Path(user_cache_dir("simplemma")) / "marisa_trie" / __version__ / f"{LANG}.dic"


def build_cache(target: Path) -> None:
    """Build the trie with simplemma's trie backend and move it into place (this process)."""
    from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as scratch:
        TrieDictionaryFactory(disk_cache_dir=scratch).get_dictionary(LANG)  # writes scratch/fi.dic
        os.replace(Path(scratch) / f"{LANG}.dic", target)


def ensure_cache(target: Path | None = None) -> Path | None:
    """The trie's path, built first (in a child process) if missing; None if it cannot be built."""
    target = target or cache_path()
    if target.is_file():
        return target
    log.info("building simplemma's Finnish dictionary cache once (about 10 s): %s", target)
    try:
        done = subprocess.run([sys.executable, "-m", MODULE, str(target)], capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S)
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    except (OSError, subprocess.TimeoutExpired) as err:
        reason = str(err)
    if target.is_file():
        return target
    log.warning("cannot build simplemma's dictionary cache in %s (%s); using its slower in-memory index",
                target.parent, reason[:200])
    return None


@lru_cache(maxsize=1)
def lemma_lookup() -> Callable[[str], str | None]:
    """`form -> lemma or None`: simplemma's Finnish dictionary entry for a form (no guessing)."""
    from simplemma.strategies import DictionaryLookupStrategy
    from simplemma.utils import normalize_token

    path = ensure_cache()
    if path is not None:
        from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory

        strategy = DictionaryLookupStrategy(TrieDictionaryFactory(disk_cache_dir=str(path.parent)))
    else:
        from simplemma.strategies.dictionaries import LOW_MEMORY_DICTIONARY_FACTORY

        strategy = DictionaryLookupStrategy(LOW_MEMORY_DICTIONARY_FACTORY)

    def lookup(form: str) -> str | None:
        # What simplemma.is_known/lemmatize do for a form their dictionary lists.
        return strategy.get_lemma(normalize_token(form), LANG)

    return lookup


if __name__ == "__main__":
    if len(sys.argv) > 1:  # the child process of ensure_cache: python -m pipeline.nlp.fullform TARGET
        build_cache(Path(sys.argv[1]))
    else:  # `make install`: build the cache now if missing, so that no run pays for it
        # Not fatal when it cannot be built: lookups fall back to the in-memory index (the warning
        # above says why), and the installation must still finish.
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        ensure_cache()
