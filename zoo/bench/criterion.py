"""When a task counts as solved: defined once, written into every cell file, read back by the reports
(which never rebuild a task to learn it)."""
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


def of_record(record: dict) -> Criterion:
    """The record's `solved_criterion`; cells written before that field have only the `solved_rule` text."""
    stored = record.get("solved_criterion")
    if stored:
        return Criterion(stored["metric"], float(stored["threshold"]), bool(stored["higher_is_better"]))
    match = RULE.match(record.get("solved_rule") or "")
    if not match:
        raise ValueError(f"cell {record.get('cell_id')}: no solved_criterion and an unreadable "
                         f"solved_rule {record.get('solved_rule')!r}")
    return Criterion(match["metric"], float(match["threshold"]), match["op"] == ">=")
