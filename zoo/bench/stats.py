"""Statistics for comparing models over seeds (scipy does the maths)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Sample:
    """Mean, sample standard deviation and a two-sided t confidence interval of the mean."""

    n: int
    mean: float | None
    std: float | None
    ci_low: float | None
    ci_high: float | None


def describe(values: list[float], confidence: float = 0.95) -> Sample:
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if x.size == 0:
        return Sample(0, None, None, None, None)
    mean = float(x.mean())
    if x.size < 2:
        return Sample(1, mean, None, None, None)
    std = float(x.std(ddof=1))
    if std == 0.0:
        return Sample(int(x.size), mean, 0.0, mean, mean)
    low, high = stats.t.interval(confidence, df=x.size - 1, loc=mean, scale=stats.sem(x))
    return Sample(int(x.size), mean, std, float(low), float(high))


def welch_p(a: list[float], b: list[float]) -> float | None:
    """Two-sided p-value of Welch's t-test (unequal variances); None when it is undefined."""
    a = [v for v in a if v is not None and np.isfinite(v)]
    b = [v for v in b if v is not None and np.isfinite(v)]
    if len(a) < 2 or len(b) < 2:
        return None
    if np.std(a) == 0 and np.std(b) == 0:
        return None if np.mean(a) == np.mean(b) else 0.0  # no spread at all: any difference is exact
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)
