"""The copy-memory task (Arjovsky et al. 2016; Bai et al. 2018)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import keras
import numpy as np
from keras import ops

from tasks.base import Criterion, Recipe, SyntheticTask
from tasks.registry import register_task
from zoo.spec import InputSpec, OutputSpec, Spec

BLANK, DELIMITER = 0, 9  # data symbols are 1..8
N_SYMBOLS, N_DATA, N_RECALL = 10, 8, 10


def generate_copy(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x, y (n, T + 20) int32. x: 10 data symbols, T-1 blanks, delimiter, 10 blanks.
    y: T + 10 blanks, then the 10 data symbols."""
    data = rng.integers(1, N_DATA + 1, size=(n, N_RECALL), dtype=np.int32)
    x = np.zeros((n, T + 2 * N_RECALL), dtype=np.int32)
    x[:, :N_RECALL] = data
    x[:, N_RECALL + T - 1] = DELIMITER
    y = np.zeros_like(x)
    y[:, -N_RECALL:] = data
    return x, y


@keras.saving.register_keras_serializable(package="tasks")
class RecallAccuracy(keras.metrics.Metric):
    """Accuracy over the last `n_recall` time steps only (where the symbols must be recalled)."""

    def __init__(self, n_recall: int = N_RECALL, name: str = "recall_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_recall = n_recall
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true[:, -self.n_recall :], "int32")  # (batch, n_recall)
        guess = ops.cast(ops.argmax(y_pred[:, -self.n_recall :], axis=-1), "int32")
        hits = ops.cast(ops.equal(y_true, guess), "float32")
        self.correct.assign_add(ops.sum(hits))
        self.count.assign_add(ops.cast(ops.size(hits), "float32"))

    def result(self):
        return ops.divide_no_nan(self.correct, self.count)

    def reset_state(self):
        self.correct.assign(0.0)
        self.count.assign(0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "n_recall": self.n_recall}


@register_task
@dataclass(frozen=True)
class Copy(SyntheticTask):
    """Reproduce 10 symbols after a gap of T steps; per-step cross-entropy over T + 20 steps.

    Baseline: the memoryless predictor (blank for T + 10 steps, then uniform over the 8 data
    symbols) scores cross-entropy 10 ln 8 / (T + 20). Solved: recall accuracy >= 0.99 on the
    10 recalled symbols (guessing gives 1/8).
    """

    name: ClassVar[str] = "copy"
    metric: ClassVar[str] = "cross_entropy"
    higher_is_better: ClassVar[bool] = False
    recipe: ClassVar[Recipe] = Recipe(learning_rate=1e-3, batch_size=64, epochs=20, clipnorm=1.0, patience=5)

    @property
    def spec(self) -> Spec:
        return Spec(InputSpec(length=self.T + 2 * N_RECALL, vocab_size=N_SYMBOLS), OutputSpec("step_classes", N_SYMBOLS))

    @property
    def baseline(self) -> float:
        return N_RECALL * math.log(N_DATA) / (self.T + 2 * N_RECALL)

    @property
    def solved(self) -> Criterion:
        return Criterion("recall_accuracy", 0.99, higher_is_better=True)

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self) -> list:
        return [keras.metrics.SparseCategoricalCrossentropy(name="cross_entropy"), RecallAccuracy()]

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return generate_copy(n, self.T, rng)
