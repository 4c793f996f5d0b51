"""Figures (headless matplotlib, PNG): learning curves, final metrics, A-vs-B, memory sweeps, gradient flow."""
from __future__ import annotations

import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

import zoo  # noqa: E402
from zoo.bench.execution import lengths  # noqa: E402
from zoo.bench.analysis import sweep
from zoo.bench.design.ordering import model_key, natural_key, slug  # noqa: E402
from zoo.bench.execution.record import Record  # noqa: E402
from zoo.bench.analysis.stats import describe, metric_bounds  # noqa: E402

SAVE = dict(dpi=110, bbox_inches="tight", metadata={"Software": None})  # no version stamp: stable bytes


# A model's colour follows from its name alone, so it is the same in every figure: the family
# (...rnn, ...lstm, ...gru) gives the hue, bidirectional is lighter, deep darker, and any other
# variant takes one of the family's other tones by its place among the registered variants of that
# family (by name, so the colour does not depend on import order; a hash of the name collided).
FAMILY_TONES = {  # base, bi*, deep_*, then the other variants' tones
    "rnn": ["#1f77b4", "#74add1", "#08306b", "#17becf", "#6a51a3", "#4292c6", "#9ecae1"],
    "lstm": ["#d62728", "#f4a582", "#67000d", "#9467bd", "#e377c2", "#ff7f0e", "#8c564b"],
    "gru": ["#2ca02c", "#a1d99b", "#00441b", "#bcbd22", "#8c6d31", "#74c476", "#637939"],
}
OTHER_TONES = ["#7f7f7f", "#393b79", "#843c39", "#7b4173", "#5254a3", "#636363"]  # no family's


def model_color(name: str) -> str:
    """The one colour of model `name` in every figure."""
    family = next((f for f in FAMILY_TONES if name.endswith(f)), None)
    if family is None:
        return OTHER_TONES[zlib.crc32(name.encode()) % len(OTHER_TONES)]
    tones, prefix = FAMILY_TONES[family], name[: -len(family)]
    plain = ("", "bi", "deep_")
    if prefix in plain:
        return tones[plain.index(prefix)]
    variants = sorted(m for m in zoo.list_models() if m.endswith(family) and m[: -len(family)] not in plain)
    place = variants.index(name) if name in variants else zlib.crc32(name.encode())
    return tones[3 + place % (len(tones) - 3)]


def _log_scale(metric: str, higher_is_better: bool) -> bool:
    return not higher_is_better  # losses span orders of magnitude as a memory task gets solved


def _save(fig, path: Path) -> Path:
    fig.savefig(path, **SAVE)
    plt.close(fig)
    return path


def seed_band(curves: list[list]) -> tuple[np.ndarray, ...] | None:
    """Epochs (1-based) where some seed has a finite value, and the mean, min and max over those seeds.

    A diverged seed's history holds NaN (null in the cell file); an epoch where every seed is NaN
    is left out instead of averaged, and a model with no finite value at all gets None.
    """
    grid = np.full((len(curves), max((len(c) for c in curves), default=0)), np.nan)  # (seeds, epochs)
    for i, c in enumerate(curves):
        grid[i, : len(c)] = np.asarray(c, dtype=float)  # None -> NaN
    grid[~np.isfinite(grid)] = np.nan
    keep = ~np.isnan(grid).all(axis=0)
    if not keep.any():
        return None
    grid = grid[:, keep]
    return np.flatnonzero(keep) + 1, np.nanmean(grid, 0), np.nanmin(grid, 0), np.nanmax(grid, 0)


def learning_curves(records: list[Record], out: Path) -> list[Path]:
    """Per task instance: validation metric per epoch, mean line and min-max band over seeds, per model."""
    paths = []
    for label in sorted({r.label for r in records}, key=natural_key):
        runs = [r for r in records if r.label == label and r.done]
        if not runs:
            continue
        metric, higher = runs[0].metric, runs[0].higher_is_better
        fig, ax = plt.subplots(figsize=(8, 5))
        for model in sorted({r.model for r in runs}, key=model_key):
            band = seed_band([r.history.get(f"val_{metric}", []) for r in runs if r.model == model])
            if band is None:
                ax.plot([], [], color=model_color(model), label=f"{model} (no finite value)")
                continue
            epochs, mean, low, high = band
            ax.plot(epochs, mean, color=model_color(model), label=model, lw=1.8)
            ax.fill_between(epochs, low, high, color=model_color(model), alpha=0.15)
        ax.axhline(runs[0].baseline, color="black", ls="--", lw=1, label="baseline")
        if _log_scale(metric, higher):
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
        ax.set(xlabel="epoch", ylabel=f"validation {metric}", title=f"{label}: learning curves (band: min-max over seeds)")
        ax.legend(fontsize=8, ncol=2)
        paths.append(_save(fig, out / f"curves-{slug(label)}.png"))
    return paths


