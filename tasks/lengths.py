"""Length generalisation: train on input lengths min_length..max_length, score at every length of a list.

The setup of Delétang et al. 2023 ("Neural Networks and the Chomsky Hierarchy", ICLR;
google-deepmind/neural_networks_chomsky_hierarchy): a recurrent net reads the input tokens, then
one query token per output token (their "empty tokens", experiments/utils.py
make_model_with_empty_targets), and answers at the query steps; a task with one answer reads one
query token and answers there. Its score at a length is the per-sequence accuracy (the share of
a sequence's output tokens it gets right) averaged over sequences (experiments/range_evaluation.py);
its score out of distribution is that averaged over the lengths beyond training, and it counts
as solved at >= 90% (their Appendix B.1).

Deviations, for a 2-core CPU: training lengths are drawn per sequence (theirs: one per batch,
uniform in 1..40), and batches are padded to one of `buckets` widths, so a compiled backend
sees a few shapes instead of one per length; the training set is a fixed sample reshuffled each
epoch, not a fresh one per step; the score beyond training averages a list of test lengths
(`test_lengths`) instead of every length 41..500; the loss, like their accuracy, skips the zeros
that pad stack_manipulation's answer after its termination token (their loss trains them).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import keras
import numpy as np
from keras import ops

from tasks.base import Criterion, Recipe, Splits, Task, seed_streams
from tasks.batches import Batches
from tasks.reference import Reference
from zoo.spec import InputSpec, OutputSpec, Spec

PAD, QUERY = 0, 1  # input tokens; a task's own symbols come after them (symbol s is token s + FIRST)
FIRST = 2
IGNORE = -1  # the target where nothing is scored: input steps, padding, after a termination token
SOLVED = 0.9  # Delétang et al.'s "solved": a score of at least 90% beyond the training lengths


def deletang(rnn: float, lstm: float) -> Reference:
    """Their Table 2's RNN and LSTM scores (in %) on a task."""
    return Reference("Delétang et al. 2023, Table 2 (256 units, 1M steps of batch 128, the best of 10 seeds x 3 "
                     "learning rates, mean over every length 41-500; compare with 'best seed')",
                     {"rnn": rnn / 100, "lstm": lstm / 100})


@keras.saving.register_keras_serializable(package="tasks")
class SequenceAccuracy(keras.metrics.Metric):
    """Per-sequence accuracy averaged over sequences: each sequence's share of its scored targets
    (those that are not IGNORE) predicted right, whatever its number of them.

    Targets (batch, steps) with per-step predictions (batch, steps, classes), or one target
    (batch, 1) with predictions (batch, classes).
    """

    def __init__(self, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.reshape(y_true, (ops.shape(y_true)[0], -1)), "int32")  # (batch, steps)
        guess = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        guess = ops.reshape(guess, ops.shape(y_true))
        scored = ops.cast(ops.not_equal(y_true, IGNORE), "float32")
        hits = ops.sum(ops.cast(ops.equal(y_true, guess), "float32") * scored, axis=1)
        self.total.assign_add(ops.sum(ops.divide_no_nan(hits, ops.sum(scored, axis=1))))
        self.count.assign_add(ops.cast(ops.shape(y_true)[0], "float32"))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


