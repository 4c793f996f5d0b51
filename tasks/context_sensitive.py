"""Context-sensitive tasks of Delétang et al. 2023 (google-deepmind/neural_networks_chomsky_hierarchy, tasks/cs/):
a finite-state machine with a bounded tape solves each (bucket sort: with counters)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tasks.lengths import StringTask, deletang
from tasks.registry import register_task
from tasks.reference import Reference


@register_task
@dataclass(frozen=True)
class DuplicateString(StringTask):
    """A binary string, twice (2 x input length answers). From tasks/cs/duplicate_string.py."""

    name: ClassVar[str] = "duplicate_string"
    symbols: ClassVar[int] = 2
    classes: ClassVar[int] = 2
    reference: ClassVar[Reference] = deletang(50.3, 57.6)
    answers: ClassVar[str] = "steps"

    def answer(self, strings):
        return np.concatenate([strings, strings], axis=1)


@register_task
@dataclass(frozen=True)
class BucketSort(StringTask):
    """A string over 5 symbols, sorted. From tasks/cs/bucket_sort.py."""

    name: ClassVar[str] = "bucket_sort"
    symbols: ClassVar[int] = 5
    classes: ClassVar[int] = 5
    reference: ClassVar[Reference] = deletang(27.9, 99.3)
    answers: ClassVar[str] = "steps"

    def answer(self, strings):
        return np.sort(strings, axis=1)
