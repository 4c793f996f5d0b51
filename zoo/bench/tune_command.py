"""The `rnn-zoo tune` command: flags, worker processes (--jobs, --executor ray), then report and fresh seeds."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from zoo.bench.execution.exits import EXIT_FAILED, EXIT_OK, EXIT_SIGNAL
from zoo.values import UsageError

SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "halving", "none")


def add_parser(sub) -> None:
    from zoo.bench.design.presets import PRESETS

    t = sub.add_parser("tune", help="search each model's hyperparameters on Optuna at a fixed parameter budget, "
                                    "then train the best on fresh seeds (--seeds)")
    t.add_argument("--preset", default="quick", help=f"{', '.join(PRESETS)}: its tasks, epochs and model size "
                                                     "(default: quick)")
    t.add_argument("--models", help="comma-separated names or wildcards (default: the preset's)")
    t.add_argument("--tasks", help="comma-separated task names (default: the preset's)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="as for run; model.params=N sets the budget (default: the preset's model's count)")
    t.add_argument("--backend", help="Keras backend, as for run")
    t.add_argument("--trials", type=int, default=30, metavar="N",
                   help="finished trials (complete or pruned) per (model, task) study (default: 30)")
    t.add_argument("--out", help="run folder (default: runs/tune-PRESET); re-running into it resumes its studies")
    t.add_argument("--jobs", type=int, default=1, metavar="N", help="N local processes sharing the studies")
    t.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local (--jobs) or ray: one worker per --cpus-per-cell of the cluster's CPUs")
    t.add_argument("--address", metavar="HOST:PORT", help="with --executor ray: an existing Ray cluster's head")
    t.add_argument("--cpus-per-cell", type=int, default=1, metavar="N", help="with --executor ray: CPUs a worker")
    t.add_argument("--gpus-per-cell", type=float, default=0, metavar="G", help="with --executor ray: GPUs a worker")
    t.add_argument("--storage", metavar="URL", help="an Optuna storage URL, e.g. postgresql://host/db "
                                                    "(default: the journal file OUT/study.journal)")
    t.add_argument("--sampler", choices=SAMPLERS, default="tpe", help="tpe (default) or random (Greff et al.)")
    t.add_argument("--pruner", choices=PRUNERS, default="median",
                   help="median (default), halving (successive halving) or none, on the validation metric per epoch")
    t.add_argument("--no-default-trial", dest="default_trial", action="store_false",
                   help="do not make each new study's first trial the default recipe (it is by default, so a "
                        "study's best is never worse than the default on validation)")
    t.add_argument("--seeds", type=int, default=0, metavar="N",
                   help="then train each study's best configuration, and the default recipe, on N fresh seeds "
                        "(OUT/final, OUT/default; scored on test) for `compare --run OUT/final`")
    t.add_argument("--report", metavar="DIR", help="only rewrite DIR/tuning.md and its figures from its studies")
    t.add_argument("-v", "--verbose", action="store_true", help="TensorFlow's start-up logs")
    t.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)


def check(args) -> None:
    if args.trials < 1:
        raise UsageError(f"--trials {args.trials}: expected an integer >= 1")
    if args.seeds < 0:
        raise UsageError(f"--seeds {args.seeds}: expected a count >= 0 (fresh seeds of each best configuration)")
    if args.storage is not None and "://" not in args.storage:
        raise UsageError(f"--storage {args.storage!r}: expected a database URL such as sqlite:///tune.db or "
                         "postgresql://host/db")
    from zoo.bench.execution.executors import executor_from_args

    executor_from_args(args)  # the --jobs / --executor / --address rules of run


def main_args(args) -> int:
    if args.report:
        return report_only(Path(args.report), args.storage)
    check(args)
    from zoo.bench.experiment.experiment import matrix_from_args

    cells = matrix_from_args(argparse.Namespace(**{**vars(args), "seeds": "1"}))  # one cell a study: seed 0
    import json

    import tasks
    from zoo import backends
    from zoo.bench.execution import store

    out = Path(args.out or f"runs/tune-{args.preset}")
    store.check_writable(out)
    for key in sorted({(c.task, json.dumps(c.task_params, sort_keys=True)) for c in cells}):
        try:
            tasks.create_task(key[0], **json.loads(key[1])).check_data()
        except tasks.DataUnavailableError as err:
            raise UsageError(str(err)) from None
    out.mkdir(parents=True, exist_ok=True)
    backends.make_deterministic()
    if args.worker_index:  # a process started by the command below: trials only
        return train(cells, out, args)
    if args.executor == "ray":
        code = ray_workers(args)
    elif args.jobs > 1:
        code = local_workers(args)
    else:
        code = train(cells, out, args)
    if code != EXIT_OK:
        return code
    from zoo.bench.experiment import tune_final

    for path in tune_final.report(out, args.storage):
        print(path)
    return final(cells, out, args) if args.seeds else EXIT_OK


def train(cells, out: Path, args) -> int:
    from zoo.bench.experiment import tune
    from zoo.bench.execution.runner import Signals

    tune.say_stderr(f"{len(cells)} studies of {args.trials} trials in {out}/ ({args.sampler}, {args.pruner} pruner)")
    prefix = f"[worker {args.worker_index}] " if args.worker_index else ""
    with Signals() as signals:
        try:
            tune.work(cells, out, args.trials, args.storage, args.sampler, args.pruner, args.worker_index,
                      lambda: signals.requested, lambda line: tune.say_stderr(prefix + line),
                      default_first=args.default_trial)
        except KeyboardInterrupt:
            return EXIT_SIGNAL.get(signals.signum, EXIT_SIGNAL[2])
    return EXIT_OK


def worker_argv(args, index: int) -> list[str]:
    """This command again as worker `index`: trials only, no --jobs, --executor, --seeds or --report."""
    argv, skip = [], False
    for item in args.argv:
        if skip:
            skip = False
            continue
        flag = item.split("=")[0]
        if flag in ("--jobs", "--executor", "--address", "--cpus-per-cell", "--gpus-per-cell", "--seeds"):
            skip = "=" not in item
            continue
        argv.append(item)
    return [*argv, "--worker-index", str(index)]


def local_workers(args) -> int:
    from zoo.bench.execution import workers

    env = {**os.environ, **workers.thread_env(max(1, workers.cpu_count() // args.jobs))}
    procs = [subprocess.Popen([sys.executable, "-m", "zoo", *worker_argv(args, i + 1)], env=env)
             for i in range(args.jobs)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:  # the workers got the same Ctrl-C: let them record and stop
        codes = [p.wait() for p in procs]
    return max(codes) if any(codes) else EXIT_OK


def _ray_work(argv: list[str]) -> int:
    """A Ray task: this command as a worker process on the task's node, as --jobs starts them locally."""
    return subprocess.run([sys.executable, "-m", "zoo", *argv]).returncode


