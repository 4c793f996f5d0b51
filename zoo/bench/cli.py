"""The `rnn-zoo` command: run, report, list (and compare, gradients, tune)."""
from __future__ import annotations

import argparse
import errno
import os
import shlex
import sys
from pathlib import Path

from zoo.bench.execution.exits import EXIT_NO_SPACE, EXIT_USAGE

# Errors of the disk rather than of the program: one line and EXIT_NO_SPACE, never a traceback.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import MODULE first, here and in every worker (repeatable): the models and tasks it "
                             "registers join the zoo's (installed packages can declare theirs as entry points)")


def build_parser() -> argparse.ArgumentParser:
    import zoo
    from zoo.bench.design.presets import PRESETS

    p = Parser(prog="rnn-zoo", description="Train and compare recurrent models on memory tasks.",
               epilog="Without a command, rnn-zoo prints this help and exits 2.")
    p.add_argument("--version", action="version", version=f"rnn-zoo {zoo.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=Parser,
                           help="`rnn-zoo COMMAND -h` shows its options")

    run = sub.add_parser("run", help="train the model x task x seed matrix and write results tables")
    run.add_argument("--preset", default="quick", help=f"{', '.join(PRESETS)} (default: quick)")
    run.add_argument("--models", help="comma-separated names or wildcards, e.g. 'lstm,gru,bi*' (default: the preset's)")
    run.add_argument("--tasks", help="comma-separated task names (default: the preset's)")
    run.add_argument("--seeds", help="a count N (seeds 0..N-1) or a list '0,3,7' (default: the preset's)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="TASK.PARAM=V[,V..] (a list sweeps), model.HPARAM=V, recipe.FIELD=V or TASK.recipe.FIELD=V; "
                          "beats the preset's values, and TASK.recipe.FIELD beats recipe.FIELD")
    run.add_argument("--backend", help="Keras backend: jax, tensorflow or torch (default: $KERAS_BACKEND, else the "
                                       "fastest installed: jax on a CPU, tensorflow on an NVIDIA GPU)")
    run.add_argument("--out", help="output folder (default: runs/PRESET); re-running into it resumes")
    run.add_argument("--resume", action="store_true", help="require --out to hold an earlier run to resume")
    run.add_argument("--extend", action="store_true",
                     help="add this command's cells to a folder another command made (its results list both "
                          "commands); without it such a folder is refused")
    run.add_argument("-v", "--verbose", action="store_true", help="Keras epoch logs and TensorFlow's start-up logs")
    run.add_argument("--tensorboard", action="store_true", help="a TensorBoard log dir per cell under OUT/tensorboard")
    run.add_argument("--jobs", type=int, default=1, metavar="N",
                     help="train N cells at once in local worker processes, each with 1/N of the CPU threads "
                          "(default: 1, in this process); same results as --jobs 1")
    run.add_argument("--executor", choices=["local", "ray"], default="local",
                     help="local (this machine, --jobs) or ray: each cell a Ray task, on a local Ray instance or "
                          "the cluster at --address (pip install -e '.[ray]')")
    run.add_argument("--address", metavar="HOST:PORT", help="with --executor ray: an existing Ray cluster's head")
    run.add_argument("--cpus-per-cell", type=int, default=1, metavar="N",
                     help="with --executor ray: CPUs (and threads) each cell's task needs (default: 1)")
    run.add_argument("--gpus-per-cell", type=float, default=0, metavar="G",
                     help="with --executor ray: GPUs each cell's task needs, e.g. 1 or 0.5 (default: 0)")
    add_import(run)

    rep = sub.add_parser("report", help="rebuild results.md/.csv/.json from a run directory's cell files")
    rep.add_argument("run_dir", help="a folder written by `rnn-zoo run` (holding cells/*.json)")
    rep.add_argument("--index", action="store_true", help="run_dir is a folder of runs (results): rebuild its "
                     "README.md index, index.csv and the project README's leaderboard (zoo/bench/reporting/index.py)")

    cmp_ = sub.add_parser("compare", help="compare two models over seeds on every task of a run (prints; "
                                             "writes files only with --write or -o)")
    cmp_.add_argument("a", nargs="?", default="lstm", help="first model (default: lstm)")
    cmp_.add_argument("b", nargs="?", default="gru", help="second model (default: gru)")
    cmp_.add_argument("--run", help="run directory to read (default: results/zoo)")
    cmp_.add_argument("--add-seeds", action="store_true",
                      help="train more seeds of both models into --run on every task whose verdict is undecided, "
                           "round after round, until it decides or --max-seeds is reached (resumable)")
    cmp_.add_argument("--max-seeds", type=int, metavar="N",
                      help="with --add-seeds: the most seeds a side per task (default: 10)")
    cmp_.add_argument("--jobs", type=int, default=1, metavar="N",
                      help="with --add-seeds: train N cells at once in local worker processes, as for run (default: 1)")
    add_import(cmp_)
    cmp_.add_argument("--default-run", metavar="DIR",
                      help="a run of the default recipe: its verdicts beside --run's, read as tuned (default: the "
                           "one `rnn-zoo tune --seeds` wrote beside its OUT/final)")
    where = cmp_.add_mutually_exclusive_group()
    where.add_argument("--write", action="store_true", help="also write compare-A-B.md and .png into the run directory")
    where.add_argument("-o", "--out", metavar="DIR", help="also write compare-A-B.md and .png into DIR")

    grad = sub.add_parser("gradients", help="measure ||d loss / d x_t|| over time steps, before and after training")
    grad.add_argument("--task", default="adding", help="a task with unpadded inputs: adding or copy (default: adding)")
    grad.add_argument("--models", default="rnn,lstm,gru",
                      help="comma-separated names or wildcards (default: rnn,lstm,gru)")
    grad.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="TASK.PARAM=V or model.HPARAM=V, as for run")
    grad.add_argument("--epochs", type=int, default=5, help="training epochs between the two measurements")
    grad.add_argument("--seed", type=int, default=0, help="seed of the data, weights and shuffles (default: 0)")
    grad.add_argument("--batch", type=int, default=256, help="test sequences the norms are averaged over")
    grad.add_argument("--out", default="runs/gradients", help="output folder (default: runs/gradients)")
    grad.add_argument("-v", "--verbose", action="store_true", help="TensorFlow's start-up logs")
    grad.add_argument("--backend", help="Keras backend: jax, tensorflow or torch (default as for run)")
    add_import(grad)

    bench = sub.add_parser("bench", help="training sequences/s per model, task and backend (backends alternated)")
    bench.add_argument("--backends", help="comma-separated (default: every installed one, tensorflow first)")
    bench.add_argument("--preset", default="quick", help="whose shapes, hyperparameters and batch sizes (default: quick)")
    bench.add_argument("--models", help="names or wildcards (default: the preset's)")
    bench.add_argument("--tasks", help="comma-separated task names (default: the preset's)")
    bench.add_argument("--sequences", type=int, default=2048, help="sequences per timed epoch (default: 2048)")
    bench.add_argument("--rounds", type=int, default=2, help="passes over the backends (default: 2)")
    bench.add_argument("--json", help="also write every measurement here")
    bench.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    add_import(bench)

    from zoo.bench.tune_command import add_parser as add_tune

    add_tune(sub)
    add_import(sub.choices["tune"])

    ls = sub.add_parser("list", help="list models, tasks and presets")
    ls.add_argument("what", nargs="?", choices=["models", "tasks", "presets"], default=None,
                    help="only this kind (default: all three)")
    return p


