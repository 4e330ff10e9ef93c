"""simplemma's Finnish dictionary through its cached trie: the same lemmas, and a clear fallback."""
from __future__ import annotations

import logging

import pytest
import simplemma

from pipeline.nlp import fullform

WORDS = ["strategiaan", "hyvinvointialueen", "arvomme", "vuotta", "Helsingin", "asukkaille", "palveluja",
         "yhdenvertaisuuteen", "oikeudenmukaisuuteen", "luottamus", "Kunnat", "xyzzyä", "EU:n", "ja"]


def _low_memory(form: str) -> str | None:
    if simplemma.is_known(form, lang="fi", low_memory=True):
        return simplemma.lemmatize(form, lang="fi", low_memory=True)
    return None


def test_fullform_lemma_lookup_gives_simplemma_low_memory_backends_lemmas():
    lookup = fullform.lemma_lookup()
    assert [lookup(w) for w in WORDS] == [_low_memory(w) for w in WORDS]
    assert lookup("strategiaan") == "strategia" and lookup("xyzzyä") is None


def test_fullform_ensure_cache_existing_file_used_without_building(tmp_path, monkeypatch):
    target = tmp_path / "fi.dic"
    target.write_bytes(b"trie")
    monkeypatch.setattr(fullform.subprocess, "run", lambda *a, **k: pytest.fail("must not build"))
    assert fullform.ensure_cache(target) == target


def test_fullform_ensure_cache_unwritable_folder_warns_in_one_line_and_returns_none(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="pipeline.nlp"):
        assert fullform.ensure_cache(blocker / "cache" / "fi.dic") is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "slower in-memory index" in warnings[0] and "\n" not in warnings[0]


@pytest.mark.slow
def test_fullform_install_command_missing_cache_builds_trie_in_users_cache_folder(tmp_path):
    # What `make install` runs on a fresh machine: the module as a script, which builds the trie
    # in a child process of its own (the cache folder comes from XDG_CACHE_HOME, as platformdirs reads it).
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "pipeline.nlp.fullform"], env=env, capture_output=True,
                          text=True, timeout=fullform.BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    built = list(tmp_path.glob("simplemma/marisa_trie/*/fi.dic"))
    assert len(built) == 1 and built[0].stat().st_size > 1_000_000, done.stderr
    assert "slower in-memory index" not in done.stderr
