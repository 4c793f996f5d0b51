"""A trial = (model, task, task parameters, seed, hyperparameters, recipe): one matrix entry; a matrix = a list
of trials. On disk a trial's record keeps the name cell (OUT/cells/<cell_id>.json, the `cell_id` field), so every
committed result reads as it was written."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import keras

import tasks
import zoo
from tasks.base import Recipe
from tasks.registry import TASKS
from zoo.bench.design.ordering import slug
from zoo.bench.design.presets import merge_hparams
from zoo.values import UsageError, field_types, parse_value


@dataclass(frozen=True)
class Trial:
    model: str
    task: str
    task_params: dict[str, Any]
    seed: int
    hparams: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the task instance, e.g. "copy(T=50)"
    backend: str = ""  # the Keras backend and its version, e.g. "jax 0.10.2"

    def config(self) -> dict[str, Any]:
        """Everything that determines the cell's result; its hash guards resumed runs."""
        return {"model": self.model, "task": self.task, "task_params": self.task_params, "seed": self.seed,
                "hparams": self.hparams, "recipe": self.recipe, "backend": self.backend}

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.config(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def cell_id(self) -> str:
        """File-name-safe and unique within a run: copy-T50__lstm__seed0."""
        return f"{slug(self.label)}__{self.model}__seed{self.seed}"

    def data_key(self) -> str:
        """Cells with the same key share one prepared dataset."""
        return json.dumps([self.task, self.task_params, self.seed, self.recipe.get("batch_size")], sort_keys=True)


@dataclass(frozen=True)
class MatrixSpec:
    """What to run, before expansion into cells. Values of `task_params` that are lists are swept."""

    models: list[str]
    task_params: dict[str, dict[str, Any]]  # task -> {param: value or [values]}
    seeds: list[int]
    hparams: dict[str, Any] = field(default_factory=dict)  # for every model
    task_hparams: dict[str, dict[str, Any]] = field(default_factory=dict)  # per task, over `hparams`
    recipe: dict[str, dict[str, Any]] = field(default_factory=dict)  # per task, over the task's recipe
    backend: str = ""  # e.g. "jax 0.10.2": part of every cell's config
    explicit: tuple[str, ...] = ()  # models the user named without a wildcard: refused, not skipped, where unfit


def explicit_models(patterns: str | None) -> tuple[str, ...]:
    """The names in a --models value that are no wildcard patterns."""
    return tuple(p.strip() for p in (patterns or "").split(",") if p.strip() and not set(p) & set("*?[]"))


def reads_future(task: tasks.Task, cfg: Any) -> str | None:
    """Why a model whose checked config is `cfg` (zoo.check_model) may not run on `task`, or None.

    A next-step task (task.causal) scores the output at step t against step t + 1's input, so a
    model whose output there reads later steps is handed the answer.
    """
    if task.causal and isinstance(cfg, zoo.RecurrentConfig) and not cfg.causal:
        return f"bidirectional, so the output at step t reads later steps, and {task.name} is next-step prediction"
    return None


def twin_of(task: tasks.Task, model: str, others: list[str], checked: dict[str, Any], hparams: dict) -> str | None:
    """Why `model` need not train on `task` beside one of `others`, which builds the same network there, or None.

    Pooling shapes only a sequence-level head; a per-step head (copy, next-step prediction) never
    pools, so e.g. attention_bilstm there is bilstm, to every weight.
    """
    cfg = checked[model]
    if not (task.spec.output.per_step and isinstance(cfg, zoo.RecurrentConfig) and cfg.pooling != "last"):
        return None
    plain = dataclasses.replace(cfg, pooling="last")
    for twin in (m for m in others if checked[m] == plain):
        if _layers(model, task, hparams) == _layers(twin, task, hparams):
            return (f"the same network as {twin} here (a per-step head never pools, so pooling={cfg.pooling!r} "
                    f"does not apply): see {twin}'s row")
    return None


def _layers(model: str, task: tasks.Task, hparams: dict) -> str:
    """The built model's layers and their settings, whatever the model is called."""
    config = zoo.create_model(model, task.spec, **hparams).get_config()
    config.pop("name")
    return json.dumps(config, sort_keys=True, default=str)


def _say(line: str) -> None:
    print(f"rnn-zoo: {line}", file=sys.stderr, flush=True)


def say_and_keep(lines: list[str]) -> Callable[[str], None]:
    """A `say` for build_trials that also appends each line to `lines`."""
    def say(line: str) -> None:
        lines.append(line)
        _say(line)
    return say


def expand_models(patterns: str | list[str]) -> list[str]:
    """'lstm,gru,bi*' -> registered names in registry order; a pattern matching nothing is an error."""
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",") if p.strip()]
    names: list[str] = []
    for pattern in patterns:
        matched = zoo.list_models(pattern)
        if not matched:
            raise UsageError(f"--models: {pattern!r} matches no model; known models: {', '.join(zoo.list_models())}")
        names += [m for m in matched if m not in names]
    return names