def _mean_and_ci(ax, x: float, model: str, values: list[float], metric: str, higher: bool) -> str | None:
    """A point at the mean with its 95% CI (never a bar: a bar's length means nothing on a log axis),
    the seeds as dots; returns the interval's method."""
    values = [v for v in values if v is not None and np.isfinite(v)]
    s = describe(values, bounds=metric_bounds(metric, higher))
    if s.mean is None:
        return None
    err = None if s.ci_low is None else [[s.mean - s.ci_low], [s.ci_high - s.mean]]
    ax.errorbar(x, s.mean, yerr=err, fmt="o", ms=7, capsize=4, color=model_color(model), label=model)
    ax.plot([x] * len(values), values, "k.", ms=4, zorder=3)
    return s.method if s.std else None


def _finish_panel(ax, names: list[str], baseline, metric: str, higher: bool, title: str, methods: set) -> None:
    ax.axhline(baseline, color="black", ls="--", lw=1)
    ax.set_xticks(range(len(names)), names, rotation=60 if len(names) > 2 else 0,
                  ha="right" if len(names) > 2 else "center", fontsize=8)
    ax.set_xlim(-0.6, len(names) - 0.4)
    if _log_scale(metric, higher):
        ax.set_yscale("log")
    methods.discard(None)
    ci = f"\nCI: {', '.join(sorted(methods))}" if methods else ""
    ax.set(title=title + ci, ylabel=f"test {metric}")


def final_metrics(records: list[Record], out: Path) -> list[Path]:
    """Test metric per model (mean, 95% CI, seeds as dots), one panel per task instance."""
    labels = sorted({r.label for r in records if r.done}, key=natural_key)
    if not labels:
        return []
    fig, axes = plt.subplots(1, len(labels), figsize=(5 * len(labels), 4.8), squeeze=False, layout="constrained")
    for ax, label in zip(axes[0], labels):
        runs = [r for r in records if r.label == label and r.done]
        metric, higher = runs[0].metric, runs[0].higher_is_better
        models = sorted({r.model for r in runs}, key=model_key)
        methods = set()
        for i, model in enumerate(models):
            vals = [r.test_metric for r in runs if r.model == model and r.test_metric is not None]
            methods.add(_mean_and_ci(ax, i, model, vals, metric, higher))
        _finish_panel(ax, models, runs[0].baseline, metric, higher, label, methods)
    fig.suptitle("Final test metric (point: mean, bar: 95% CI of the mean, dots: seeds, dashed: baseline)")
    return [_save(fig, out / "final-metrics.png")]


def compare_chart(rows: list[dict], a: str, b: str, out: Path) -> Path | None:
    """A vs B per task: mean with 95% CI and each seed."""
    if not rows:
        return None
    fig, axes = plt.subplots(1, len(rows), figsize=(3.6 * len(rows), 4.4), squeeze=False, layout="constrained")
    for ax, row in zip(axes[0], rows):
        methods = {_mean_and_ci(ax, i, m, row[m]["values"], row["metric"], row["higher_is_better"])
                   for i, m in enumerate((a, b))}
        p = "p n/a" if row["p_value"] is None else f"p={row['p_value']:.2g}"
        _finish_panel(ax, [a, b], row["baseline"], row["metric"], row["higher_is_better"], f"{row['label']}, {p}",
                      methods)
    fig.suptitle(f"{a} vs {b}: mean and 95% CI over seeds\n(dots: seeds, dashed: baseline)")
    return _save(fig, out / f"compare-{a}-{b}.png")


