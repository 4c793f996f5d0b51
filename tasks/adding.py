"""The adding problem (Hochreiter & Schmidhuber 1997; as in Le et al. 2015, Arjovsky et al. 2016)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import keras
import numpy as np

from tasks.base import Criterion, Recipe, SyntheticTask
from tasks.registry import register_task
from zoo.spec import InputSpec, OutputSpec, Spec


def generate_adding(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n sequences of length T: x (n, T, 2) = [U(0,1) value, marker]; y (n, 1) = sum of the 2 marked values.

    One marker falls in the first half [0, T//2), the other in the second half [T//2, T).
    """
    values = rng.random((n, T), dtype=np.float32)
    rows = np.arange(n)
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    markers = np.zeros((n, T), dtype=np.float32)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)  # (n, T, 2)
    y = (values[rows, first] + values[rows, second])[:, None]  # (n, 1)
    return x, y


@register_task
@dataclass(frozen=True)
class Adding(SyntheticTask):
    """Sum the two marked values of a length-T sequence; needs memory across up to T steps.

    Baseline: always predicting 1 (the mean of the sum) gives MSE = Var(U1 + U2) = 2/12 = 1/6.
    Solved: test MSE <= 0.01 (6% of the baseline).
    """

    name: ClassVar[str] = "adding"
    metric: ClassVar[str] = "mse"
    higher_is_better: ClassVar[bool] = False
    recipe: ClassVar[Recipe] = Recipe(learning_rate=1e-3, batch_size=50, epochs=20, clipnorm=1.0, patience=5)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.T < 2:
            raise ValueError(f"adding.T must be >= 2 (one marker in each half), got {self.T}")

    @property
    def spec(self) -> Spec:
        return Spec(InputSpec(length=self.T, features=2), OutputSpec("regression"))

    @property
    def baseline(self) -> float:
        return 1.0 / 6.0

    @property
    def solved(self) -> Criterion:
        return Criterion("mse", 0.01, higher_is_better=False)

    def loss(self):
        return "mse"

    def metrics(self) -> list:
        return [keras.metrics.MeanSquaredError(name="mse")]

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return generate_adding(n, self.T, rng)
