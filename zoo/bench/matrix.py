"""A cell = (model, task, task parameters, seed, hyperparameters, recipe); a matrix = a list of cells."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import tasks
import zoo
from tasks.base import Recipe
from zoo.bench.ordering import slug


class UsageError(ValueError):
    """Bad user input (unknown model, malformed --set, ...): one line, exit code 2."""


@dataclass(frozen=True)
class Cell:
    model: str
    task: str
    task_params: dict[str, Any]
    seed: int
    hparams: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the task instance, e.g. "copy(T=50)"

    def config(self) -> dict[str, Any]:
        """Everything that determines the cell's result; its hash guards resumed runs."""
        return {"model": self.model, "task": self.task, "task_params": self.task_params, "seed": self.seed,
                "hparams": self.hparams, "recipe": self.recipe}

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


def build_cells(spec: MatrixSpec) -> list[Cell]:
    """Expand into cells ordered task instance -> seed -> model, so each dataset is made once."""
    cells: list[Cell] = []
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
            try:
                recipe = dataclasses.asdict(Recipe(**{**dataclasses.asdict(task.recipe), **overrides}))
            except TypeError as err:
                raise UsageError(f"recipe for {task_name}: {err}") from None
            hparams = {**spec.hparams, **spec.task_hparams.get(task_name, {})}
            for model in spec.models:  # an option a model lacks (e.g. chrono without gates) fails here, not mid-run
                try:
                    zoo.check_model(model, task.spec, **hparams)
                except ValueError as err:
                    raise UsageError(f"{label}: {err}") from None
            for seed in spec.seeds:
                for model in spec.models:
                    cells.append(Cell(model, task_name, task.params, seed, hparams, recipe, label))
    ids = [c.cell_id for c in cells]
    if len(set(ids)) != len(ids):
        raise UsageError("two cells share an id; sweep a task parameter with distinct values")
    return cells


def parse_sets(items: list[str]) -> tuple[dict[str, dict], dict[str, Any], dict[str, dict]]:
    """--set values -> (task params, model hparams, recipe overrides per task).

    TASK.PARAM=V[,V...] sets (or sweeps) a task parameter; model.HPARAM=V sets a model
    hyperparameter; recipe.FIELD=V or TASK.recipe.FIELD=V overrides the training recipe.
    """
    task_params: dict[str, dict] = {}
    hparams: dict[str, Any] = {}
    recipes: dict[str, dict] = {}
    recipe_fields = {f.name: f for f in dataclasses.fields(Recipe)}
    for item in items:
        key, sep, text = item.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) not in (2, 3) or not all(parts) or not text:
            raise UsageError(f"--set {item!r}: expected TASK.PARAM=VALUE[,VALUE...], model.HPARAM=VALUE or "
                             f"recipe.FIELD=VALUE; tasks: {', '.join(tasks.list_tasks())}")
        if parts[0] == "model" and len(parts) == 2:
            hparams[parts[1]] = _scalar(text)
            continue
        if parts[-2] == "recipe":
            owner = parts[0] if len(parts) == 3 else "*"
            if parts[-1] not in recipe_fields:
                raise UsageError(f"--set {item!r}: unknown recipe field {parts[-1]!r}; valid: {', '.join(recipe_fields)}")
            recipes.setdefault(owner, {})[parts[-1]] = _scalar(text)
            continue
        if len(parts) != 2:
            raise UsageError(f"--set {item!r}: expected TASK.PARAM=VALUE")
        task_name, param = parts
        if task_name not in tasks.list_tasks():
            raise UsageError(f"--set {item!r}: unknown task {task_name!r}; known tasks: {', '.join(tasks.list_tasks())}")
        valid = tasks.task_params(task_name)
        if param not in valid:
            raise UsageError(f"--set {item!r}: unknown parameter {param!r} for task {task_name!r}; valid: {', '.join(valid)}")
        values = [v.strip() for v in text.split(",")]
        task_params.setdefault(task_name, {})[param] = values if len(values) > 1 else values[0]
    return task_params, hparams, recipes


def _scalar(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()
