"""Figures (headless matplotlib, PNG): learning curves, final metrics, A-vs-B, memory sweeps, gradient flow."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo.bench import store, sweep  # noqa: E402
from zoo.bench.ordering import model_key, natural_key, slug  # noqa: E402

SAVE = dict(dpi=110, bbox_inches="tight", metadata={"Software": None})  # no version stamp: stable bytes


# one hue per family (RNN blue, LSTM red, GRU green), lighter for bidirectional, darker for deep
FAMILY_COLORS = {"rnn": "#1f77b4", "birnn": "#74add1", "deep_rnn": "#08306b", "lstm": "#d62728", "bilstm": "#f4a582",
                 "deep_lstm": "#67000d", "peephole_lstm": "#9467bd", "cifg_lstm": "#e377c2", "gru": "#2ca02c",
                 "bigru": "#a1d99b", "deep_gru": "#00441b"}
OTHER_COLORS = ["#8c564b", "#bcbd22", "#17becf", "#7f7f7f"]


def _colors(models: list[str]) -> dict[str, str]:
    others = [m for m in sorted(models, key=model_key) if m not in FAMILY_COLORS]
    return {m: FAMILY_COLORS.get(m) or OTHER_COLORS[others.index(m) % len(OTHER_COLORS)] for m in models}


def _log_scale(metric: str, higher_is_better: bool) -> bool:
    return not higher_is_better  # losses span orders of magnitude as a memory task gets solved


def _save(fig, path: Path) -> Path:
    fig.savefig(path, **SAVE)
    plt.close(fig)
    return path


def learning_curves(records: list[dict], out: Path) -> list[Path]:
    """Per task instance: validation metric per epoch, mean line and min-max band over seeds, per model."""
    paths = []
    for label in sorted({r["label"] for r in records}, key=natural_key):
        runs = [r for r in records if r["label"] == label and r["status"] in store.DONE]
        if not runs:
            continue
        metric, higher = runs[0]["metric"], runs[0]["higher_is_better"]
        models = sorted({r["model"] for r in runs}, key=model_key)
        colors = _colors(models)
        fig, ax = plt.subplots(figsize=(8, 5))
        for model in models:
            curves = [r["history"].get(f"val_{metric}", []) for r in runs if r["model"] == model]
            length = max(len(c) for c in curves)
            grid = np.full((len(curves), length), np.nan)
            for i, c in enumerate(curves):
                grid[i, : len(c)] = c
            epochs = np.arange(1, length + 1)
            with np.errstate(all="ignore"):
                ax.plot(epochs, np.nanmean(grid, 0), color=colors[model], label=model, lw=1.8)
                ax.fill_between(epochs, np.nanmin(grid, 0), np.nanmax(grid, 0), color=colors[model], alpha=0.15)
        ax.axhline(runs[0]["baseline"], color="black", ls="--", lw=1, label="baseline")
        if _log_scale(metric, higher):
            ax.set_yscale("log")
        ax.set(xlabel="epoch", ylabel=f"validation {metric}", title=f"{label}: learning curves (band: min-max over seeds)")
        ax.legend(fontsize=8, ncol=2)
        paths.append(_save(fig, out / f"curves-{slug(label)}.png"))
    return paths


def final_metrics(records: list[dict], out: Path) -> list[Path]:
    """Test metric per model (mean, std error bar, seeds as dots), one panel per task instance."""
    labels = sorted({r["label"] for r in records if r["status"] in store.DONE}, key=natural_key)
    if not labels:
        return []
    fig, axes = plt.subplots(1, len(labels), figsize=(5 * len(labels), 4.5), squeeze=False, layout="constrained")
    for ax, label in zip(axes[0], labels):
        runs = [r for r in records if r["label"] == label and r["status"] in store.DONE]
        models = sorted({r["model"] for r in runs}, key=model_key)
        colors = _colors(models)
        for i, model in enumerate(models):
            vals = [r["test_metric"] for r in runs if r["model"] == model and r.get("test_metric") is not None]
            if not vals:
                continue
            ax.bar(i, np.mean(vals), yerr=np.std(vals, ddof=1) if len(vals) > 1 else None, color=colors[model],
                   capsize=3)
            ax.plot([i] * len(vals), vals, "k.", ms=4)
        ax.axhline(runs[0]["baseline"], color="black", ls="--", lw=1)
        ax.set_xticks(range(len(models)), models, rotation=60, ha="right", fontsize=8)
        if _log_scale(runs[0]["metric"], runs[0]["higher_is_better"]):
            ax.set_yscale("log")
        ax.set(title=label, ylabel=f"test {runs[0]['metric']}")
    fig.suptitle("Final test metric (bar: mean, error bar: std over seeds, dots: seeds, dashed: baseline)")
    return [_save(fig, out / "final-metrics.png")]


def compare_chart(rows: list[dict], a: str, b: str, out: Path) -> Path | None:
    """A vs B per task: mean with 95% CI and each seed."""
    if not rows:
        return None
    fig, axes = plt.subplots(1, len(rows), figsize=(3.6 * len(rows), 4.2), squeeze=False, layout="constrained")
    for ax, row in zip(axes[0], rows):
        for i, m in enumerate((a, b)):
            s = row[m]["stats"]
            if s.mean is None:
                continue
            err = None if s.ci_low is None else [[s.mean - s.ci_low], [s.ci_high - s.mean]]
            ax.bar(i, s.mean, yerr=err, color=("tab:blue", "tab:orange")[i], capsize=4, alpha=0.8)
            ax.plot([i] * len(row[m]["values"]), row[m]["values"], "k.", ms=5)
        ax.axhline(row["baseline"], color="black", ls="--", lw=1)
        if _log_scale(row["metric"], row["higher_is_better"]):
            ax.set_yscale("log")
        ax.set_xticks([0, 1], [a, b])
        p = "p n/a" if row["p_value"] is None else f"p={row['p_value']:.2g}"
        ax.set(title=f"{row['label']}\n{p}", ylabel=f"test {row['metric']}")
    fig.suptitle(f"{a} vs {b}: mean and 95% CI over seeds\n(dots: seeds, dashed: baseline)")
    return _save(fig, out / f"compare-{a}-{b}.png")


def memory_sweeps(records: list[dict], out: Path) -> list[Path]:
    """Solved metric vs the swept parameter, per model."""
    paths = []
    for sw in sweep.find_sweeps(records):
        rows = sweep.sweep_table(records, sw)
        colors = _colors([r["model"] for r in rows])
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for row in rows:
            xs = [v for v in sw.values if row["points"][v]["mean"] is not None]
            ys = [row["points"][v]["mean"] for v in xs]
            errs = [row["points"][v]["std"] or 0.0 for v in xs]
            ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, color=colors[row["model"]], label=row["model"])
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


def gradient_flow(result: dict, out: Path) -> Path:
    """||d loss / d x_t|| against t, before and after training, log scale."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True, layout="constrained")
    colors = _colors(list(result["models"]))
    for ax, phase in zip(axes, ("init", "trained")):
        for model, res in result["models"].items():
            norms = np.asarray(res[phase]["norms"])
            ax.plot(np.arange(1, len(norms) + 1), norms, color=colors[model], label=model)
        ax.set_yscale("log")
        ax.set(xlabel="time step t", title=f"{'at initialisation' if phase == 'init' else 'after training'}")
    axes[0].set_ylabel("mean ||d loss / d x_t||")
    axes[0].legend()
    fig.suptitle(f"Gradient flow through time on {result['task']} (loss at the last step)")
    return _save(fig, out / f"gradients-{slug(result['task'])}.png")


def run_figures(records: list[dict], out: Path) -> list[Path]:
    return learning_curves(records, out) + final_metrics(records, out) + memory_sweeps(records, out)
