"""After `rnn-zoo tune`: the best configuration of each study on fresh seeds, the default recipe on the same
seeds beside it, and what mattered (best hyperparameters, fANOVA importance, figures).

OUT/final and OUT/default are ordinary run folders: `rnn-zoo compare A B --run OUT/final` reads the tuned
verdicts ("tuned: ...") with the default recipe's beside them, and `compare --add-seeds` adds seeds there.
"""
from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import optuna
from optuna.trial import TrialState

import tasks
from zoo.bench.design import search_space
from zoo.bench.execution import store
from zoo.bench.experiment.compare import MARKER
from zoo.bench.design.matrix import Trial, validate_recipe
from zoo.bench.design.presets import merge_hparams
from zoo.bench.experiment.tune import FINISHED, TUNING_SEED, base_trial, budget_for, storage_for, study_name

FINAL, DEFAULT = store.TUNE_FINAL, store.TUNE_DEFAULT


def fresh_seeds(n: int) -> list[int]:
    """N seeds no trial trained on."""
    return [s for s in range(n + 1) if s != TUNING_SEED][:n]


def best_trial(study: optuna.Study, base: Trial) -> Trial:
    """The study's best trial as a cell (seed TUNING_SEED): its draws replayed through the search space."""
    spec = tasks.create_task(base.task, **base.task_params).spec
    fixed = optuna.trial.FixedTrial(study.best_trial.params)
    hparams, recipe = search_space.suggest(fixed, search_space.space(base.model, spec),
                                           validate_recipe(base.recipe, base.task)["batch_size"])
    return dataclasses.replace(base, hparams=merge_hparams(base.hparams, hparams),
                               recipe=validate_recipe({**base.recipe, **recipe}, base.task))


def final_trials(cells: list[Trial], out: Path, storage_url: str | None, seeds: int) -> tuple[list[Trial], list[Trial]]:
    """(tuned cells, default-recipe cells) on `seeds` fresh seeds; UsageError where a study has no best trial."""
    from zoo.values import UsageError

    storage = storage_for(out, storage_url)
    tuned, default = [], []
    for cell in cells:
        base = base_trial(cell, budget_for(cell))
        try:
            best = best_trial(optuna.load_study(study_name=study_name(cell), storage=storage), base)
        except (KeyError, ValueError):
            raise UsageError(f"--seeds: study {study_name(cell)} in {out} has no complete trial; tune it first") \
                from None
        for seed in fresh_seeds(seeds):
            tuned.append(dataclasses.replace(best, seed=seed))
            default.append(dataclasses.replace(base, seed=seed))
    return tuned, default


def write_marker(out: Path, trials: int) -> None:
    store.write_json(out / FINAL / MARKER, {"default_run": f"../{DEFAULT}", "trials": trials,
                                            "tuned_in": ".."})


def summary(study: optuna.Study) -> dict:
    """One study's finished trials, best value and hyperparameters, and fANOVA importances (name: share)."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    pruned = len(study.get_trials(deepcopy=False, states=(TrialState.PRUNED,)))
    best = study.best_trial if done else None
    return {"study": study.study_name, "model": study.study_name.rsplit("__", 1)[1],
            "budget": study.user_attrs.get("budget"), "finished": len(done) + pruned, "complete": len(done),
            "pruned": pruned, "best_value": best and best.value, "best_trial": best and best.number,
            "best_params": best.params if best else {}, "importance": importances(study) if done else {}}


def report(out: Path, storage_url: str | None = None) -> list[Path]:
    """OUT/tuning.md (per study: trials, best value and hyperparameters, fANOVA importance), the same as
    OUT/tuning.json, and three figures per study under OUT/figures/; returns the files written."""
    storage = storage_for(out, storage_url)
    lines = ["# Tuning", "", "Per study (model on task): finished trials (complete + pruned), the best validation "
             "score and its hyperparameters, and each hyperparameter's fANOVA importance (Hutter et al. 2014; "
             "Optuna's evaluator, over the complete trials; the importances sum to 1).", ""]
    written, summaries = [], []
    for name in sorted(optuna.get_all_study_names(storage)):
        study = optuna.load_study(study_name=name, storage=storage)
        s = summary(study)
        summaries.append(s)
        lines += [f"## {name}", "", f"{s['finished']} finished trials ({s['complete']} complete, {s['pruned']} "
                  f"pruned), parameter budget {s['budget']}.", ""]
        if not s["complete"]:
            lines += ["No complete trial yet.", ""]
            continue
        lines += [f"Best: {s['best_value']:.4g} (trial {s['best_trial']}): "
                  + ", ".join(f"{k}={_fmt(v)}" for k, v in s["best_params"].items()), ""]
        if s["importance"]:
            lines += ["| hyperparameter | fANOVA importance |", "|---|---:|"]
            lines += [f"| {k} | {v:.3f} |" for k, v in s["importance"].items()] + [""]
        else:
            lines += ["fANOVA importance: too few complete trials with differing hyperparameters.", ""]
        written += figures(study, out / "figures", name, has_importance=bool(s["importance"]))
    path = out / "tuning.md"
    store.write_atomic(path, "\n".join(lines) + "\n")
    store.write_json(out / store.TUNE_SUMMARY, summaries)
    return [path, out / store.TUNE_SUMMARY, *written]


def importances(study: optuna.Study) -> dict[str, float]:
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(done) < 2 or len({tuple(sorted(t.params.items())) for t in done}) < 2:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))


def figures(study: optuna.Study, folder: Path, name: str, has_importance: bool) -> list[Path]:
    """Optimisation history, importances (where fANOVA has any: `has_importance`), and validation score against
    learning rate, as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ov

    folder.mkdir(parents=True, exist_ok=True)
    plots = {"history": lambda: ov.plot_optimization_history(study),
             "slice-learning_rate": lambda: ov.plot_slice(study, params=["learning_rate"])}
    if has_importance:  # fANOVA is the costly part: summary() ran it once already
        plots["importance"] = lambda: ov.plot_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    paths = []
    for kind, plot in plots.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
            ax = plot()
        fig = (ax.flat[0] if hasattr(ax, "flat") else ax).figure
        path = folder / f"{name}-{kind}.png"
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def _fmt(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)
