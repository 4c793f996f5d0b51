"""Training speed with and without recomputed steps (zoo.recompute), alternated (a benchmark, not a test).

    KERAS_BACKEND=jax python -m zoo.bench.speed.recompute_bench --models lstm,bilstm,deep_lstm --tasks adding,imdb

Each (model, task) is built twice from the same seed at the preset's shapes, hyperparameters and
batch size, recomputing and not; after an untimed epoch that compiles both, rounds alternate the
two, each timing one epoch over `--sequences` sequences, through the runner's own training path
(the task's Batches into `fit`). A figure is a round's training sequences/s; the ratio is
recomputed over plain, from the means.
"""
from __future__ import annotations

import argparse
import functools

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="lstm,bilstm,deep_lstm,peephole_lstm,cifg_lstm,gru,bigru,deep_gru",
                   help="comma-separated model names")
    p.add_argument("--tasks", default="adding,copy,imdb", help="comma-separated task names")
    p.add_argument("--preset", default="quick", help="whose shapes, hyperparameters and batch sizes (default: quick)")
    p.add_argument("--sequences", type=int, default=2048, help="sequences per timed epoch (default: 2048)")
    p.add_argument("--rounds", type=int, default=2, help="alternations of the two (default: 2)")
    args = p.parse_args(argv)

    import keras

    import tasks
    from tasks.base import Recipe
    from zoo.bench.design.presets import PRESETS
    from zoo.bench.speed.speed import epoch_rate, synthetic
    from zoo.bench.speed.timing import alternate
    from zoo.bench.execution.train import compile_for
    from zoo.recompute import recomputes_here, recomputing

    if not recomputes_here():
        raise SystemExit(f"steps are recomputed on JAX's CPU only; this is {keras.backend.backend()}")
    preset = PRESETS[args.preset]
    print(f"training sequences/s, {args.preset} shapes, {args.sequences:,} sequences an epoch, "
          f"{args.rounds} rounds alternated (Keras {keras.__version__}, {keras.backend.backend()})")
    print("| task | model | plain | recomputed | ratio |\n|---|---|---:|---:|---:|")
    for task_name in args.tasks.split(","):
        task = tasks.create_task(task_name, **preset.task_params[task_name])
        recipe = Recipe(**preset.recipe_for(task_name))
        x, y = synthetic(task, args.sequences, np.random.default_rng(0))
        for name in args.models.split(","):
            models = {}
            for recompute in (False, True):
                keras.utils.set_random_seed(0)
                with recomputing(recompute):
                    models[recompute] = compile_for(task, name, preset.hparams_for(task_name), recipe)
            batches = tasks.Batches(x, y, recipe.batch_size, seed=0)
            for model in models.values():
                model.fit(batches, epochs=1, verbose=0)  # compiles the step
            rates = alternate({recompute: functools.partial(epoch_rate, model, batches, len(x))
                               for recompute, model in models.items()}, args.rounds)
            show = lambda values: " / ".join(f"{v:,.0f}" for v in values)  # noqa: E731
            print(f"| {task.describe()} | {name} | {show(rates[False])} | {show(rates[True])} | "
                  f"{np.mean(rates[True]) / np.mean(rates[False]):.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