def sequence_accuracy(y: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """SequenceAccuracy per sequence, in NumPy: y and guess (n, steps) -> (n,)."""
    scored = y != IGNORE
    return ((y == guess) & scored).sum(1) / np.maximum(1, scored.sum(1))


def parse_lengths(text: str) -> tuple[int, ...]:
    """"20 40 100" -> (20, 40, 100): a command line's `--set TASK.test_lengths="20 40 100"` (a comma would sweep)."""
    try:
        lengths = tuple(int(part) for part in text.split())
    except ValueError:
        raise ValueError(f"test_lengths must be integers separated by spaces, got {text!r}") from None
    return lengths


@dataclass(frozen=True)
class LengthTask(Task):
    """Base class: a generated task trained on input lengths min_length..max_length (uniform) and
    scored at each of `test_lengths`; the test score is the mean over those beyond max_length.

    A subclass says what it reads and answers (`symbols`, `classes`, `answers`: "one" for a single
    answer, "steps" for a string of them) and draws examples of one input length (`sample`).
    """

    min_length: int = 1
    max_length: int = 40
    test_lengths: str = "20 40 60 100 200 500"  # spaces between lengths; the training range and beyond
    n_train: int = 10_000
    n_val: int = 1_000
    n_test: int = 256  # sequences per test length (Delétang et al.: 512)
    buckets: int = 4  # training widths: each batch is padded to the nearest of this many

    metric: ClassVar[str] = "accuracy"
    higher_is_better: ClassVar[bool] = True
    monitor: ClassVar[str] = "loss"  # in-distribution accuracy saturates early; its loss keeps ranking epochs
    recipe: ClassVar[Recipe] = Recipe(learning_rate=1e-3, batch_size=128, epochs=10, clipnorm=1.0, patience=10)
    symbols: ClassVar[int]  # input alphabet size
    classes: ClassVar[int]  # output alphabet size
    answers: ClassVar[str] = "one"  # "one": a class per sequence; "steps": a string of output tokens
    shortest: ClassVar[int] = 1  # the shortest input length the task defines

    def __post_init__(self) -> None:
        self.check_positive("min_length", "max_length", "n_train", "n_val", "n_test", "buckets")
        if not self.shortest <= self.min_length <= self.max_length:
            raise ValueError(f"{self.name}: need {self.shortest} <= min_length <= max_length, "
                             f"got {self.min_length} and {self.max_length}")
        lengths = self.lengths
        if not lengths or min(lengths) < self.shortest or len(set(lengths)) != len(lengths):
            raise ValueError(f"{self.name}.test_lengths must be distinct lengths >= {self.shortest}, "
                             f"got {self.test_lengths!r}")
        if max(lengths) <= self.max_length:
            raise ValueError(f"{self.name}.test_lengths must reach beyond max_length={self.max_length}, "
                             f"got {self.test_lengths!r}")

    @property
    def lengths(self) -> tuple[int, ...]:
        """The test lengths, sorted."""
        return tuple(sorted(parse_lengths(self.test_lengths)))

    @property
    def train_lengths(self) -> tuple[int, int]:
        return self.min_length, self.max_length

    def sample(self, n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """n examples of input length `length`: symbols (n, length') in [0, symbols) and answers, (n,) for
        "one" or (n, k) in [0, classes) or IGNORE for "steps". length' is `length` unless the task
        cannot make that length (modular_arithmetic: odd lengths only)."""
        raise NotImplementedError

    @property
    def spec(self) -> Spec:
        kind = "classes" if self.answers == "one" else "step_classes"
        return Spec(InputSpec(length=None, vocab_size=self.symbols + FIRST, padded=True),
                    OutputSpec(kind, self.classes))

    @property
    def solved(self) -> Criterion:
        return Criterion("accuracy", SOLVED, higher_is_better=True)

    @property
    def baseline(self) -> float:
        """The score beyond training of always answering the one most frequent class (on a fixed sample)."""
        return majority_baseline(self)

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy(ignore_class=None if self.answers == "one" else IGNORE)

    def metrics(self) -> list:
        return [SequenceAccuracy()]

    def layout(self, symbols: np.ndarray, answers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model input and targets: x (n, steps) = symbols, then a query token per answer;
        y (n, 1) the class, or (n, steps) IGNORE on the input steps and the answers on the query steps."""
        n, length = symbols.shape
        if self.answers == "one":
            x = np.concatenate([symbols + FIRST, np.full((n, 1), QUERY)], axis=1)
            return x.astype(np.int32), answers.reshape(n, 1).astype(np.int32)
        k = answers.shape[1]
        x = np.concatenate([symbols + FIRST, np.full((n, k), QUERY)], axis=1)
        y = np.concatenate([np.full((n, length), IGNORE), answers], axis=1)
        return x.astype(np.int32), y.astype(np.int32)

    def examples(self, n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self.layout(*self.sample(n, length, rng))

    def mixed(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """n examples of lengths drawn uniformly from the training range, right-padded to the widest:
        x, y (n, width) and each one's width (input and query steps)."""
        drawn = rng.integers(self.min_length, self.max_length + 1, size=n)
        parts = [self.examples(int((drawn == length).sum()), int(length), rng) for length in np.unique(drawn)]
        width = max(x.shape[1] for x, _ in parts)
        x = np.concatenate([np.pad(x, ((0, 0), (0, width - x.shape[1])), constant_values=PAD) for x, _ in parts])
        widths = np.concatenate([np.full(len(x_), x_.shape[1]) for x_, _ in parts])
        if self.answers == "one":
            y = np.concatenate([y_ for _, y_ in parts])
        else:
            y = np.concatenate([np.pad(y_, ((0, 0), (0, width - y_.shape[1])), constant_values=IGNORE)
                                for _, y_ in parts])
        order = rng.permutation(n)  # lengths mixed, so a split's first examples are not its shortest
        return x[order], y[order], widths[order]

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """n training examples, right-padded to the widest: for tools that take one array (`rnn-zoo bench`)."""
        x, y, _ = self.mixed(n, rng)
        return x, y

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        batch_size = batch_size or self.recipe.batch_size
        train_rng, val_rng, _ = seed_streams(seed)  # the third stream's children are length_stream's
        x, y, widths = self.mixed(self.n_train, train_rng)
        bucket = -(-x.shape[1] // self.buckets)  # the widest batch is the widest example
        train = Batches(x, y, batch_size, seed=seed, lengths=widths, bucket_width=bucket)
        x, y, widths = self.mixed(self.n_val, val_rng)
        val = Batches(x, y, batch_size, lengths=widths, bucket_width=bucket)
        by_length = {length: Batches(*self.examples(self.n_test, length, length_stream(seed, length)), batch_size)
                     for length in self.lengths}
        return Splits(train=train, val=val, test=None, by_length=by_length)


@dataclass(frozen=True)
class StringTask(LengthTask):
    """A task whose inputs are uniformly random strings over its `symbols`, answered by `answer(strings)`."""

    def answer(self, strings: np.ndarray) -> np.ndarray:
        """Answers (n,) or (n, k) to strings (n, length)."""
        raise NotImplementedError

    def sample(self, n, length, rng):
        strings = rng.integers(0, self.symbols, size=(n, length))
        return strings, self.answer(strings)


def length_stream(seed: int, length: int) -> np.random.Generator:
    """The test sequences of one length: the same whichever other lengths are tested."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, length)))


@functools.cache
def majority_baseline(task: LengthTask, n: int = 1024) -> float:
    """The score beyond training of answering one class everywhere, the class that scores best: estimated on
    n sequences of each test length beyond training (drawn with seed 0)."""
    scores = np.zeros(task.classes)  # each class's score, summed over the lengths
    beyond = [length for length in task.lengths if length > task.max_length]
    for length in beyond:
        _, y = task.examples(n, length, length_stream(0, length))
        y = y.reshape(n, -1)
        scores += [sequence_accuracy(y, np.full_like(y, c)).mean() for c in range(task.classes)]
    return float(scores.max() / len(beyond))
