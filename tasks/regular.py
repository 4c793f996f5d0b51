"""The regular tasks of Delétang et al. 2023 (google-deepmind/neural_networks_chomsky_hierarchy, tasks/regular/):
a finite-state machine solves each, and each answers one class after the input."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tasks.lengths import LengthTask, StringTask, deletang
from tasks.registry import register_task
from tasks.reference import Reference

MODULUS = 5  # modular_arithmetic's and cycle_navigation's (their default, used in the paper)
PLUS, MINUS, TIMES = MODULUS, MODULUS + 1, MODULUS + 2  # modular_arithmetic's operator symbols, after the digits


@register_task
@dataclass(frozen=True)
class EvenPairs(StringTask):
    """Is the number of 01 and 10 pairs in a binary string even (0) or odd (1)? The same as: do its first
    and last symbols differ. From tasks/regular/even_pairs.py."""

    name: ClassVar[str] = "even_pairs"
    symbols: ClassVar[int] = 2
    classes: ClassVar[int] = 2
    reference: ClassVar[Reference] = deletang(100.0, 100.0)

    def answer(self, strings):
        return (strings[:, 1:] != strings[:, :-1]).sum(1) % 2


@register_task
@dataclass(frozen=True)
class ParityCheck(StringTask):
    """Is the number of 1s in a binary string even (0) or odd (1)? From tasks/regular/parity_check.py."""

    name: ClassVar[str] = "parity_check"
    symbols: ClassVar[int] = 2
    classes: ClassVar[int] = 2
    reference: ClassVar[Reference] = deletang(100.0, 100.0)

    def answer(self, strings):
        return strings.sum(1) % 2


@register_task
@dataclass(frozen=True)
class CycleNavigation(StringTask):
    """The final position on a cycle of 5 after moves 0 (left), 1 (stay), 2 (right) from position 0.
    From tasks/regular/cycle_navigation.py (its code's moves: action - 1; the paper's text orders them
    stay, increase, decrease)."""

    name: ClassVar[str] = "cycle_navigation"
    symbols: ClassVar[int] = 3
    classes: ClassVar[int] = MODULUS
    reference: ClassVar[Reference] = deletang(100.0, 100.0)

    def answer(self, moves):
        return (moves - 1).sum(1) % MODULUS


def evaluate_modular(expressions: np.ndarray) -> np.ndarray:
    """Values mod 5 of digit-operator-digit-... rows (n, odd length), * before + and -, left to right:
    a running sum of finished terms and the product of the open one."""
    digits, operators = expressions[:, 0::2], expressions[:, 1::2]
    total = np.zeros(len(expressions), dtype=np.int64)
    term = digits[:, 0].astype(np.int64)
    for i in range(operators.shape[1]):
        op, digit = operators[:, i], digits[:, i + 1]
        times = op == TIMES
        total = np.where(times, total, total + term)  # + and - close the open term
        term = np.where(times, term * digit % MODULUS, np.where(op == PLUS, digit, -digit))
    return (total + term) % MODULUS


@register_task
@dataclass(frozen=True)
class ModularArithmetic(LengthTask):
    """The value mod 5 of digits 0-4 joined by +, - and * (* first), e.g. 1+2*3-4 -> 3. An even length
    is made odd by dropping one symbol, as their code does (the paper's text adds one).
    From tasks/regular/modular_arithmetic.py; the paper's "Modular Arithmetic (Simple)"."""

    name: ClassVar[str] = "modular_arithmetic"
    symbols: ClassVar[int] = MODULUS + 3  # digits, +, -, *
    classes: ClassVar[int] = MODULUS
    reference: ClassVar[Reference] = deletang(100.0, 100.0)

    def sample(self, n, length, rng):
        length -= 1 - length % 2
        expressions = np.empty((n, length), dtype=np.int64)
        expressions[:, 0::2] = rng.integers(0, MODULUS, size=(n, length // 2 + 1))
        expressions[:, 1::2] = rng.choice([PLUS, MINUS, TIMES], size=(n, length // 2))
        return expressions, evaluate_modular(expressions)
