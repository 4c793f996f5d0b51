"""`rnn-zoo bench`: training sequences/s per model, task and Keras backend, at a preset's shapes.

A process runs one Keras backend, so each (round, backend) is a child process; the backends
alternate within every round, so a slow spell of a shared machine hits all of them alike.
Training goes through the runner's own path (the task's Batches into `fit`), after one
untimed epoch that compiles the step.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import numpy as np

from zoo import backends
from zoo.bench.speed.timing import alternate, per_second


def measure(cell, sequences: int) -> dict:
    """Steady training sequences/s of one (model, task) cell on this process's backend."""
    import keras

    import tasks
    from tasks.base import Recipe
    from zoo.bench.execution.train import compile_for

    task = tasks.create_task(cell.task, **cell.task_params)
    recipe = Recipe(**cell.recipe)
    x, y = synthetic(task, sequences, np.random.default_rng(0))
    keras.utils.set_random_seed(0)
    model = compile_for(task, cell.model, cell.hparams, recipe)
    batches = tasks.Batches(x, y, recipe.batch_size, seed=0)
    model.fit(batches, epochs=1, verbose=0)  # compiles the step (and every partial batch shape)
    return {"model": cell.model, "task": cell.label, "sequences_per_second": epoch_rate(model, batches, len(x))}


def epoch_rate(model, batches, sequences: int) -> float:
    """Training sequences/s of one epoch of `fit` over `batches` (`sequences` of them), timed."""
    return per_second(sequences, lambda: model.fit(batches, epochs=1, verbose=0))


def synthetic(task, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n examples of the task's shapes: its own generator where it has one, else right-padded random tokens."""
    if hasattr(task, "generate"):
        return task.generate(n, rng)
    spec = task.spec.input
    length = spec.length or task.max_len
    tokens = rng.integers(2, spec.vocab_size, size=(n, length), dtype=np.int32)
    ends = rng.integers(length // 4, length + 1, size=n)  # IMDB-like: many reviews shorter than max_len
    tokens[np.arange(length)[None, :] >= ends[:, None]] = 0
    return tokens, rng.integers(0, 2, size=(n, 1)).astype("float32")


def worker(args) -> int:
    """Child process: time every cell on the backend it was started with, one JSON line each."""
    from zoo.bench.experiment.experiment import matrix_from_args

    args.seeds, args.set, args.backend = "1", [], os.environ["KERAS_BACKEND"]
    for cell in matrix_from_args(args):
        row = measure(cell, args.sequences)
        print(json.dumps({**row, "backend": args.backend}), flush=True)
    return 0


class _ChildFailed(Exception):
    """A backend's child process failed (its stderr printed): the bench stops there."""


def main_args(args) -> int:
    """Parent: alternate the backends over `rounds`, then print one table."""
    from zoo.values import UsageError

    for flag, value in (("--sequences", args.sequences), ("--rounds", args.rounds)):
        if value < 1:
            raise UsageError(f"{flag} {value}: expected an integer >= 1")
    # TensorFlow first when present: the others' speed-ups are read against Keras's default backend
    default = sorted(backends.BACKENDS, key=lambda b: b != "tensorflow")
    names = [b.strip() for b in args.backends.split(",")] if args.backends else \
        [b for b in default if backends.installed(b)]
    for name in names:
        if name not in backends.BACKENDS or not backends.installed(name):
            raise UsageError(f"--backends: {name!r} is not an installed backend; installed: "
                             f"{', '.join(b for b in backends.BACKENDS if backends.installed(b))}")
    child = [sys.executable, "-m", "zoo.bench.cli", "bench", "--worker", "--preset", args.preset,
             "--sequences", str(args.sequences)]
    child += [f"--models={args.models}"] if args.models else []
    child += [f"--tasks={args.tasks}"] if args.tasks else []
    child += [f"--import={name}" for name in args.imports]
    def run(name: str):
        proc = subprocess.run(child, env={**os.environ, "KERAS_BACKEND": name}, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise _ChildFailed
        return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]

    try:
        runs = alternate({name: functools.partial(run, name) for name in names}, args.rounds,
                         lambda round_, name: print(f"round {round_ + 1}/{args.rounds}: {name} ...",
                                                    file=sys.stderr, flush=True))
    except _ChildFailed:
        return 1
    rows = [{**row, "round": round_} for round_ in range(args.rounds) for name in names for row in runs[name][round_]]
    print(render(rows, names, args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "backends": {n: backends.version(n) for n in names}}, f, indent=1)
    return 0


def render(rows: list[dict], names: list[str], args) -> str:
    """Markdown: one row per (task, model), each backend's sequences/s over the rounds, and its speed against the first."""
    versions = ", ".join(f"{n} {backends.version(n)}" for n in names)
    lines = [f"Training sequences/s at the `{args.preset}` preset's shapes ({args.sequences:,} sequences, one epoch "
             f"after a compiling one; {args.rounds} rounds, backends alternated; {versions}). "
             f"Each cell: the rounds' values, then their mean over {names[0]}'s.", "",
             "| task | model | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    keys = list(dict.fromkeys((r["task"], r["model"]) for r in rows))
    for task, model in keys:
        values = {n: [r["sequences_per_second"] for r in rows if (r["task"], r["model"], r["backend"]) ==
                      (task, model, n)] for n in names}
        base = np.mean(values[names[0]]) if values[names[0]] else None
        cells = []
        for n in names:
            shown = " / ".join(f"{v:,.0f}" for v in values[n])
            ratio = f" ({np.mean(values[n]) / base:.2f}x)" if base and n != names[0] and values[n] else ""
            cells.append(shown + ratio)
        lines.append(f"| {task} | {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
