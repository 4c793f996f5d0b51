"""Run a benchmark matrix and compare two models from Python: what `rnn-zoo run` and `rnn-zoo compare` do, through
the functions they call, without a command line.

    from zoo.bench import api

    records = api.run(preset="smoke", models=["causal_tcn", "lstm", "gru"], tasks=["adding"], seeds=2,
                      out="runs/mine", jobs=2, imports=["my_models"])
    for row in api.compare("runs/mine", "causal_tcn", "lstm"):
        print(row["label"], row["verdict"])

Bad input raises zoo.values.UsageError with the command's one-line message (where the command exits 2); a
trial that fails or diverges is a record with that status, as in a run's folder.
"""
from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from zoo.values import UsageError

if TYPE_CHECKING:
    from zoo.bench.execution.record import Record

EXECUTORS = ("local", "ray")


def run(*, preset: str | None = None, models: str | Sequence[str] | None = None,
        tasks: str | Sequence[str] | None = None, seeds: int | Sequence[int] | None = None,
        sets: Mapping[str, Any] | Iterable[str] = (), out: str | Path | None = None, jobs: int = 1,
        executor: str = "local", backend: str | None = None, imports: Sequence[str] = (), resume: bool = False,
        extend: bool = False, verbose: bool = False) -> list[Record]:
    """Train the matrix into `out` (resuming what is there) and return the records of its trials, in order.

    Each argument is the `rnn-zoo run` flag of its name, and None takes the command's default (the preset's
    models, tasks and seeds; out: runs/PRESET; backend: the one Keras runs on if it is loaded already, else
    the command's). models, tasks: names or wildcards; seeds: a count N (seeds
    0..N-1) or a list of two or more seeds; sets: {"adding.T": 50, "model.units": 32} or ["adding.T=50", ...]
    (a list value sweeps); imports: modules imported here and by every worker, which register your models
    and tasks. run.json records the equivalent `rnn-zoo run` command line.
    """
    if executor not in EXECUTORS:
        raise UsageError(f"executor {executor!r} is unknown; valid: {', '.join(EXECUTORS)}")
    if not isinstance(jobs, int) or isinstance(jobs, bool):
        raise UsageError(f"jobs={jobs!r}: expected an integer >= 1")
    if backend is None and "keras" in sys.modules:  # no starting this process again: train where Keras runs
        backend = sys.modules["keras"].backend.backend()
    argv = ["run", *_flag("--preset", preset), *_flag("--models", _names(models)), *_flag("--tasks", _names(tasks)),
            *_flag("--seeds", _seeds(seeds)), *[a for s in _sets(sets) for a in ("--set", s)],
            *_flag("--out", out), *_flag("--jobs", jobs if jobs != 1 else None),
            *_flag("--executor", executor if executor != "local" else None), *_flag("--backend", backend),
            *[a for name in imports for a in ("--import", name)],
            *["--resume"] * resume, *["--extend"] * extend, *["--verbose"] * verbose]
    from zoo import backends
    from zoo.bench.execution import store
    from zoo.bench.cli import build_parser  # the command's own defaults and flags
    from zoo.bench.experiment.experiment import out_dir, run_from_args
    from zoo.bench.execution.quiet import quiet_startup

    args = build_parser().parse_args(argv)
    args.relaunch, args.argv = None, argv  # in this process: a Keras already on another backend is refused
    backends.activate(args.backend)  # before quiet_startup loads Keras, as `rnn-zoo run` does
    quiet_startup(args.verbose, trains=True)
    _, trials = run_from_args(args, "rnn-zoo " + shlex.join(argv))
    found = {r.cell_id: r for r in store.load_cells(out_dir(args))}
    return [found[t.cell_id] for t in trials if t.cell_id in found]


def compare(run: str | Path, a: str = "lstm", b: str = "gru") -> list[dict]:
    """What `rnn-zoo compare A B --run RUN` prints, as rows: one per task instance both models finished, with
    each model's statistics (row[A], row[B]), the test between them (row["test"]) and row["verdict"]."""
    from zoo.bench.experiment import compare as comparing

    run = Path(run)
    return comparing.compared_rows(comparing.load_compared(run, a, b), a, b, run)


def _flag(flag: str, value) -> list[str]:
    return [] if value is None else [flag, str(value)]


def _names(value: str | Sequence[str] | None) -> str | None:
    return value if value is None or isinstance(value, str) else ",".join(value)


def _seeds(value: int | Sequence[int] | None) -> str | None:
    if value is None or isinstance(value, int):
        return None if value is None else str(value)
    if len(value) < 2:  # `--seeds 3` is a count: one seed alone has no spelling
        raise UsageError(f"seeds={list(value)!r}: a count N (seeds 0..N-1) or a list of two or more seeds")
    return ",".join(str(s) for s in value)


def _sets(value: Mapping[str, Any] | Iterable[str]) -> list[str]:
    if not isinstance(value, Mapping):
        return list(value)
    show = lambda v: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)  # noqa: E731
    return [f"{key}={show(v)}" for key, v in value.items()]