def ray_workers(args) -> int:
    import ray

    from zoo.bench.execution import ray_executor

    executor = ray_executor.RayExecutor(args.address, args.cpus_per_cell, args.gpus_per_cell, verbose=args.verbose,
                                        worker_output=True)  # the trials' progress lines come from the workers
    executor.connect()
    remote = ray.remote(_ray_work).options(num_cpus=args.cpus_per_cell, num_gpus=args.gpus_per_cell)
    refs = [remote.remote(worker_argv(args, i + 1)) for i in range(executor.capacity())]
    codes = ray.get(refs)
    return max(codes) if any(codes) else EXIT_OK


def final(cells, out: Path, args) -> int:
    """The best configurations and the default recipe on fresh seeds, through the runner (resumable)."""
    from zoo.bench.execution import runner
    from zoo.bench.experiment import tune_final
    from zoo.bench.execution.executors import local_executor
    from zoo.bench.reporting.reporters import Progress, TablesReporter

    tuned, default = tune_final.final_trials(cells, out, args.storage, args.seeds)
    code = EXIT_OK
    for name, todo in ((tune_final.FINAL, tuned), (tune_final.DEFAULT, default)):
        folder = out / name
        executor = local_executor(args.jobs if args.executor == "local" else 1)
        code = max(code, runner.run_matrix(todo, folder, reporters=[TablesReporter(folder), Progress(folder)],
                                           executor=executor))
    tune_final.write_marker(out, args.trials)
    models = list(dict.fromkeys(c.model for c in cells))
    if len(models) >= 2:
        print(f"compare: rnn-zoo compare {models[0]} {models[1]} --run {out / tune_final.FINAL}")
    return code if code in (EXIT_OK, EXIT_FAILED) else code


def report_only(folder: Path, storage: str | None) -> int:
    from zoo.bench.experiment import tune, tune_final

    if storage is None and not (folder / tune.JOURNAL).is_file():
        raise UsageError(f"--report {folder}: holds no study ({folder}/{tune.JOURNAL}); run `rnn-zoo tune` first")
    for path in tune_final.report(folder, storage):
        print(path)
    return EXIT_OK
