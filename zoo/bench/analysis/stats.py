"""Statistics for comparing models over seeds (scipy does the maths)."""
from __future__ import annotations

import math
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


ALPHA = 0.05  # both tests, two-sided for the difference, each one-sided test of the equivalence
POWER = 0.8  # "would decide it": the seeds at which a test reaches this power
MOST_SEEDS = 50  # the seeds estimate stops counting here (">50")


@dataclass(frozen=True)
class Margin:
    """How far apart two models' results may lie and still count as the same result.

    Absolute: a difference in the metric's units. Relative: a ratio within [1/(1+size), 1+size],
    tested on the log scale, where it is the symmetric interval ±log(1+size).
    """

    size: float
    relative: bool

    @property
    def bound(self) -> float:
        """The margin on the scale the tests run on (the metric itself, or its log)."""
        return math.log1p(self.size) if self.relative else self.size

    def describe(self) -> str:
        return f"±{self.size:.0%} as a ratio" if self.relative else f"±{self.size:g}"


# Accuracy: half a point. It is about the binomial standard error of an accuracy near 0.8 on the quick
# preset's 6,000 test reviews, so a smaller gap is within the test set's own noise.
ACCURACY_MARGIN = Margin(0.005, relative=False)
# Losses (MSE, cross-entropy) span decades (adding MSE from 1e-4 to the 0.17 baseline) and a model's seeds
# spread in proportion to its level (adding T=100: lstm and gru seeds both about 30% apart while their
# means differ fivefold), so they are compared as ratios: both tests run on log(value), where the two
# models' spreads are alike, and the margin is a fixed ±10% ratio rather than a fraction of an observed
# mean, which would move with the data and make the equivalence test's 5% inexact.
LOSS_MARGIN = Margin(0.10, relative=True)


def margin_for(metric: str) -> Margin:
    """The equivalence margin of a metric: the one place it is defined."""
    return ACCURACY_MARGIN if "accuracy" in metric else LOSS_MARGIN


# Comparison.decision
A_BETTER, B_BETTER, EQUIVALENT, UNDECIDED = "a", "b", "equivalent", "undecided"


@dataclass(frozen=True)
class Comparison:
    """Sample B against sample A: the difference b - a (a relative margin: the ratio b / a) with its 95% interval,
    Welch's t-test of no difference, the two one-sided tests (TOST) of a difference within the margin, and the
    decision. Decided when either test is significant: equivalent when TOST is (whatever Welch says: then the
    difference is real but inside the margin), else the better model when Welch's is; undecided otherwise.
    """

    n_a: int
    n_b: int
    margin: Margin
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    welch_p: float | None = None
    tost_p: float | None = None
    decision: str = UNDECIDED
    seeds_needed: int | None = None  # undecided: seeds a side that would decide it (None: more than MOST_SEEDS)
    needed_by: str | None = None  # which test those seeds are for: "Welch" or "TOST"
    note: str = ""  # why there is no test or no estimate


def compare_samples(a: list[float], b: list[float], margin: Margin, higher_is_better: bool,
                    alpha: float = ALPHA) -> Comparison:
    """Welch's test and TOST of B against A; None, NaN and Inf values (failed or diverged seeds) are left out."""
    x = np.asarray([v for v in a if v is not None and np.isfinite(v)], dtype=float)
    y = np.asarray([v for v in b if v is not None and np.isfinite(v)], dtype=float)
    n1, n2 = int(x.size), int(y.size)
    if margin.relative:
        if (x <= 0).any() or (y <= 0).any():
            return Comparison(n1, n2, margin, note="a value <= 0 has no log, and a ratio margin needs one")
        x, y = np.log(x), np.log(y)
    back = math.exp if margin.relative else float  # analysis scale -> the reported difference or ratio
    if n1 < 2 or n2 < 2:
        estimate = back(y.mean() - x.mean()) if n1 and n2 else None
        fewest = min(n1, n2)
        return Comparison(n1, n2, margin, estimate, note=f"{fewest} finished seed{'' if fewest == 1 else 's'} on "
                                                         f"one side: no spread to test with; 2 a side at least")
    d, m = float(y.mean() - x.mean()), margin.bound
    v1, v2 = (float(v.var(ddof=1)) if np.ptp(v) else 0.0 for v in (x, y))  # equal seeds: 0, not a rounding error
    se = math.sqrt(v1 / n1 + v2 / n2)
    if se == 0.0:  # every seed of each model alike: the difference is exact
        low = high = d
        welch = None if d == 0 else 0.0
        tost = 0.0 if abs(d) < m else 1.0
    else:
        df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))  # Welch-Satterthwaite
        welch = float(2 * stats.t.sf(abs(d) / se, df))
        tost = float(max(stats.t.sf((d + m) / se, df), stats.t.cdf((d - m) / se, df)))
        half = float(stats.t.ppf(1 - alpha / 2, df)) * se
        low, high = d - half, d + half
    result = dict(estimate=back(d), ci_low=back(low), ci_high=back(high), welch_p=welch, tost_p=tost)
    if tost < alpha:
        return Comparison(n1, n2, margin, **result, decision=EQUIVALENT)
    if welch is not None and welch < alpha:
        return Comparison(n1, n2, margin, **result, decision=B_BETTER if (d > 0) == higher_is_better else A_BETTER)
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    needed, by = seeds_needed(d, pooled, m, alpha)
    return Comparison(n1, n2, margin, **result, seeds_needed=needed, needed_by=by)


def seeds_needed(d: float, sd: float, margin: float, alpha: float = ALPHA, power: float = POWER,
                 most: int = MOST_SEEDS) -> tuple[int | None, str]:
    """The fewest seeds a side at which Welch's test or TOST, whichever needs fewer, reaches `power` if the true
    difference were `d` and each seed's spread `sd` (the pooled sample sd), with n - 1 + n - 1 degrees of freedom.

    Returns (n, "Welch" or "TOST"), or (None, the test that needs fewer) beyond `most` seeds. TOST's power is
    the usual bound 1 - P(miss the lower test) - P(miss the upper one), tight where it matters (>= 0.8).
    """
    def welch(n: int) -> float:
        se, df = sd * math.sqrt(2 / n), 2 * n - 2
        two = stats.t.ppf(1 - alpha / 2, df)
        return _tail(stats.nct.sf(two, df, abs(d) / se)) + _tail(stats.nct.cdf(-two, df, abs(d) / se))

    def tost(n: int) -> float:
        se, df = sd * math.sqrt(2 / n), 2 * n - 2
        one = stats.t.ppf(1 - alpha, df)
        return 1 - _tail(stats.nct.cdf(one, df, (d + margin) / se)) - _tail(stats.nct.sf(-one, df, (d - margin) / se))

    found = [(n, name) for name, test in (("Welch", welch), ("TOST", tost)) if (n := _fewest(test, power))]
    if not found:  # d = 0 and margin = 0: neither ever decides
        return None, "TOST"
    n, name = min(found)
    return (n if n <= most else None), name


def _tail(p: float) -> float:
    """scipy's noncentral t gives NaN for a tail far below 1e-16 (e.g. cdf(-1.96, 100, nc=10)): it is 0."""
    return 0.0 if math.isnan(p) else float(p)


def _fewest(power_at, power: float, limit: int = 100_000) -> int | None:
    """The least n >= 2 with power_at(n) >= power (power grows with n), or None beyond `limit`."""
    if power_at(limit) < power:
        return None
    low, high = 2, limit
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if power_at(mid) >= power else (mid + 1, high)
    return low
