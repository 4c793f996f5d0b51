"""`rnn-zoo compare A B --run DIR --add-seeds`: train more seeds of the two models on the tasks whose verdict is
undecided, round after round, until every verdict decides or each model has tried `--max-seeds` seeds there.

A round takes each undecided task to the seeds a side its verdict says would decide it (at least one more,
at most the cap) and trains them through the runner into the run, so a killed round resumes where it stopped:
finished cells are never trained again. Then the verdicts are computed afresh from the cell files.
Each round is a look of a group-sequential design (zoo.bench.analysis.sequential): its verdicts are tested at the level
that look may spend, so the error rates hold over all the looks.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Callable, Sequence

from zoo.bench.experiment import compare
from zoo.bench.analysis import sequential, verdicts
from zoo.bench.execution import store
from zoo.bench.execution.exits import EXIT_INTERRUPTED, EXIT_OK
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.record import Record
from zoo.bench.analysis.stats import UNDECIDED
from zoo.values import UsageError

DEFAULT_MAX_SEEDS = 10


def backend_of(records: list[Record]) -> str:
    """The one backend ('jax 0.10.2') the records ran on; cells written before backends were recorded in the
    config give it through their environment (which then held TensorFlow's version)."""
    found = set()
    for r in records:
        env = r.environment
        found.add(r.config.backend or f"{env.backend} {env.backend_version or env.tensorflow}")
    if len(found) != 1:
        raise UsageError(f"--add-seeds: the cells ran on {len(found)} backends ({', '.join(sorted(found))}); "
                         f"a run keeps one")
    return found.pop()


def plan(records: list[Record], a: str, b: str, max_seeds: int,
         looks: dict | None = None, reserved: set[int] = frozenset()) -> tuple[list[Trial], list[str]]:
    """The cells of the next round and one line per task on what happens to it (`looks`: sequential.load's);
    seeds in `reserved` are never trained (store.reserved_seeds: a tuned run's tuning seed)."""
    cells, lines = [], []
    ours = [r for r in records if r.model in (a, b)]
    backend = backend_of(ours) if ours else ""
    for row in compare.compare(records, a, b, looks):
        t = row["test"]
        label = row["label"]
        if t.decision != UNDECIDED:
            lines.append(f"{label}: {verdicts.word(t, a, b)} with {t.n_a} vs {t.n_b} seeds")
            continue
        if t.needed_by is None and min(t.n_a, t.n_b) >= 2:  # untestable whatever the seeds (a loss <= 0)
            lines.append(f"{label}: undecided, and more seeds cannot help: {t.note}")
            continue
        target = sequential.target_seeds(t, max_seeds)
        new = []
        for model, n in ((a, t.n_a), (b, t.n_b)):
            mine = [r for r in ours if r.label == label and r.model == model]
            tried = {r.seed for r in mine if not r.interrupted}  # counted against the cap, failed ones too
            room = min(target - n, max_seeds - len(tried))
            seeds = (s for s in itertools.count() if s not in tried and s not in reserved)
            new += [_trial(mine[0], seed, backend) for seed in itertools.islice(seeds, max(room, 0))]
        if new:
            cells += new
            lines.append(f"{label}: undecided with {t.n_a} vs {t.n_b} seeds; training {len(new)} cells "
                         f"towards {target} seeds a side")
        else:
            lines.append(f"{label}: undecided at the cap of {max_seeds} seeds a side")
    return cells, lines


def _trial(template: Record, seed: int, backend: str) -> Trial:
    c = template.config
    return Trial(c.model, c.task, c.task_params, seed, c.hparams, c.recipe, template.label, backend)


def add_seeds(out: Path, a: str, b: str, max_seeds: int, train: Callable[[list[Trial]], int],
              say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> int:
    """Rounds of `train(cells)` (the runner's exit code) until no task needs a cell; 130 at once on Ctrl-C,
    else 1 if any cell failed, 0 otherwise."""
    code, last = EXIT_OK, None
    for round_ in itertools.count(1):
        records = store.load_cells(out)
        seeds = {row["label"]: min(row["test"].n_a, row["test"].n_b) for row in compare.compare(records, a, b)}
        looks = sequential.record_looks(out, a, b, max_seeds, seeds)  # this round is a look
        cells, lines = plan(records, a, b, max_seeds, looks, store.reserved_seeds(out))
        for line in lines:
            say(f"round {round_}: {line}")
        ids = [c.cell_id for c in cells]
        if not cells or ids == last:  # the same cells again: the runner left them unfinished
            return code
        last = ids
        result = train(cells)
        if result == EXIT_INTERRUPTED:
            return result
        code = max(code, result)
    raise AssertionError("unreachable")


def main(out: Path, a: str, b: str, max_seeds: int, relaunch: list[str] | None, jobs: int = 1,
         command: str | None = None, imports: Sequence[str] = ()) -> int:
    """Train into `out` on the backend its cells ran on (starting this command again on it if needed), `jobs`
    cells at once, every worker importing `imports` (--import) too; run.json lists `command` among those that
    added cells."""
    import json

    from zoo import backends

    name, _, version = backend_of([r for r in store.load_cells(out) if r.model in (a, b)]).partition(" ")
    backends.activate(name, relaunch)
    from zoo.bench.execution.plugins import import_modules

    import_modules(imports)
    if backends.version(name) != version:
        raise UsageError(f"--add-seeds: {out} ran on {name} {version}, this machine has {name} "
                         f"{backends.version(name)}; a run keeps one backend version")
    import tasks
    from zoo.bench.execution import runner
    from zoo.bench.execution.executors import local_executor  # after the backend's activation: it imports the training code
    from zoo.bench.reporting.reporters import Progress, TablesReporter

    backends.make_deterministic()  # same seed, same backend, same machine: same result

    def train(cells: list[Trial]) -> int:
        for key in sorted({(c.task, json.dumps(c.task_params, sort_keys=True)) for c in cells}):
            try:
                tasks.create_task(key[0], **json.loads(key[1])).check_data()
            except tasks.DataUnavailableError as err:
                raise UsageError(str(err)) from None
        if command:
            store.note_command(out, command, len(cells))
        executor = local_executor(jobs)
        progress = Progress(out, concurrent=jobs > 1)
        return runner.run_matrix(cells, out, reporters=[TablesReporter(out), progress], executor=executor,
                                 imports=imports)

    return add_seeds(out, a, b, max_seeds, train)
