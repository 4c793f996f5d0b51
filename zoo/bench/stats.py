"""Statistics for comparing models over seeds (scipy does the maths)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

Bounds = tuple[float | None, float | None]  # (lowest, highest) value a metric can take; None: unbounded
UNBOUNDED: Bounds = (None, None)

# How the interval is built, as the outputs name it.
T_PLAIN = "Student t"
T_LOG = "Student t on the log scale"
T_LOGIT = "Student t on the logit scale"


@dataclass(frozen=True)
class Sample:
    """Mean, sample standard deviation and a two-sided confidence interval of the mean."""

    n: int
    mean: float | None
    std: float | None
    ci_low: float | None
    ci_high: float | None
    method: str = T_PLAIN  # how [ci_low, ci_high] was built


def metric_bounds(metric: str, higher_is_better: bool) -> Bounds:
    """Accuracies lie in [0, 1]; every loss the zoo reports (mse, cross_entropy) is >= 0."""
    if "accuracy" in metric:
        return (0.0, 1.0)
    return UNBOUNDED if higher_is_better else (0.0, None)


def describe(values: list[float], confidence: float = 0.95, bounds: Bounds = UNBOUNDED) -> Sample:
    """Mean, std and a t interval of the mean that stays inside the metric's `bounds`.

    A plain t interval with two seeds (t = 12.7) reaches below zero for a loss whose seeds
    differ by a factor of two. So with a lower bound the interval is built on the log scale of
    the distance to it (delta method: mean x/÷ exp(t·sem/mean) for a loss), with both bounds on
    the logit scale of the mean's place between them; mapped back it cannot cross a bound.
    """
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    n = int(x.size)
    if n == 0:
        return Sample(0, None, None, None, None)
    mean = float(x.mean())
    if n < 2:
        return Sample(1, mean, None, None, None)
    std = float(x.std(ddof=1))
    if std == 0.0:
        return Sample(n, mean, 0.0, mean, mean)
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * std / np.sqrt(n)
    low, high = bounds
    if low is None or x.min() < low or (high is not None and x.max() > high):
        return Sample(n, mean, std, mean - half, mean + half, T_PLAIN)
    # std > 0, so not every seed sits on a bound: low < mean (< high)
    if high is None:
        factor = float(np.exp(half / (mean - low)))
        return Sample(n, mean, std, low + (mean - low) / factor, low + (mean - low) * factor, T_LOG)
    span = high - low
    p = (mean - low) / span
    g, h = special.logit(p), half / span / (p * (1 - p))
    return Sample(n, mean, std, low + span * float(special.expit(g - h)), low + span * float(special.expit(g + h)),
                  T_LOGIT)


def welch_p(a: list[float], b: list[float]) -> float | None:
    """Two-sided p-value of Welch's t-test (unequal variances); None when it is undefined."""
    a = [v for v in a if v is not None and np.isfinite(v)]
    b = [v for v in b if v is not None and np.isfinite(v)]
    if len(a) < 2 or len(b) < 2:
        return None
    if np.std(a) == 0 and np.std(b) == 0:
        return None if np.mean(a) == np.mean(b) else 0.0  # no spread at all: any difference is exact
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)
