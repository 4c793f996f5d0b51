"""A run's trials from what the user asked for: a preset plus flags (`rnn-zoo run`'s, or zoo.bench.api's).

Light to import: matrix_from_args activates the run's Keras backend before it imports anything that loads
Keras (zoo.bench.matrix does), so it cannot live in matrix.py.
"""
from __future__ import annotations


def matrix_from_args(args, say=None):
    """The cells a `run` command asks for; UsageError on any bad value.

    Whatever the user sets beats the preset: `--set` task parameters, `model.HPARAM` over the
    preset's hyperparameters for every task, `recipe.FIELD` over the preset's recipe for every
    task, and `TASK.recipe.FIELD` over `recipe.FIELD`. Activates the run's Keras backend first.
    """
    from zoo import backends

    backend = backends.activate(getattr(args, "backend", None), getattr(args, "relaunch", None))
    import tasks
    import zoo
    from zoo.bench.matrix import MatrixSpec, UsageError, build_cells, expand_models, explicit_models, parse_sets
    from zoo.bench.presets import PRESETS, merge_hparams

    if args.preset not in PRESETS:
        raise UsageError(f"--preset {args.preset!r} is unknown; valid: {', '.join(PRESETS)}")
    preset = PRESETS[args.preset]
    models = expand_models(args.models or preset.models)
    task_params = {k: dict(v) for k, v in preset.task_params.items()}
    if args.tasks:
        names = [t.strip() for t in args.tasks.split(",") if t.strip()]
        for name in names:
            if name not in tasks.list_tasks():
                raise UsageError(f"--tasks: unknown task {name!r}; known tasks: {', '.join(tasks.list_tasks())}")
        task_params = {name: task_params.get(name, {}) for name in names}
    seeds = _seeds(args.seeds, preset.seeds)
    set_params, set_hparams, set_recipes = parse_sets(args.set)
    for name in [*set_params, *set_recipes]:
        if name != "*" and name not in task_params:
            raise UsageError(f"--set {name}.*: task {name!r} is not in this run; tasks: {', '.join(task_params)}")
    for name, params in set_params.items():
        task_params[name].update(params)
    recipe = {t: {**preset.recipe_for(t), **set_recipes.get("*", {}), **set_recipes.get(t, {})} for t in task_params}
    task_hparams = {t: merge_hparams(preset.hparams_for(t), set_hparams) for t in task_params}
    for name, hparams in task_hparams.items():
        try:
            zoo.RecurrentConfig.from_hparams(hparams, tuple(zoo.builder.CELL_OPTIONS))
        except ValueError as err:
            raise UsageError(f"model hyperparameters for {name}: {err}") from None
    spec = MatrixSpec(models, task_params, seeds, merge_hparams(preset.hparams, set_hparams), task_hparams, recipe,
                      backend=f"{backend} {backends.version(backend)}", explicit=explicit_models(args.models))
    return build_cells(spec, say) if say else build_cells(spec)


def _seeds(text: str | None, default: int) -> list[int]:
    from zoo.bench.matrix import UsageError

    if text is None:
        return list(range(default))
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--seeds {text!r}: expected a count or a comma-separated list of integers") from None
    if len(values) == 1:
        if values[0] < 1:
            raise UsageError(f"--seeds {text!r}: the count must be >= 1")
        return list(range(values[0]))
    for i, seed in enumerate(values):
        if seed < 0:
            raise UsageError(f"--seeds {text!r}: seed {seed} is negative; seeds are integers >= 0")
        if seed in values[:i]:
            raise UsageError(f"--seeds {text!r}: seed {seed} is repeated; list each seed once")
    return values
