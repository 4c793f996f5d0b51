"""`rnn-zoo compare A B`: per task, which of two models is better, with the evidence."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.bench.record import Record
from zoo.bench.report import count, natural_key
from zoo.bench.stats import Sample, describe, metric_bounds, welch_p

ALPHA = 0.05


def compare(records: list[Record], a: str, b: str) -> list[dict]:
    """One row per task instance that both models ran: statistics, costs and a verdict."""
    rows = []
    for label in sorted({r.label for r in records}, key=natural_key):
        runs = {m: [r for r in records if r.label == label and r.model == m and r.done] for m in (a, b)}
        if not runs[a] or not runs[b]:
            continue
        head = runs[a][0]
        values = {m: [r.test_metric for r in runs[m]] for m in (a, b)}
        bounds = metric_bounds(head.metric, head.higher_is_better)
        row = {"label": label, "metric": head.metric, "higher_is_better": head.higher_is_better,
               "baseline": head.baseline, "p_value": welch_p(values[a], values[b])}
        for m in (a, b):
            solved = [r for r in runs[m] if r.solved]
            throughput = [r.train_sequences_per_second for r in runs[m] if r.train_sequences_per_second]
            row[m] = {"stats": describe(values[m], bounds=bounds), "values": values[m],
                      "params": runs[m][0].params,
                      "seconds_per_epoch": float(np.mean([r.seconds_per_epoch for r in runs[m]])),
                      "sequences_per_second": float(np.mean(throughput)) if throughput else None,
                      "solved": len(solved), "runs": len(runs[m]),
                      "epochs_to_solve": [r.epochs_to_solve for r in runs[m] if r.epochs_to_solve]}
        row["verdict"] = verdict(row, a, b)
        rows.append(row)
    return rows


def verdict(row: dict, a: str, b: str) -> str:
    sa, sb = row[a]["stats"], row[b]["stats"]
    p = row["p_value"]
    if sa.n < 2 or sb.n < 2 or p is None:
        if sa.n >= 2 and sb.n >= 2 and sa.mean == sb.mean:
            return f"identical results over {sa.n} seeds"
        return f"too few seeds to test ({a}: {sa.n}, {b}: {sb.n}; need 2 each)"
    n = min(sa.n, sb.n)
    if p >= ALPHA:
        return f"no significant difference with {n} seeds (p={p:.2g})"
    higher = row["higher_is_better"]
    winner = a if (sa.mean > sb.mean) == higher else b
    return f"{winner.upper()} better, p={p:.2g}"


def _ms(s: Sample) -> str:
    if s.mean is None:
        return "—"
    return f"{s.mean:.4g}" + (f" ± {s.std:.2g}" if s.std is not None else "")


def _ci(s: Sample) -> str:
    return "—" if s.ci_low is None else f"[{s.ci_low:.4g}, {s.ci_high:.4g}]"


def _solve(m: dict) -> str:
    epochs = m["epochs_to_solve"]
    when = f", epoch {np.mean(epochs):.3g} on average" if epochs else ""
    return f"{m['solved']}/{m['runs']}{when}"


def interval_methods(rows: list[dict], a: str, b: str) -> str:
    """Which interval each metric got, e.g. 'mse: Student t on the log scale; accuracy: ...'."""
    methods: dict[str, set[str]] = {}
    for r in rows:
        for m in (a, b):
            s = r[m]["stats"]
            if s.ci_low is not None and s.std:  # no interval, or every seed equal: no method to name
                methods.setdefault(r["metric"], set()).add(s.method)
    return "; ".join(f"{metric}: {', '.join(sorted(ms))}" for metric, ms in methods.items()) or "none (too few seeds)"


def render(rows: list[dict], a: str, b: str, run_dir: Path | str) -> str:
    lines = [f"# {a} vs {b}", "",
             f"Run: `{run_dir}`. Test metric over seeds: mean ± sample std and a 95% confidence interval of the "
             f"mean that stays inside the metric's range (losses >= 0, accuracies in [0, 1]); "
             f"p from Welch's t-test (scipy.stats.ttest_ind, equal_var=False), significant below {ALPHA}.", ""]
    if not rows:
        return "\n".join(lines + [f"No task in this run has finished cells of both {a} and {b}.", ""])
    lines += [f"Interval method: {interval_methods(rows, a, b)}.", ""]
    lines += ["| task | metric | " + " | ".join(f"{m} mean ± std | {m} 95% CI" for m in (a, b))
              + " | p | verdict |", "|---|---|" + "---:|---:|" * 2 + "---:|---|"]
    for r in rows:
        better = "↑" if r["higher_is_better"] else "↓"
        cells = " | ".join(f"{_ms(r[m]['stats'])} | {_ci(r[m]['stats'])}" for m in (a, b))
        p = "—" if r["p_value"] is None else f"{r['p_value']:.3g}"
        lines.append(f"| {r['label']} | {r['metric']} {better} | {cells} | {p} | {r['verdict']} |")
    lines += ["", "Cost and memory:", "",
              "| task | model | params | s/epoch | train seq/s | solved (epochs to solve) | baseline |",
              "|---|---|---:|---:|---:|---|---:|"]
    for r in rows:
        for m in (a, b):
            lines.append(f"| {r['label']} | {m} | {r[m]['params']} | {r[m]['seconds_per_epoch']:.3g} "
                         f"| {count(r[m]['sequences_per_second'])} | {_solve(r[m])} | {r['baseline']:.4g} |")
    return "\n".join(lines) + "\n"


def verdict_lines(rows: list[dict]) -> list[str]:
    return [f"{r['label']}: {r['verdict']}" for r in rows]