def build_trials(spec: MatrixSpec, say: Callable[[str], None] = _say) -> list[Trial]:
    """Expand into cells ordered task instance -> seed -> model, so each dataset is made once.

    A model unfit for a task (reads_future) is refused if `spec.explicit` names it, else skipped
    with the reason told to `say`.
    """
    cells: list[Trial] = []
    for task_name, params in spec.task_params.items():
        swept = {k: v for k, v in params.items() if isinstance(v, list)}
        fixed = {k: v for k, v in params.items() if not isinstance(v, list)}
        for values in itertools.product(*swept.values()):
            try:
                task = tasks.create_task(task_name, **fixed, **dict(zip(swept, values)))
            except ValueError as err:
                raise UsageError(str(err)) from None
            label = task.describe(also=swept)
            overrides = {**spec.recipe.get("*", {}), **spec.recipe.get(task_name, {})}
            recipe = validate_recipe({**dataclasses.asdict(task.recipe), **overrides}, task_name)
            hparams = merge_hparams(spec.hparams, spec.task_hparams.get(task_name, {}))
            if not task.spec.input.is_tokens:  # `--set model.embedding_dim` is for the run's token tasks
                hparams = {k: v for k, v in hparams.items() if k not in zoo.builder.TOKEN_ONLY}
            models, checked, skipped = [], {}, {}  # skipped: reason -> models
            for model in spec.models:  # an option a model lacks (e.g. chrono without gates) fails here, not mid-run
                try:
                    checked[model] = zoo.check_model(model, task.spec, **hparams)
                except ValueError as err:
                    raise UsageError(f"{label}: {err}") from None
                why = reads_future(task, checked[model])
                if why and model in spec.explicit:
                    raise UsageError(f"{label}: model {model!r} is {why}; choose a unidirectional model")
                (skipped.setdefault(why, []) if why else models).append(model)
            for model in list(models):
                why = twin_of(task, model, models, checked, hparams)
                if why:
                    models.remove(model)
                    skipped.setdefault(why, []).append(model)
            for reason, names in skipped.items():
                say(f"{label}: skipping {', '.join(names)}: {reason}")
            if not models:
                reasons = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in skipped.items())
                raise UsageError(f"{label}: none of the models can run on it ({reasons})")
            for seed in spec.seeds:
                for model in models:
                    cells.append(Trial(model, task_name, task.params, seed, hparams, recipe, label, spec.backend))
    ids = [c.cell_id for c in cells]
    if len(set(ids)) != len(ids):
        raise UsageError("two cells share an id; sweep a task parameter with distinct values")
    return cells


