"""Settings shared by several modules, defined once so that they cannot drift apart."""
from __future__ import annotations

import os

# Larger files are rejected unread (`--max-bytes` raises the limit): a strategy text is a
# few hundred kB at most, and a bigger .txt is nearly always a dump or a mistake.
MAX_BYTES = 5_000_000

# Documents per Stanza call: big enough for bulk processing to pay off, small enough that
# one batch's analyses stay a modest share of memory.
BATCH_SIZE = 16


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of `workers` analysis processes: an equal share of the cores, at least 1.

    More threads than a worker's share only contend with the other workers for the cores.
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))
