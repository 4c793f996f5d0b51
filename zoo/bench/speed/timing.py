"""The speed tools' one way of timing things against each other: alternated over rounds in one session.

A shared machine's slow spells (another job, thermal throttling, a cache gone cold) then hit every
candidate alike, round by round, where timing each one's rounds back to back would charge a spell to
whichever ran during it. Compiling or tracing belongs before the first round: a round times steady work.
"""
from __future__ import annotations

import time
from typing import Callable, Hashable, Mapping, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def alternate(candidates: Mapping[K, Callable[[], V]], rounds: int,
              announce: Callable[[int, K], None] | None = None) -> dict[K, list[V]]:
    """Each candidate's results, one a round, round by round in `candidates`' order: a, b, ..., a, b, ...

    `announce(round, key)` (round from 0) is called before each run, for progress lines.
    """
    results: dict[K, list[V]] = {key: [] for key in candidates}
    for round_ in range(rounds):
        for key, run in candidates.items():
            if announce is not None:
                announce(round_, key)
            results[key].append(run())
    return results


def per_second(count: float, run: Callable[[], object]) -> float:
    """`count` (sequences, say) over the wall seconds `run()` takes."""
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)
