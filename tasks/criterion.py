"""When a task counts as solved: defined once, written into every trial's record, read back by the reports
(which never rebuild a task to learn it: `record.Record.criterion`)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

RULE = re.compile(r"^(?P<metric>\w+) (?P<op>>=|<=) (?P<threshold>\S+)$")  # "recall_accuracy >= 0.99"


@dataclass(frozen=True)
class Criterion:
    """Solved when `metric` >= threshold (higher is better) or <= it, on the test set."""

    metric: str
    threshold: float
    higher_is_better: bool

    def met(self, value: float | None) -> bool:
        if value is None or not math.isfinite(value):
            return False
        return value >= self.threshold if self.higher_is_better else value <= self.threshold

    def describe(self) -> str:
        return f"{self.metric} {'>=' if self.higher_is_better else '<='} {self.threshold:g}"

    @classmethod
    def parse(cls, rule: str) -> Criterion:
        """The inverse of `describe`, for cell files written before the criterion itself was stored."""
        match = RULE.match(rule)
        if not match:
            raise ValueError(f"unreadable solved_rule {rule!r} (expected e.g. 'mse <= 0.01')")
        return cls(match["metric"], float(match["threshold"]), match["op"] == ">=")
