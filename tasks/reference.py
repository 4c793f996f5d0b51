"""Published scores of a task, written into each trial's record so that tables show them beside the run's own."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """Scores a paper reports on a task, on the task's own metric, by model (named as the zoo names it)."""

    source: str  # who, where, and how the scores were made (e.g. the best of how many seeds)
    scores: dict[str, float]

    def describe(self) -> str:
        return f"{self.source}: " + ", ".join(f"{model} {score:.3f}" for model, score in self.scores.items())


def bai2018(score: str, params: str, **scores: float) -> Reference:
    """Bai et al. 2018's Table 1 (LSTM, GRU and RNN at matched sizes): `score` names what it measured."""
    return Reference(f"Bai et al. 2018, Table 1 ({score}, models of about {params} parameters)", scores)
