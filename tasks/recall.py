"""Recall among distractors, at lengths beyond training: selective copying and multi-query associative recall.

Both need a state of fixed size whatever the length (a few tokens, a few key-value pairs), so
what longer inputs test is whether the model keeps ignoring what it should ignore.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tasks.lengths import FIRST, IGNORE, LengthTask
from tasks.registry import register_task


@register_task
@dataclass(frozen=True)
class SelectiveCopy(LengthTask):
    """`tokens` data symbols at random positions among noise, then one query step per token: answer them
    in order. The copy task with the gap's position varied, so only a content-aware (selective) state
    update keeps the symbols (Gu & Dao 2023, "Mamba", Sec. 3.1 and Fig. 2; the task Feng et al. 2024
    show minGRU and minLSTM on). Mamba's runs: 16 tokens, 16 symbols, length 4096 at a fixed length;
    here the input length (noise and data) varies and is scored beyond training.
    """

    min_length: int = 8
    tokens: int = 8  # data symbols to copy
    alphabet: int = 8  # distinct data symbols; the noise is one more

    name: ClassVar[str] = "selective_copy"
    answers: ClassVar[str] = "steps"

    @property
    def shortest(self) -> int:
        return self.tokens

    @property
    def symbols(self) -> int:
        return self.alphabet + 1  # the noise symbol is the last

    @property
    def classes(self) -> int:
        return self.alphabet

    def __post_init__(self) -> None:
        self.check_positive("tokens", "alphabet")
        super().__post_init__()

    def sample(self, n, length, rng):
        data = rng.integers(0, self.alphabet, size=(n, self.tokens))
        # each row's token positions: a sorted random subset of the steps
        at = np.sort(np.argsort(rng.random((n, length)), axis=1)[:, : self.tokens], axis=1)
        inputs = np.full((n, length), self.alphabet)
        np.put_along_axis(inputs, at, data, axis=1)
        return inputs, data


def power_law_gaps(n: int, space: int, k: int, power_a: float, rng: np.random.Generator) -> np.ndarray:
    """k distinct slots of 0..space-1 per row (n, k), drawn without replacement with p(i) ~ (i+1)^(a-1):
    Gumbel top-k, the same law as their np.random.choice(replace=False, p=p)."""
    log_p = (power_a - 1) * np.log(np.arange(1, space + 1))
    keys = log_p - np.log(-np.log(rng.random((n, space))))  # + Gumbel noise
    return np.argsort(-keys, axis=1)[:, :k]


@register_task
@dataclass(frozen=True)
class AssociativeRecall(LengthTask):
    """Multi-query associative recall (Arora et al. 2023, "Zoology"): `pairs` key-value pairs, then the rest
    of the input is noise with each key asked once (at even offsets, nearer the pairs more often: a power
    law); at a key's second appearance the model answers its value. Keys are the first half of the
    vocabulary, values the second; noise is any token, as with their random_non_queries.
    From HazyResearch/zoology, zoology/data/multiquery_ar.py (earlier zoology/data/associative_recall.py);
    their defaults are a vocabulary of 8,192 and lengths 64-512, here 64 tokens for a CPU's softmax.
    The length is the whole input, pairs included.
    """

    min_length: int = 16
    max_length: int = 64
    test_lengths: str = "32 64 128 256 512"
    pairs: int = 4
    vocab: int = 64
    power_a: float = 0.01

    name: ClassVar[str] = "associative_recall"
    answers: ClassVar[str] = "steps"

    @property
    def shortest(self) -> int:
        return 4 * self.pairs  # their assertion: the pairs and as many query slots

    @property
    def symbols(self) -> int:
        return self.vocab

    @property
    def classes(self) -> int:
        return self.vocab

    def __post_init__(self) -> None:
        self.check_positive("pairs", "vocab")
        if self.vocab // 2 - 1 < self.pairs:
            raise ValueError(f"associative_recall: vocab={self.vocab} has fewer than pairs={self.pairs} keys")
        if not (isinstance(self.power_a, (int, float)) and 0 < self.power_a <= 1 and math.isfinite(self.power_a)):
            raise ValueError(f"associative_recall.power_a must be in (0, 1], got {self.power_a!r}")
        super().__post_init__()

    def examples(self, n, length, rng):
        half, k, context = self.vocab // 2, self.pairs, 2 * self.pairs
        keys = np.argsort(rng.random((n, half - 1)), axis=1)[:, :k] + 1  # distinct keys in 1..half-1
        values = np.argsort(rng.random((n, self.vocab - half)), axis=1)[:, :k] + half  # distinct values
        tokens = rng.integers(0, self.vocab, size=(n, length))  # the noise, overwritten below
        tokens[:, 0:context:2], tokens[:, 1:context:2] = keys, values
        at = context + 2 * power_law_gaps(n, (length - context) // 2, k, self.power_a, rng)
        np.put_along_axis(tokens, at, keys, axis=1)
        targets = np.full((n, length), IGNORE)
        np.put_along_axis(targets, at, values, axis=1)
        return (tokens + FIRST).astype(np.int32), targets.astype(np.int32)
