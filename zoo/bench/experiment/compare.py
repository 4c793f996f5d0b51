r"""`rnn-zoo compare A B`: per task, which of two models is better, with the evidence.

`compare` decides per task with two tests at 0.05, both Welch t-tests (unequal variances):
Welch's test of no difference, and TOST, two one-sided tests that the difference lies inside a
margin, ±0.005 for accuracy and ±10% for a loss (MSE, cross-entropy), whose seeds spread in
proportion to their level, so losses are compared as the ratio of geometric means, the tests
run on log(value) (`zoo/bench/analysis/stats.py`, `margin_for`). The verdict is *equivalent* when TOST
is significant (even if Welch's test is too: a real difference inside the margin), else *A
better* or *B better* when Welch's test is, else *undecided: about N seeds a side would decide
it*: the seeds at which the nearer of the two tests reaches 80% power if the observed difference
and pooled spread are the truth (">50" beyond that). Each verdict line shows the difference or
ratio with its 95% interval, both p-values, the margin and the seeds a side, e.g.
`imdb(max_len=200): undecided: gru - lstm = -0.0182 [-0.14, +0.104], Welch p=0.53, TOST p=0.68
(margin ±0.005), 2 vs 2 seeds; about 27 seeds a side would decide it (Welch's test finding the
difference, ...)`. One seed a side, or a diverged model with no finite score, is undecided with
no test. `compare` only reads, unless `--write`, `-o` or `--add-seeds` asks otherwise.

`--add-seeds` (with an explicit `--run`) trains both models on the undecided tasks only, round
after round: each round takes a task to the seeds a side its verdict asks for (at least one
more, at most `--max-seeds`, default 10; failed seeds count), through the runner, on the run's
own backend, then recomputes every verdict; it stops when all decide or sit at the cap, and a
killed round resumes without retraining finished cells. Looking again after each round is
sequential testing: in 2,000 simulated comparisons of this rule (normal seeds, 2 a side to start,
cap 10, about 2.2 looks each) a true null difference ended as "A/B better" about 9% of the time,
and a true difference on the margin as "equivalent" about 8%, against 5% for a single look.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.bench.analysis import sequential, stats
from zoo.bench.analysis.stats import ALPHA, Comparison, Sample
from zoo.bench.analysis.verdicts import _num, _p, _short, compare, difference
from zoo.bench.execution import store
from zoo.bench.execution.record import Record
from zoo.bench.reporting.report import count, natural_key
from zoo.values import UsageError


MARKER = "tuned.json"  # in a run of `rnn-zoo tune --seeds`' best configurations (OUT/final): its default run


def default_run_of(run: Path) -> Path | None:
    """The default-recipe run beside a tuned run (OUT/final -> OUT/default), or None when `run` is not tuned."""
    import json

    marker = Path(run) / MARKER
    if not marker.is_file():
        return None
    return (Path(run) / json.loads(marker.read_text())["default_run"]).resolve()


def tuned_lines(rows: list[dict], default_rows: list[dict] | None) -> list[str]:
    """'label: tuned: VERDICT; default recipe: VERDICT', so a reader sees whether tuning changed the answer."""
    default = {r["label"]: r["verdict"] for r in default_rows or []}
    return [f"{r['label']}: tuned: {r['verdict']}" + (f"; default recipe: {default[r['label']]}"
                                                      if r["label"] in default else "; no default-recipe run")
            for r in rows]


def not_compared(records: list[Record], a: str, b: str) -> list[str]:
    """Why each task instance of the run that has no row was left out, e.g. 'copy(T=30): gru has no finished
    cells (lstm: 3)'."""
    lines = []
    for label in sorted({r.label for r in records}, key=natural_key):
        done = {m: sum(r.label == label and r.model == m and r.done for r in records) for m in (a, b)}
        if all(done.values()):
            continue
        tried = {m: sum(r.label == label and r.model == m for r in records) for m in (a, b)}
        lacking = [m for m in (a, b) if not done[m]]
        why = " and ".join(f"{m} has no finished cells" + (f" ({tried[m]} not finished)" if tried[m] else "")
                           for m in lacking)
        others = [f"{m}: {done[m]}" for m in (a, b) if done[m]]
        lines.append(f"{label}: {why}" + (f" ({', '.join(others)})" if others else ""))
    return lines


def _ms(s: Sample) -> str:
    if s.mean is None:
        return "—"
    return f"{s.mean:.4g}" + (f" ± {s.std:.2g}" if s.std is not None else "")


def _ci(s: Sample) -> str:
    return "—" if s.ci_low is None else f"[{s.ci_low:.4g}, {s.ci_high:.4g}]"


def _solve(m: dict) -> str:
    """'1/3 | epoch 4.5 (2/3 seeds)': solved on the test split, then when validation first met the rule, over
    the seeds whose validation did (the two splits can disagree)."""
    epochs = m["epochs_to_solve"]
    when = f"epoch {np.mean(epochs):.3g} ({len(epochs)}/{m['runs']} seeds)" if epochs else "never"
    return f"{m['solved']}/{m['runs']} | {when}"


