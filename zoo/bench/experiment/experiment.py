"""A run from what the user asked for (`rnn-zoo run`'s flags, or zoo.bench.api's arguments): its trials
(a preset plus what was set), then those trials trained into its folder.

Light to import: matrix_from_args activates the run's Keras backend before it imports anything that loads
Keras (zoo.bench.design.matrix does), so it cannot live in matrix.py.
"""
from __future__ import annotations

import sys
from pathlib import Path


def matrix_from_args(args, say=None):
    """The cells a `run` command asks for; UsageError on any bad value.

    Whatever the user sets beats the preset: `--set` task parameters, `model.HPARAM` over the
    preset's hyperparameters for every task, `recipe.FIELD` over the preset's recipe for every
    task, and `TASK.recipe.FIELD` over `recipe.FIELD`. Activates the run's Keras backend first, then imports
    the user's modules (--import).
    """
    from zoo import backends

    backend = backends.activate(getattr(args, "backend", None), getattr(args, "relaunch", None))
    from zoo.bench.execution.plugins import import_modules

    import_modules(getattr(args, "imports", []))  # on the run's backend, before their models are looked up
    import tasks
    import zoo
    from zoo.bench.design.matrix import MatrixSpec, UsageError, build_trials, expand_models, explicit_models, parse_sets
    from zoo.bench.design.presets import PRESETS, merge_hparams

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
    return build_trials(spec, say) if say else build_trials(spec)


def _seeds(text: str | None, default: int) -> list[int]:
    from zoo.bench.design.matrix import UsageError

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


def out_dir(args) -> Path:
    """Where a run writes: --out, or runs/PRESET (ignored by git, so a run never touches committed results)."""
    return Path(args.out or f"runs/{args.preset}")


def run_from_args(args, command: str) -> tuple[int, list]:
    """Train the trials `args` ask for into their folder (`rnn-zoo run`); the exit code and the trials.
    `command` is recorded in run.json as the one that made the run."""
    import json

    from zoo.bench.execution.executors import executor_from_args
    from zoo.bench.design.matrix import say_and_keep

    skipped: list[str] = []  # models the matrix leaves out, and why: results.md says so
    cells = matrix_from_args(args, say_and_keep(skipped))  # first: it picks the backend before Keras is imported
    import tasks
    from zoo import backends
    from zoo.bench.execution import runner, store
    from zoo.bench.reporting.reporters import Progress, TablesReporter
    from zoo.values import UsageError

    out = out_dir(args)
    store.check_writable(out)
    executor = executor_from_args(args)
    if args.resume and not store.load_cells(out):
        raise UsageError(f"--resume: {out} holds no earlier run")
    for key in sorted({(c.task, json.dumps(c.task_params, sort_keys=True)) for c in cells}):
        try:
            tasks.create_task(key[0], **json.loads(key[1])).check_data()
        except tasks.DataUnavailableError as err:
            raise UsageError(str(err)) from None
    info = store.run_info_for(out, cells, command, args.preset, args.extend, skipped)
    if args.executor == "ray":
        executor.connect()  # a cluster that cannot be reached exits 2 before anything is created
    backends.make_deterministic()  # same seed, same backend, same machine: same result
    print(f"results go to {out}/ ({len(cells)} cells)", file=sys.stderr, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    if info is not None:
        store.write_json(out / store.RUN_INFO, info)
    tables = TablesReporter(out)
    progress = Progress(out, concurrent=args.jobs > 1 or args.executor == "ray")
    code = runner.run_matrix(cells, out, reporters=[tables, progress], executor=executor, verbose=args.verbose,
                             tensorboard=args.tensorboard, imports=args.imports)
    for path in tables.paths:
        print(path)
    return code, cells
