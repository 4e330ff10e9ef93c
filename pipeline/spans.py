"""Word overlap between two statements: the corpus's notion of "the same statement".

Shared by the evaluation (matching a prediction to gold) and the extractor
(a statement stated twice is kept once), so neither imports the other.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter


def words(text: str) -> list[str]:
    """Lower-cased word tokens (`\\w+`) of the NFC text."""
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def span_f1(pred: str, gold: str) -> float:
    """Bag-of-words F1 between two texts (0 when they share no word)."""
    p, g = Counter(words(pred)), Counter(words(gold))
    common = sum((p & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)