def parse_sets(items: list[str]) -> tuple[dict[str, dict], dict[str, Any], dict[str, dict]]:
    """--set values -> (task params, model hparams, recipe overrides per task or "*"), each typed by its field.

    TASK.PARAM=V[,V...] sets (or sweeps) a task parameter; model.HPARAM=V sets a model
    hyperparameter; recipe.FIELD=V or TASK.recipe.FIELD=V overrides the training recipe.
    """
    task_params: dict[str, dict] = {}
    hparams: dict[str, Any] = {}
    recipes: dict[str, dict] = {}
    known_tasks = tasks.list_tasks()
    for item in items:
        key, sep, text = item.partition("=")
        parts = key.strip().split(".")
        where = ".".join(parts)  # how errors name the target, e.g. "copy.recipe.epochs"
        if not sep or len(parts) not in (2, 3) or not all(parts) or not text:
            raise UsageError(f"--set {item!r}: expected TASK.PARAM=VALUE[,VALUE...], model.HPARAM=VALUE or "
                             f"recipe.FIELD=VALUE; tasks: {', '.join(known_tasks)}")
        if parts[0] == "model" and parts[1:] == ["params"]:  # a budget: 70000, 300k, 1.5M
            try:
                hparams["params"] = zoo.budget.parse_params(text)
            except ValueError as err:
                raise UsageError(f"--set {item!r}: expected {err}") from None
            continue
        if parts[0] == "model" and len(parts) == 2:
            hint = _field_type(item, zoo.builder.hyperparameter_types(), parts[1], "hyperparameter")
            hparams[parts[1]] = parse_value(text, hint, where)
            continue
        owner = "*" if len(parts) == 2 and parts[0] == "recipe" else parts[0]
        if owner != "*" and owner not in known_tasks:
            raise UsageError(f"--set {item!r}: unknown task {owner!r}; known tasks: {', '.join(known_tasks)}")
        if parts[-2] == "recipe":
            hint = _field_type(item, Recipe, parts[-1], "recipe field")
            recipes.setdefault(owner, {})[parts[-1]] = parse_value(text, hint, where)
            continue
        if len(parts) != 2:
            raise UsageError(f"--set {item!r}: expected TASK.PARAM=VALUE")
        hint = _field_type(item, TASKS.get(owner), parts[1], "parameter", f" for task {owner!r}")
        values = [parse_value(v, hint, where) for v in text.split(",")]
        task_params.setdefault(owner, {})[parts[1]] = values if len(values) > 1 else values[0]
    return task_params, hparams, recipes


def _field_type(item: str, cls: type | dict, name: str, what: str, whose: str = "") -> Any:
    """The type of field `name` of dataclass `cls` (or in a {name: type} dict); UsageError listing the valid ones."""
    types = cls if isinstance(cls, dict) else field_types(cls)
    if name not in types:
        raise UsageError(f"--set {item!r}: unknown {what} {name!r}{whose}; valid: {', '.join(types)}")
    return types[name]


def validate_recipe(fields: dict[str, Any], task: str) -> dict[str, Any]:
    """`fields` as a complete, checked Recipe dict; UsageError naming the task, field and value otherwise."""
    try:
        recipe = Recipe(**fields)
    except TypeError as err:
        raise UsageError(f"recipe for {task}: {err}") from None

    def bad(name: str, rule: str) -> UsageError:
        return UsageError(f"recipe for {task}: {name} must be {rule}, got {getattr(recipe, name)!r}")

    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def integer(value, least: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= least

    if not isinstance(recipe.optimizer, str) or not _known_optimizer(recipe.optimizer):
        raise bad("optimizer", "an optimizer Keras knows (e.g. adam, adamw, rmsprop, sgd)")
    if not (number(recipe.learning_rate) and recipe.learning_rate > 0):
        raise bad("learning_rate", "a number > 0")
    for name in ("batch_size", "epochs"):
        if not integer(getattr(recipe, name), 1):
            raise bad(name, "an integer >= 1")
    if not integer(recipe.patience, 0):
        raise bad("patience", "an integer >= 0")
    if recipe.clipnorm is not None and not (number(recipe.clipnorm) and recipe.clipnorm >= 0):
        raise bad("clipnorm", "a number >= 0 or none (0 and none: no clipping)")
    return dataclasses.asdict(recipe)


@functools.lru_cache(maxsize=None)
def _known_optimizer(name: str) -> bool:
    try:
        keras.optimizers.get(name)
    except ValueError:
        return False
    return True
