"""Gradient flow through time: ||d loss / d x_t|| for every step t, before and after training.

The loss is read at the end of the sequence, so the gradient reaching step t has been multiplied
through T - t recurrent steps; a plain RNN's shrinks geometrically, a gated cell's need not.
"""
from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

import tasks
from tasks.base import Recipe, Task
from zoo.bench.execution.train import compile_for


def input_gradient_norms(model: keras.Model, x: np.ndarray, y: np.ndarray, loss) -> np.ndarray:
    """Mean over the batch of ||d loss / d x_t|| for each step t: shape (T,)."""
    inputs = model
    if model.inputs[0].dtype.startswith("int"):  # tokens: differentiate w.r.t. the embedded inputs
        embedding = model.get_layer("embedding")
        if embedding.mask_zero:
            raise ValueError("gradient flow needs unpadded inputs; this task's tokens are masked")
        x = keras.ops.convert_to_numpy(embedding(x))
        inputs = keras.Model(embedding.output, model.output)
    # the summed per-example loss: each example's gradient is its own, not divided by the batch size
    grad = gradient(lambda x: keras.ops.sum(loss(y, inputs(x, training=False))), x.astype("float32"))
    return np.linalg.norm(grad, axis=-1).mean(axis=0)


def gradient(f, x: np.ndarray) -> np.ndarray:
    """d f / d x for a scalar function of a tensor, on whichever backend Keras runs (Keras has no common API)."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(f)(x))
    if backend == "torch":
        x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        f(x).backward()
        return x.grad.cpu().numpy()
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = f(x)
    return tape.gradient(value, x).numpy()


def measure(task: Task, models: list[str], hparams: dict, epochs: int, seed: int = 0, batch: int = 256,
            recipe_overrides: dict | None = None) -> dict:
    """Gradient norms per model at initialisation and after `epochs` of the task's recipe."""
    recipe = Recipe(**{**dataclasses.asdict(task.recipe), **(recipe_overrides or {}), "epochs": epochs})
    splits = task.data(seed, batch_size=recipe.batch_size)
    x, y = splits.test.x[:batch], splits.test.y[:batch]
    loss = keras.losses.get(task.loss()) if isinstance(task.loss(), str) else task.loss()
    result = {"task": task.describe(), "task_params": task.params, "epochs": epochs, "seed": seed, "batch": int(len(x)),
              "hparams": hparams, "recipe": dataclasses.asdict(recipe), "models": {}}
    for name in models:
        keras.utils.set_random_seed(seed)
        model = compile_for(task, name, hparams, recipe)
        init = input_gradient_norms(model, x, y, loss)
        start = time.perf_counter()
        model.fit(splits.fresh().train, validation_data=splits.val, epochs=epochs, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        trained = input_gradient_norms(model, x, y, loss)
        test = model.evaluate(splits.test, verbose=0, return_dict=True)
        result["models"][name] = {
            "init": summary(init), "trained": summary(trained), "train_seconds": seconds,
            "test": {k: float(v) for k, v in test.items()},
        }
    return result


def summary(norms: np.ndarray) -> dict:
    first, last = float(norms[0]), float(norms[-1])
    return {"norms": [float(v) for v in norms], "first": first, "last": last,
            "first_over_last": first / last if last > 0 else None}


def main_args(args) -> int:
    """Body of `rnn-zoo gradients`."""
    import json
    from pathlib import Path

    from zoo import backends
    from zoo.bench.reporting import plots
    from zoo.bench.execution import store
    from zoo.bench.design.matrix import UsageError, expand_models, parse_sets
    from zoo.bench.design.ordering import slug
    from zoo.bench.execution.plugins import import_modules

    for flag, value, least in (("--epochs", args.epochs, 0), ("--batch", args.batch, 1)):
        if value < least:
            raise UsageError(f"{flag} {value}: expected an integer >= {least}")
    backends.activate(args.backend, getattr(args, "relaunch", None))
    import_modules(args.imports)
    task_params, hparams, recipes = parse_sets(args.set)
    unknown = set(task_params) - {args.task}
    if unknown:
        raise UsageError(f"--set {sorted(unknown)[0]}.*: this command runs task {args.task!r} only")
    try:
        task = tasks.create_task(args.task, **task_params.get(args.task, {}))
    except ValueError as err:
        raise UsageError(str(err)) from None
    if task.spec.input.padded or task.spec.input.length is None:
        raise UsageError(f"--task {args.task}: gradient flow needs a task with unpadded inputs (adding, copy)")
    backends.make_deterministic()
    models = expand_models(args.models)
    overrides = {**recipes.get("*", {}), **recipes.get(args.task, {})}
    try:
        result = measure(task, models, {"units": 64, **hparams}, args.epochs, args.seed, args.batch, overrides)
    except TypeError as err:  # an unknown recipe field
        raise UsageError(f"recipe: {err}") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store.write_json(out / f"gradients-{slug(task.describe())}.json", result)
    plot = plots.gradient_flow(result, out)
    print(f"gradient flow on {task.describe()}, batch {result['batch']}, {plots.after(args.epochs)} "
          f"(lr {result['recipe']['learning_rate']}):")
    for name, res in result["models"].items():
        for phase in ("init", "trained"):
            s = res[phase]
            print(f"  {name:14s} {phase:8s} ||g_1|| = {s['first']:.3e}  ||g_T|| = {s['last']:.3e}  "
                  f"||g_1||/||g_T|| = {s['first_over_last']:.3e}")
        scores = ", ".join(f"{k} {v:.4g}" for k, v in res["test"].items())
        print(f"  {name:14s} test {plots.after(args.epochs)}: {scores}")
    print(plot)
    return 0
