"""Which executor trains a run's trials: this process, local worker processes or Ray (the flags that choose it)."""
from __future__ import annotations


def executor_from_args(args):
    """The executor `run` trains with; UsageError for flags that do not fit together."""
    from zoo.values import UsageError

    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: expected an integer >= 1")
    if args.executor != "ray":
        for flag, value, default in [("--address", args.address, None), ("--cpus-per-cell", args.cpus_per_cell, 1),
                                     ("--gpus-per-cell", args.gpus_per_cell, 0)]:
            if value != default:
                raise UsageError(f"{flag} needs --executor ray (the executor is {args.executor})")
        return local_executor(args.jobs)
    if args.jobs != 1:
        raise UsageError(f"--jobs {args.jobs}: with --executor ray the cluster's CPUs set how many cells train at "
                         "once (--cpus-per-cell sets each one's share)")
    if args.cpus_per_cell < 1:
        raise UsageError(f"--cpus-per-cell {args.cpus_per_cell}: expected an integer >= 1")
    if not args.gpus_per_cell >= 0:
        raise UsageError(f"--gpus-per-cell {args.gpus_per_cell}: expected a number >= 0")
    from zoo.bench.execution import ray_executor

    if args.address is not None:
        ray_executor.check_address(args.address)
    return ray_executor.RayExecutor(args.address, args.cpus_per_cell, args.gpus_per_cell, verbose=args.verbose)


def local_executor(jobs: int):
    """This process for one job, else `jobs` local worker processes (run --jobs, compare --add-seeds --jobs)."""
    if jobs == 1:
        from zoo.bench.execution.runner import SerialExecutor

        return SerialExecutor()
    from zoo.bench.execution.workers import ProcessExecutor

    return ProcessExecutor(jobs)