def interval_methods(rows: list[dict], a: str, b: str) -> str:
    """Which interval each metric got, e.g. 'mse: Student t on the log scale; accuracy: ...'."""
    methods: dict[str, set[str]] = {}
    for r in rows:
        for m in (a, b):
            s = r[m]["stats"]
            if s.ci_low is not None and s.std:  # no interval, or every seed equal: no method to name
                methods.setdefault(r["metric"], set()).add(s.method)
    return "; ".join(f"{metric}: {', '.join(sorted(ms))}" for metric, ms in methods.items()) or "none (too few seeds)"


def render(rows: list[dict], a: str, b: str, run_dir: Path | str, skipped: list[str] = ()) -> str:
    lines = [f"# {a} vs {b}", "",
             f"Run: `{run_dir}`. Test metric over seeds: mean ± sample std and a 95% confidence interval of the "
             f"mean that stays inside the metric's range (losses >= 0, accuracies in [0, 1]).", "",
             f"Verdicts: accuracies compare as the difference {b} - {a}, losses as the ratio {b}/{a} of geometric "
             f"means (the tests run on log(value)), with a 95% Welch interval. Welch p: Welch's t-test of no "
             f"difference; TOST p: two one-sided Welch tests of a difference inside the margin "
             f"(accuracy {stats.ACCURACY_MARGIN.describe()}, losses {stats.LOSS_MARGIN.describe()}). "
             f"At {ALPHA}: equivalent when TOST is significant, else the better model when Welch's test is, "
             f"else undecided, with the seeds a side at which the nearer test reaches {stats.POWER:.0%} power "
             f"if the observed difference and spread are the truth.", ""]
    if skipped:
        lines += [f"Not compared: {'; '.join(skipped)}.", ""]
    if not rows:
        return "\n".join(lines + [f"No task in this run has finished cells of both {a} and {b}.", ""])
    lines += [f"Interval method: {interval_methods(rows, a, b)}.", ""]
    lines += ["| task | metric | " + " | ".join(f"{m} mean ± std | {m} 95% CI" for m in (a, b)) + " |",
              "|---|---|" + "---:|---:|" * 2]
    for r in rows:
        better = "↑" if r["higher_is_better"] else "↓"
        cells = " | ".join(f"{_ms(r[m]['stats'])} | {_ci(r[m]['stats'])}" for m in (a, b))
        lines.append(f"| {r['label']} | {r['metric']} {better} | {cells} |")
    lines += ["", "| task | difference [95% CI] | Welch p | TOST p | margin | seeds | verdict |",
              "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        t: Comparison = r["test"]
        diff = "—" if t.estimate is None else difference(t, a, b)
        if t.ci_low is not None:
            diff += f" [{_num(t.ci_low, t)}, {_num(t.ci_high, t)}]"
        short = _short(t, a, b) + (f" ({r['caveat']})" if r.get("caveat") else "")
        lines.append(f"| {r['label']} | {diff} | {_p(t.welch_p)} | {_p(t.tost_p)} | {t.margin.describe()} "
                     f"| {t.n_a} vs {t.n_b} | {short} |")
    lines += ["", "Cost and memory:", "",
              "| task | model | params | s/epoch | train seq/s | solved on test | first solved on validation "
              "| baseline |",
              "|---|---|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        for m in (a, b):
            lines.append(f"| {r['label']} | {m} | {r[m]['params']} | {r[m]['seconds_per_epoch']:.3g} "
                         f"| {count(r[m]['sequences_per_second'])} | {_solve(r[m])} | {r['baseline']:.4g} |")
    return "\n".join(lines) + "\n"


def verdict_lines(rows: list[dict]) -> list[str]:
    return [f"{r['label']}: {r['verdict']}" for r in rows]


def check_compared_models(a: str, b: str, run: Path, records: list[Record]) -> None:
    """Two different models, each with finished cells in the run; a typo names the known models."""
    import zoo
    from zoo.bench.design.ordering import model_key

    has = sorted({r.model for r in records if r.done}, key=model_key)
    for name in (a, b):
        if name in has:
            continue
        if name not in zoo.list_models():
            raise UsageError(f"compare: unknown model {name!r}; known models: {', '.join(zoo.list_models())}")
        raise UsageError(f"compare: {run} has no finished cells of {name}; its models: {', '.join(has) or 'none'}")
    if a == b:
        raise UsageError(f"compare: both models are {a}; name two different ones")


def load_compared(run: Path, a: str, b: str) -> list[Record]:
    """The run's records, once both models are known to have finished cells in it; UsageError if not."""
    records = store.load_cells(run)
    if not records:
        raise UsageError(f"--run {run} holds no cell files (expected {run}/cells/*.json)")
    check_compared_models(a, b, run, records)
    return records


def compared_rows(records: list[Record], a: str, b: str, run: Path) -> list[dict]:
    """compare() with the looks --add-seeds took in `run`, refusing (UsageError) a run in which no task has
    finished cells of both models."""
    rows = compare(records, a, b, sequential.load(run, a, b))
    if not rows:
        raise UsageError(f"compare: no task in {run} has finished cells of both {a} and {b}")
    return rows
