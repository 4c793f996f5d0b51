"""The verdict of two models over a run's records, per task instance: both samples, the Welch and TOST tests
(`stats.compare_samples`, at the level the group-sequential design sets for the look), what a verdict between
two failures must say, and the verdict's words. `rnn-zoo compare` (experiment/compare.py, whose docstring gives
the decision rule) renders these rows; the results index reads them for tuned runs.
"""
from __future__ import annotations

import numpy as np

from zoo.bench.analysis import sequential, stats
from zoo.bench.analysis.stats import ALPHA, Comparison, describe, metric_bounds
from zoo.bench.design.ordering import natural_key
from zoo.bench.execution.record import Record


def compare(records: list[Record], a: str, b: str, looks: dict | None = None) -> list[dict]:
    """One row per task instance that both models ran: statistics, costs and a verdict.

    `looks` (sequential.load: the looks --add-seeds took) sets each task's level by the group-sequential
    design; without it every task is a single look at ALPHA.
    """
    rows = []
    for label in sorted({r.label for r in records}, key=natural_key):
        runs = {m: [r for r in records if r.label == label and r.model == m and r.done] for m in (a, b)}
        if not runs[a] or not runs[b]:
            continue
        head = runs[a][0]
        values = {m: [r.test_metric for r in runs[m]] for m in (a, b)}
        bounds = metric_bounds(head.metric, head.higher_is_better)
        alpha = sequential.alpha_for(looks, label) if looks else ALPHA
        test = stats.compare_samples(values[a], values[b], stats.margin_for(head.metric), head.higher_is_better,
                                     alpha=alpha)
        row = {"label": label, "metric": head.metric, "higher_is_better": head.higher_is_better,
               "baseline": head.baseline, "test": test, "p_value": test.welch_p, "alpha": alpha,
               "looks": (looks or {}).get("looks", {}).get(label)}
        for m in (a, b):
            solved = [r for r in runs[m] if r.solved]
            throughput = [r.train_sequences_per_second for r in runs[m] if r.train_sequences_per_second]
            row[m] = {"stats": describe(values[m], bounds=bounds), "values": values[m],
                      "params": runs[m][0].params,
                      "seconds_per_epoch": float(np.mean([r.seconds_per_epoch for r in runs[m]])),
                      "sequences_per_second": float(np.mean(throughput)) if throughput else None,
                      "solved": len(solved), "runs": len(runs[m]),
                      "epochs_to_solve": [r.epochs_to_solve for r in runs[m] if r.epochs_to_solve]}
        row["caveat"] = caveat(row, a, b)
        row["verdict"] = verdict(row, a, b)
        rows.append(row)
    return rows


def caveat(row: dict, a: str, b: str) -> str | None:
    """What a verdict between two failures must say: both worse than the trivial baseline, or neither solving
    the task in any seed (then "better" ranks two models that do not do it)."""
    means = [row[m]["stats"].mean for m in (a, b)]
    base, higher = row["baseline"], row["higher_is_better"]
    if base is not None and all(v is not None and (v < base if higher else v > base) for v in means):
        return f"both worse than the trivial baseline {base:.4g}"
    if not row[a]["solved"] and not row[b]["solved"]:
        return f"neither solves it (0/{row[a]['runs']} and 0/{row[b]['runs']} seeds)"
    return None


def verdict(row: dict, a: str, b: str) -> str:
    """The verdict word, then its evidence: 'GRU better: gru/lstm = 0.218× [0.0543, 0.879], Welch p=0.042, ...'."""
    t: Comparison = row["test"]
    if t.welch_p is None and t.tost_p is None:  # no test: too few seeds, or no log of a value <= 0
        text = f"{word(t, a, b)}: {t.note} ({a}: {t.n_a}, {b}: {t.n_b})"
        return text + (f"; {row['caveat']}" if row.get("caveat") else "")
    text = f"{word(t, a, b)}: {difference(t, a, b)} [{_num(t.ci_low, t)}, {_num(t.ci_high, t)}], " \
           f"Welch p={_p(t.welch_p)}, TOST p={_p(t.tost_p)} (margin {t.margin.describe()}), " \
           f"{t.n_a} vs {t.n_b} seeds"
    if t.decision == stats.EQUIVALENT and t.welch_p is None:
        text += "; identical results"
    elif t.decision == stats.EQUIVALENT and t.welch_p < row.get("alpha", ALPHA):
        text += "; a real difference, inside the margin"
    if row.get("alpha", ALPHA) != ALPHA:  # a later look of --add-seeds's sequential design
        text += f"; tested at {row['alpha']:.2g} (look {len(row.get('looks') or [])} of the sequential design)"
    if t.decision == stats.UNDECIDED:
        test = {"Welch": "Welch's test finding the difference", "TOST": "TOST showing equivalence"}[t.needed_by]
        text += (f"; about {t.seeds_needed} seeds a side would decide it ({test}, {stats.POWER:.0%} power at the "
                 f"observed difference and spread)" if t.seeds_needed else
                 f"; more than {stats.MOST_SEEDS} seeds a side would be needed (nearest: {test})")
    return text + (f"; {row['caveat']}" if row.get("caveat") else "")


def word(t: Comparison, a: str, b: str) -> str:
    return {stats.A_BETTER: f"{a.upper()} better", stats.B_BETTER: f"{b.upper()} better",
            stats.EQUIVALENT: "equivalent", stats.UNDECIDED: "undecided"}[t.decision]


def _short(t: Comparison, a: str, b: str) -> str:
    if t.decision != stats.UNDECIDED or t.needed_by is None:
        return word(t, a, b)
    return f"undecided ({'about ' + str(t.seeds_needed) if t.seeds_needed else f'>{stats.MOST_SEEDS}'} seeds a side)"


def brief(row: dict, a: str, b: str) -> str:
    """The verdict in a table cell: 'GRU better, gru/lstm = 0.812× [0.687, 0.959]'."""
    t: Comparison = row["test"]
    if t.estimate is None:
        return _short(t, a, b)
    interval = "" if t.ci_low is None else f" [{_num(t.ci_low, t)}, {_num(t.ci_high, t)}]"
    return f"{_short(t, a, b)}, {difference(t, a, b)}{interval}"


def difference(t: Comparison, a: str, b: str) -> str:
    """'gru - lstm = -0.0182' (absolute margin) or 'gru/lstm = 0.218×' (relative: the ratio of the means of logs)."""
    return f"{b}/{a} = {_num(t.estimate, t)}×" if t.margin.relative else f"{b} - {a} = {_num(t.estimate, t)}"


def _num(v: float, t: Comparison) -> str:
    return f"{v:.3g}" if t.margin.relative else f"{v:+.3g}"


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.2g}"