def memory_sweeps(records: list[Record], out: Path) -> list[Path]:
    """Solved metric vs the swept parameter, per model."""
    paths = []
    for sw in sweep.find_sweeps(records):
        rows = sweep.sweep_table(records, sw)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for row in rows:
            xs = [v for v in sw.values if row["points"][v]["mean"] is not None]
            ys = [row["points"][v]["mean"] for v in xs]
            errs = [row["points"][v]["std"] or 0.0 for v in xs]
            ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, color=model_color(row["model"]), label=row["model"])
        # the horizon counts only values past this line, so show how far below it each model is
        threshold = sw.solved.threshold
        ax.axhline(threshold, color="black", linestyle="--", linewidth=1,
                   label=f"solved ({'≥' if sw.solved.higher_is_better else '≤'} {threshold:g})")
        lo, hi = ax.get_ylim()  # axhline does not widen the limits; keep the line off the frame
        pad = 0.05 * (max(hi, threshold) - min(lo, threshold))
        ax.set_ylim(min(lo, threshold - pad), max(hi, threshold + pad))
        ax.set_xscale("log", base=2)
        ax.set_xticks(sw.values, [str(v) for v in sw.values])
        ax.set(xlabel=f"{sw.task}.{sw.param}", ylabel=f"test {sw.solved.metric}",
               title=f"Memory sweep on {sw.task}: {sw.solved.metric} vs {sw.param} (mean ± std over seeds)")
        ax.legend()
        paths.append(_save(fig, out / f"sweep-{sw.task}-{sw.param}.png"))
    return paths


def after(epochs: int) -> str:
    """What the second measurement follows: 'after 5 epochs of training', or 'untrained (0 epochs)'."""
    return "untrained (0 epochs)" if epochs == 0 else f"after {epochs} epoch{'s' * (epochs != 1)} of training"


def length_curves(records: list[Record], out: Path) -> list[Path]:
    """Per task instance tested at several lengths: the test score against the length per model (mean line,
    min-max band over seeds), the training lengths shaded, the solved threshold and the baseline dashed."""
    paths = []
    for label in sorted({r.label for r in records if r.done and r.test_by_length}, key=natural_key):
        runs = [r for r in records if r.label == label and r.done and r.test_by_length]
        metric, criterion = runs[0].metric, runs[0].criterion
        shortest, longest = runs[0].train_lengths
        fig, ax = plt.subplots(figsize=(8, 5))
        ax.axvspan(shortest, longest, color="0.85", label=f"training lengths {shortest}-{longest}")
        for model in sorted({r.model for r in runs}, key=model_key):
            curves = [lengths.by_length(r.test_by_length) for r in runs if r.model == model]
            tested = sorted({n for curve in curves for n, _ in curve})
            grid = np.array([[dict(curve).get(n, {}).get(metric) for n in tested] for curve in curves], dtype=float)
            grid[~np.isfinite(grid)] = np.nan  # (seeds, lengths); None -> NaN
            keep = ~np.isnan(grid).all(axis=0)
            if not keep.any():
                ax.plot([], [], color=model_color(model), label=f"{model} (no finite value)")
                continue
            xs, grid = np.array(tested)[keep], grid[:, keep]
            ax.plot(xs, np.nanmean(grid, 0), marker="o", ms=4, color=model_color(model), label=model, lw=1.8)
            ax.fill_between(xs, np.nanmin(grid, 0), np.nanmax(grid, 0), color=model_color(model), alpha=0.15)
        ax.axhline(criterion.threshold, color="black", ls=":", lw=1, label=f"solved ({criterion.describe()})")
        ax.axhline(runs[0].baseline, color="black", ls="--", lw=1, label="baseline")
        low, high = metric_bounds(metric, criterion.higher_is_better)
        if low is not None and high is not None:  # accuracies: the whole range, so tasks compare at a glance
            ax.set_ylim(low - 0.03 * (high - low), high + 0.03 * (high - low))
        ax.set_xscale("log")
        tested = sorted({int(n) for r in runs for n in r.test_by_length})
        ax.set_xticks(tested, [str(n) for n in tested])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set(xlabel="test length", ylabel=f"test {metric}",
               title=f"{label}: {metric} against length (band: min-max over seeds)")
        ax.legend(fontsize=8, ncol=2)
        paths.append(_save(fig, out / f"lengths-{slug(label)}.png"))
    return paths


def gradient_flow(result: dict, out: Path) -> Path:
    """||d loss / d x_t|| against t, before and after training, log scale."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True, layout="constrained")
    for ax, phase in zip(axes, ("init", "trained")):
        for model, res in result["models"].items():
            norms = np.asarray(res[phase]["norms"])
            ax.plot(np.arange(1, len(norms) + 1), norms, color=model_color(model), label=model)
        ax.set_yscale("log")
        ax.set(xlabel="time step t", title="at initialisation" if phase == "init" else after(result["epochs"]))
    axes[0].set_ylabel("mean ||d loss / d x_t||")
    axes[0].legend()
    fig.suptitle(f"Gradient flow through time on {result['task']} (loss at the last step)")
    return _save(fig, out / f"gradients-{slug(result['task'])}.png")


def run_figures(records: list[Record], out: Path) -> list[Path]:
    return (learning_curves(records, out) + final_metrics(records, out) + memory_sweeps(records, out)
            + length_curves(records, out))
