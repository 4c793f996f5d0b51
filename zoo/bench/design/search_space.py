"""What `rnn-zoo tune` searches for each model: the training recipe, dropout and depth for all, chrono gate
initialisation where the model has gates, the eigenvalue ring where it is the LRU.

Units are never searched: every trial keeps the model at the study's parameter budget (`model.params`,
zoo.budget), so a deeper trial gets fewer units and tuning cannot buy capacity. Which options a model takes
is asked of zoo.check_model, not listed here, so a new family joins the search by what it supports.
"""
from __future__ import annotations

import inspect
from typing import Any

import zoo

# Greff et al. 2017 searched the learning rate log-uniformly over decades; Bai et al. 2018 up to 3 layers
# and four optimizers.
LEARNING_RATE = (1e-4, 3e-2)
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
# around the task's own batch size: JSB's 229 pieces take batches of 4, adding's 10,000 sequences 32 or more,
# and one fixed list would give JSB two updates an epoch
BATCH_FACTORS = (0.5, 1, 2, 4)
CLIPNORMS = (0.0, 1.0, 5.0)  # 0: no clipping
DROPOUT = (0.0, 0.5)
LAYERS = (1, 3)
GATE_INITS = ("default", "chrono")
R_MAX = (0.9, 0.9999)  # the LRU's ring: r_max, and r_min as a fraction of it (r_min < r_max by construction)
R_MIN_FRACTION = (0.0, 0.99)


def _accepts(model: str, spec, **hparams) -> bool:
    try:
        zoo.check_model(model, spec, **hparams)
    except ValueError:
        return False
    return True


def space(model: str, spec) -> list[str]:
    """The names of the hyperparameters searched for `model` on a task of `spec`."""
    names = ["learning_rate", "optimizer", "batch_size", "clipnorm", "dropout"]
    if _accepts(model, spec, num_layers=2):
        names.append("num_layers")
    if _accepts(model, spec, gate_init="chrono"):  # variable-length inputs would need a chrono_tmax: not searched
        names.append("gate_init")
    if _accepts(model, spec, r_min=0.5, r_max=0.99):
        names += ["r_max", "r_min_fraction"]
    return names


def batch_sizes(base: int) -> list[int]:
    """The batch sizes searched where the task's recipe (as the run sets it) takes batches of `base`."""
    return sorted({max(1, round(base * f)) for f in BATCH_FACTORS})


def suggest(trial, names: list[str], batch_size: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One trial's (model hyperparameters, recipe fields), drawn by an Optuna trial (or a FixedTrial);
    `batch_size` is the run's recipe's, around which the batch size is searched."""
    recipe = {"learning_rate": trial.suggest_float("learning_rate", *LEARNING_RATE, log=True),
              "optimizer": trial.suggest_categorical("optimizer", OPTIMIZERS),
              "batch_size": trial.suggest_categorical("batch_size", batch_sizes(batch_size)),
              "clipnorm": trial.suggest_categorical("clipnorm", CLIPNORMS) or None}
    hparams = {"dropout": trial.suggest_float("dropout", *DROPOUT)}
    if "num_layers" in names:
        hparams["num_layers"] = trial.suggest_int("num_layers", *LAYERS)
    if "gate_init" in names:
        hparams["gate_init"] = trial.suggest_categorical("gate_init", GATE_INITS)
    if "r_max" in names:
        r_max = trial.suggest_float("r_max", *R_MAX)
        hparams.update(r_max=r_max, r_min=r_max * trial.suggest_float("r_min_fraction", *R_MIN_FRACTION))
    return hparams, recipe


def default_draws(model: str, spec, hparams: dict, recipe: dict) -> dict[str, Any]:
    """The draws that make `suggest` return the run's own recipe and `model`'s defaults (`hparams` as the run
    sets them, `recipe` validated): enqueued as a study's first trial, so a study starts from the default and
    its best is never worse than it on validation. ValueError, saying why, where the default lies outside
    the space (e.g. a learning rate or clipnorm the space does not hold)."""
    cfg = zoo.check_model(model, spec, **hparams)
    if not isinstance(cfg, zoo.RecurrentConfig):
        raise ValueError(f"model {model!r} does not state its defaults (its builder does not go through "
                         "zoo.build_recurrent_model)")
    names = space(model, spec)
    clipnorm = float(recipe["clipnorm"] or 0.0)
    draws = {"learning_rate": recipe["learning_rate"], "optimizer": recipe["optimizer"],
             "batch_size": recipe["batch_size"], "clipnorm": clipnorm, "dropout": cfg.dropout}
    if "num_layers" in names:
        draws["num_layers"] = cfg.num_layers
    if "gate_init" in names:
        draws["gate_init"] = cfg.gate_init
    if "r_max" in names:  # the ring's defaults are the cell's own (zoo.LRUCell), unless the run set them
        ring = {k: cfg.options.get(k, p.default) for k, p in inspect.signature(zoo.LRUCell).parameters.items()
                if k in ("r_min", "r_max")}
        draws.update(r_max=ring["r_max"], r_min_fraction=ring["r_min"] / ring["r_max"])
    bounds = {"learning_rate": LEARNING_RATE, "dropout": DROPOUT, "num_layers": LAYERS, "r_max": R_MAX,
              "r_min_fraction": R_MIN_FRACTION}
    choices = {"optimizer": OPTIMIZERS, "clipnorm": CLIPNORMS, "gate_init": GATE_INITS}
    outside = [f"{k} {v!r}" for k, v in draws.items()
               if (k in bounds and not bounds[k][0] <= v <= bounds[k][1]) or (k in choices and v not in choices[k])]
    if outside:
        raise ValueError(f"model {model!r}: the default recipe lies outside the search space ({', '.join(outside)})")
    return draws
