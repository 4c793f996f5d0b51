"""Group-sequential error rates for `compare --add-seeds`, which looks at each verdict again after every round.

Testing at 5% at every look lets the errors add up: a true null ends "A/B better", and a true difference on
the margin ends "equivalent", more often than 5% over the whole procedure. So each look spends part of the
5% by an alpha-spending function of the information fraction t = seeds a side / the cap (Lan & DeMets
1983): the look at t_k tests at alpha(t_k) - alpha(t_k-1). Those levels add up to alpha(1) = 5% whatever
the looks' times, so by the union bound each error rate stays <= 5% over every look (a conservative bound:
the looks' tests are correlated). Pocock-type spending by default: it spends evenly, so early looks can
still decide; O'Brien-Fleming keeps nearly all for the last look.

The seeds a side at each look of each task live in the run folder (sequential-A-B.json), so a resumed
--add-seeds and a later plain `compare` test at the same levels.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import stats as sps

from zoo.bench.analysis import stats
from zoo.bench.analysis.stats import ALPHA, Comparison, Margin

SPENDING = ("pocock", "obrien-fleming")


def spent(t: float, alpha: float = ALPHA, kind: str = "pocock") -> float:
    """The alpha spent by information fraction t in [0, 1] (Lan-DeMets's approximations of the two designs)."""
    t = min(max(t, 0.0), 1.0)
    if t == 0:
        return 0.0
    if kind == "pocock":
        return alpha * math.log(1 + (math.e - 1) * t)
    if kind == "obrien-fleming":
        return float(2 - 2 * sps.norm.cdf(sps.norm.ppf(1 - alpha / 2) / math.sqrt(t)))
    raise ValueError(f"spending {kind!r}: expected one of {', '.join(SPENDING)}")


def look_alpha(looks: list[int], cap: int, alpha: float = ALPHA, kind: str = "pocock") -> float:
    """The level of the last of `looks` (seeds a side at each look so far, increasing)."""
    now = looks[-1] / cap
    before = looks[-2] / cap if len(looks) > 1 else 0.0
    return spent(now, alpha, kind) - spent(before, alpha, kind)


def target_seeds(t: Comparison, cap: int) -> int:
    """The seeds a side an undecided task is taken to next: what its verdict says would decide it, at least one
    more, at most the cap (the one rule of --add-seeds and of its simulation)."""
    have = min(t.n_a, t.n_b)
    wanted = t.seeds_needed or (cap if t.needed_by else have + 1)  # None: > MOST_SEEDS, or no spread
    return min(cap, max(have + 1, wanted))


def path_for(run: Path, a: str, b: str) -> Path:
    return Path(run) / f"sequential-{a}-{b}.json"


def load(run: Path, a: str, b: str) -> dict:
    """{"cap": N, "looks": {label: [seeds a side at each look]}}, or an empty plan before any --add-seeds."""
    path = path_for(run, a, b)
    return json.loads(path.read_text()) if path.is_file() else {"cap": None, "looks": {}}


def record_looks(run: Path, a: str, b: str, cap: int, seeds: dict[str, int]) -> dict:
    """Note this look (`seeds`: label -> seeds a side now) where it adds seeds to a task's looks; save, return."""
    from zoo.bench.execution import store  # imports the training code: not for the simulation

    plan = load(run, a, b)
    plan["cap"] = cap
    for label, n in seeds.items():
        looks = plan["looks"].setdefault(label, [])
        if not looks or looks[-1] < n:
            looks.append(n)
    store.write_json(path_for(run, a, b), plan)
    return plan


def alpha_for(plan: dict, label: str) -> float:
    """The level a task's verdict is tested at: its last look's, or the plain 5% for a task never looked at
    again (a single look)."""
    looks = plan["looks"].get(label)
    return look_alpha(looks, plan["cap"]) if looks and plan["cap"] else ALPHA


def simulate(n: int, difference: float, cap: int = 10, start: int = 2, sequential: bool = True,
             margin: Margin = Margin(1.0, relative=False), seed: int = 0) -> dict[str, float]:
    """Run --add-seeds's rule on `n` simulated comparisons of normal seeds (sd 1, true `difference` of B over
    A, higher better): the fraction ending in each decision and the mean number of looks."""
    rng = np.random.default_rng(seed)
    ends = {stats.A_BETTER: 0, stats.B_BETTER: 0, stats.EQUIVALENT: 0, stats.UNDECIDED: 0}
    looks_total = 0
    for _ in range(n):
        a, b = list(rng.normal(0, 1, start)), list(rng.normal(difference, 1, start))
        looks: list[int] = []
        while True:
            looks.append(len(a))
            level = look_alpha(looks, cap) if sequential else ALPHA
            t = stats.compare_samples(a, b, margin, higher_is_better=True, alpha=level)
            if t.decision != stats.UNDECIDED or len(a) >= cap:
                break
            more = target_seeds(t, cap) - len(a)
            a += list(rng.normal(0, 1, more))
            b += list(rng.normal(difference, 1, more))
        ends[t.decision] += 1
        looks_total += len(looks)
    return {**{k: v / n for k, v in ends.items()}, "looks": looks_total / n}