def main(argv: list[str] | None = None) -> int:
    """The command. Called without `argv` (as the program), it may start itself again on another backend."""
    relaunch = ["-m", "zoo.bench.cli", *sys.argv[1:]] if argv is None else None  # zoo.backends.activate
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.relaunch = relaunch
    args.argv = argv
    from zoo import backends

    if "keras" not in sys.modules:  # the command's default, not keras.json's: $KERAS_BACKEND, else the fastest
        os.environ["KERAS_BACKEND"] = backends.default_backend()  # (a --backend changes it before Keras loads)
    trains = args.command in ("run", "bench", "gradients", "tune") or getattr(args, "add_seeds", False)
    from zoo.bench.execution.quiet import quiet_startup

    quiet_startup(getattr(args, "verbose", False), trains=trains)
    from zoo.values import UsageError

    try:
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "compare":
            from zoo.bench.experiment.compare_command import main_args as compare_main

            return compare_main(args)
        if args.command == "tune":
            from zoo.bench.tune_command import main_args as tune_main  # Optuna only where asked for

            return tune_main(args)
        if args.command == "bench":
            from zoo.bench.speed import speed

            return speed.worker(args) if args.worker else speed.main_args(args)
        if args.command == "gradients":
            from zoo.bench.execution import store
            from zoo.bench.experiment.gradients import main_args

            store.check_writable(args.out)
            return main_args(args)
        return cmd_list(args)
    except UsageError as err:
        print(f"rnn-zoo: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        if err.errno not in STORAGE_ERRNOS:
            raise
        print(f"rnn-zoo: error: cannot write {err.filename or 'a result file'}: {err.strerror}; every finished "
              f"cell is kept: make room, then run the same command to resume", file=sys.stderr)
        return EXIT_NO_SPACE


def cmd_list(args) -> int:
    import tasks
    import zoo
    from zoo.bench.design.presets import PRESETS

    if args.what in (None, "models"):
        print("models:")
        for name in zoo.list_models():
            print(f"  {name:14s} {zoo.model_doc(name)}")
    if args.what in (None, "tasks"):
        print("tasks:")
        for name in tasks.list_tasks():
            params = ", ".join(f"{k}={v}" for k, v in tasks.task_params(name).items())
            print(f"  {name:14s} {params}")
    if args.what in (None, "presets"):
        print("presets:")
        for name, preset in PRESETS.items():
            print(f"  {name:14s} {preset.description}")
    return 0


def cmd_run(args, argv: list[str]) -> int:
    from zoo.bench.experiment.experiment import run_from_args

    code, _ = run_from_args(args, "rnn-zoo " + shlex.join(argv))
    return code


def cmd_report(args) -> int:
    from zoo.bench.reporting import report
    from zoo.bench.execution import store
    from zoo.values import UsageError

    out = Path(args.run_dir)
    if args.index:
        from zoo.bench.reporting import index

        for path in index.write(out):
            print(path)
        return 0
    if not store.load_cells(out):
        raise UsageError(f"{out} holds no cell files (expected {out}/cells/*.json)")
    if store.is_tune_folder(out):
        raise UsageError(f"{out} is a tune folder, whose trials are never tested: `rnn-zoo tune --report {out}` "
                         f"rewrites its tuning.md, `rnn-zoo report {out}/final` the tuned models' tables")
    for path in report.write_all(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
