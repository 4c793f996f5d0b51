"""The deterministic context-free tasks of Delétang et al. 2023 (google-deepmind/neural_networks_chomsky_hierarchy,
tasks/dcf/): a finite-state machine with a stack solves each."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tasks.lengths import IGNORE, LengthTask, StringTask, deletang
from tasks.registry import register_task
from tasks.reference import Reference

MODULUS = 5
# the arithmetic tasks' symbols: digits 0-4, then these
PLUS, MINUS, TIMES, OPEN, CLOSE = range(MODULUS, MODULUS + 5)
UNKNOWN, EQUALS = MODULUS + 5, MODULUS + 6  # solve_equation's x and =
POP, PUSH_0, PUSH_1 = 2, 3, 4  # stack_manipulation's actions, after the stack's symbols 0 and 1
END = 2  # stack_manipulation's termination token, after the output symbols 0 and 1


@register_task
@dataclass(frozen=True)
class ReverseString(StringTask):
    """A binary string, reversed. From tasks/dcf/reverse_string.py."""

    name: ClassVar[str] = "reverse_string"
    symbols: ClassVar[int] = 2
    classes: ClassVar[int] = 2
    reference: ClassVar[Reference] = deletang(62.0, 60.9)
    answers: ClassVar[str] = "steps"

    def answer(self, strings):
        return strings[:, ::-1]


def run_stack(stack: list[int], actions) -> list[int]:
    """The stack (bottom first) after POP / PUSH_0 / PUSH_1 actions; a POP on an empty stack does nothing."""
    stack = list(stack)
    for action in actions:
        if action == POP:
            if stack:
                stack.pop()
        else:
            stack.append(action - PUSH_0)
    return stack


@register_task
@dataclass(frozen=True)
class StackManipulation(LengthTask):
    """A binary stack (bottom to top), then POP / PUSH 0 / PUSH 1 actions; answer the final stack top to
    bottom, then a termination token (input length + 1 answers, scored up to the termination token).
    From tasks/dcf/stack_manipulation.py."""

    name: ClassVar[str] = "stack_manipulation"
    symbols: ClassVar[int] = 5  # 0, 1, POP, PUSH 0, PUSH 1
    classes: ClassVar[int] = 3  # 0, 1, END
    reference: ClassVar[Reference] = deletang(56.0, 59.1)
    answers: ClassVar[str] = "steps"

    def sample(self, n, length, rng):
        inputs = np.empty((n, length), dtype=np.int64)
        answers = np.full((n, length + 1), IGNORE, dtype=np.int64)
        for i in range(n):
            if length == 1:  # a stack of one symbol and no action
                inputs[i] = rng.integers(0, 2, size=1)
                final = list(inputs[i])
            else:
                size = int(rng.integers(1, length))
                inputs[i, :size] = rng.integers(0, 2, size=size)
                inputs[i, size:] = rng.integers(POP, PUSH_1 + 1, size=length - size)
                final = run_stack(inputs[i, :size], inputs[i, size:])
            answers[i, : len(final) + 1] = final[::-1] + [END]
        return inputs, answers


def expression(length: int, rng: np.random.Generator, times: bool) -> tuple[list[int], int]:
    """A bracketed expression of exactly `length` symbols and its value mod 5: a digit d, -d, (d), (-d), or
    (left op right) of random lengths; op from +, - (and * if `times`)."""
    if length <= 4:
        digit = int(rng.integers(0, MODULUS))
        symbols, value = {1: ([digit], digit), 2: ([MINUS, digit], -digit), 3: ([OPEN, digit, CLOSE], digit),
                          4: ([OPEN, MINUS, digit, CLOSE], -digit)}[length]
        return symbols, value % MODULUS
    left_length = int(rng.integers(1, length - 3))
    left, left_value = expression(left_length, rng, times)
    right, right_value = expression(length - left_length - 3, rng, times)
    op = [PLUS, MINUS, TIMES][int(rng.integers(0, 3 if times else 2))]
    value = {PLUS: left_value + right_value, MINUS: left_value - right_value, TIMES: left_value * right_value}[op]
    return [OPEN, *left, op, *right, CLOSE], value % MODULUS


@register_task
@dataclass(frozen=True)
class ModularArithmeticBrackets(LengthTask):
    """The value mod 5 of a bracketed expression of digits 0-4 with +, - and *, e.g. (-(1-2)*(4-3)) -> 1.
    From tasks/dcf/modular_arithmetic_brackets.py (mult=True, as experiments/constants.py builds it);
    the paper's "Modular Arithmetic" (DCF)."""

    name: ClassVar[str] = "modular_arithmetic_brackets"
    symbols: ClassVar[int] = MODULUS + 5  # digits, + - * ( )
    classes: ClassVar[int] = MODULUS
    reference: ClassVar[Reference] = deletang(41.3, 59.2)

    def sample(self, n, length, rng):
        pairs = [expression(length, rng, times=True) for _ in range(n)]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


@register_task
@dataclass(frozen=True)
class SolveEquation(LengthTask):
    """The digit x stands for in `expression = value` (mod 5, + and - only, so exactly one digit fits),
    e.g. (x-(2+1))=4 -> 2. Inputs shorter than 3 are all zeros with answer 0, as in their code.
    From tasks/dcf/solve_equation.py."""

    name: ClassVar[str] = "solve_equation"
    symbols: ClassVar[int] = MODULUS + 7  # digits, + - * ( ), x, = (no * is drawn, as in their alphabet)
    classes: ClassVar[int] = MODULUS
    reference: ClassVar[Reference] = deletang(51.0, 67.8)

    def sample(self, n, length, rng):
        if length < 3:
            return np.zeros((n, length), dtype=np.int64), np.zeros(n, dtype=np.int64)
        inputs, answers = np.empty((n, length), dtype=np.int64), np.empty(n, dtype=np.int64)
        for i in range(n):
            symbols, value = expression(length - 2, rng, times=False)
            at = int(rng.integers(0, len(symbols)))
            while symbols[at] >= MODULUS:  # the next digit, wrapping around
                at = (at + 1) % len(symbols)
            answers[i] = symbols[at]
            symbols[at] = UNKNOWN
            inputs[i] = symbols + [EQUALS, value]
        return inputs, answers
