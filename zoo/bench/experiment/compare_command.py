"""`rnn-zoo compare`: the statistics and verdicts of two models over a run's cell files, --add-seeds training
more seeds until they are decided, and the .md and chart where asked. The command layer (cli.py) parses the flags."""
from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from zoo.bench.analysis import sequential
from zoo.bench.execution import store
from zoo.bench.execution.exits import EXIT_INTERRUPTED
from zoo.bench.experiment import compare
from zoo.values import UsageError


def main_args(args) -> int:
    """Print the statistics and verdicts; write the .md and chart only where asked (never by default)."""
    if args.add_seeds and args.run is None:  # it trains into the run: never into the committed default by accident
        raise UsageError("compare --add-seeds trains into the run: name it with --run DIR")
    if args.max_seeds is not None and (not args.add_seeds or args.max_seeds < 2):
        raise UsageError(f"--max-seeds {args.max_seeds}: " + ("needs --add-seeds" if not args.add_seeds else
                                                               "a test needs at least 2 seeds a side"))
    if args.jobs != 1 and (not args.add_seeds or args.jobs < 1):
        raise UsageError(f"--jobs {args.jobs}: " + ("needs --add-seeds" if not args.add_seeds else
                                                     "expected an integer >= 1"))
    run = Path(args.run or "results/zoo")
    records = compare.load_compared(run, args.a, args.b)
    code = 0
    if args.add_seeds:
        from zoo.bench.experiment import auto_seeds

        store.check_writable(run, "--run")
        code = auto_seeds.main(run, args.a, args.b, args.max_seeds or auto_seeds.DEFAULT_MAX_SEEDS, args.relaunch,
                               args.jobs, command="rnn-zoo " + shlex.join(args.argv), imports=args.imports)
        if code == EXIT_INTERRUPTED:
            return code
        records = store.load_cells(run)
    rows = compare.compared_rows(records, args.a, args.b, run)
    out = run if args.write else Path(args.out) if args.out else None
    if out is not None:
        _writable_dir(out, "--write" if args.write else "--out")
    skipped = compare.not_compared(records, args.a, args.b)
    text = compare.render(rows, args.a, args.b, run, skipped)
    print(text)
    default_run = Path(args.default_run) if args.default_run else compare.default_run_of(run)
    if default_run is not None:  # a tuned run: its verdicts beside the default recipe's
        default_records = store.load_cells(default_run)
        if args.default_run and not default_records:
            raise UsageError(f"--default-run {default_run} holds no cell files")
        # the default run's own looks: its --add-seeds rounds set the level its verdict is tested at
        looks = sequential.load(default_run, args.a, args.b)
        lines = compare.tuned_lines(rows, compare.compare(default_records, args.a, args.b, looks))
    else:
        lines = compare.verdict_lines(rows)
    print("\n".join(lines + [f"{line}: not compared" for line in skipped]))
    if out is None:
        if not args.add_seeds:  # with it, cells were written
            print("(nothing written: --write saves compare-A-B.md and .png into the run, -o DIR into DIR)",
                  file=sys.stderr)
        return code
    from zoo.bench.reporting import plots  # matplotlib only when a chart is wanted

    md = out / f"compare-{args.a}-{args.b}.md"
    store.write_atomic(md, text)
    print(f"written: {md}, {plots.compare_chart(rows, args.a, args.b, out)}")
    return code


def _writable_dir(path: Path, flag: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{flag} {path}: exists and is not a directory") from None
    except OSError as err:
        raise UsageError(f"{flag} {path}: {err.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path}: not writable")
