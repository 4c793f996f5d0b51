r"""Run a matrix of cells: skip finished ones, write each result as it comes, survive failures and signals.

Cells train in an executor (this process, local worker processes, a Ray cluster). This process alone
claims cells, writes their files and tells the reporters, so runs sharing a folder never collide.

`python -m zoo` is the same command; `rnn-zoo --version` prints the version, and `rnn-zoo` alone
prints the help and exits 2. Without `--out` a run writes to `runs/PRESET`, which git ignores, so
no run rewrites the committed `results/` unless `--out` names it. The run prints where its results
go when it starts and the paths of its tables when it ends.

A trial is one entry of the matrix (model, task, task parameters, seed, hyperparameters,
recipe: `zoo.bench.design.matrix.Trial`). Each trial is seeded with `keras.utils.set_random_seed`,
trains with early stopping on the validation metric (best weights restored) and its record, a
cell file, is written atomically to `OUT/cells/<cell_id>.json` before the next trial
starts: test and best-validation metrics, per-epoch history, baseline, solved criterion and flag,
parameters, epochs, wall time, seconds per epoch, training sequences/s, status, and metadata
(versions, device, cuDNN eligibility, git commit, a hash of the trial's config). The record's one
definition is `zoo.bench.execution.record.Record`; a cell file that does not match it stops `rnn-zoo report`
with one line naming the file and the field (exit 2). On the CPU, op determinism is on: the same
seed on the same machine gives the same numbers.

- Re-running into the same `--out` (or `--resume`) skips finished cells and refuses cells of a
  different config; a `kill -9` loses only the running cell.
- A NaN/Inf loss marks the cell `diverged`; an exception marks it `failed` with its traceback;
  the matrix goes on either way, and failed cells make the exit code 1.
- Ctrl-C marks the running cell `interrupted`, keeps the rest and exits 130.
- Bad input (unknown model or task, malformed `--set`, a recipe value out of range such as an
  optimizer Keras does not know or `learning_rate` <= 0, missing IMDB data, an `--out` that is a
  file or cannot be written) prints one line naming the value and the valid choices, and exits 2
  before anything is created.
- `results.md`, `results.csv` and `results.json` derive from the cell files alone, so
  `rnn-zoo report` rebuilds them byte for byte. `-v` prints Keras epoch logs and TensorFlow's
  start-up logs (hidden otherwise); `--tensorboard` writes a log dir per cell.
- Tables and progress lines are reporters the runner is handed (`zoo.bench.reporting.reporters`: `on_start`,
  `on_cell_start`, `on_cell_end`, `on_cell_skipped`, `on_finish`), so another reporter (a tracker,
  a dashboard) needs no change to the runner.

### Many cells at once, on one machine or several

```bash
rnn-zoo run --preset quick --jobs 2            # 2 local worker processes, each with half the CPU threads
pip install -e '.[ray]'
rnn-zoo run --preset quick --executor ray      # each cell a Ray task on a local Ray instance, 1 CPU each
```

`--jobs N` trains N cells at once in worker processes (each gets cores/N threads); they return
records, and the command's own process alone writes cell files and tables, so `--jobs 2` gives the
numbers and tables of `--jobs 1`. Progress then prints one line per cell as it ends, with an ETA
that counts the cells in flight. A worker process that dies (killed, out of memory) is replaced and
its cell trained again, at most twice, then recorded `failed` with the reason.

On several machines, Ray runs the cells where it has room: install the same rnn-zoo with the same
Keras backend and version on every machine (a node on another backend version fails its cells rather
than mixing results), give every node the same `RNN_ZOO_DATA` path for IMDB, and start a cluster.
Ray ≥ 2.59 authenticates with a token, which every node and the command need:

```bash
# head machine, e.g. 10.0.0.1
export RAY_AUTH_MODE=token && ray get-auth-token --generate   # prints the token (kept in ~/.ray/auth_token)
ray start --head --port=6379
# every other machine
export RAY_AUTH_MODE=token RAY_AUTH_TOKEN=<the token> && ray start --address=10.0.0.1:6379
# any machine of the cluster (with RAY_AUTH_MODE and the token too): the driver, which writes --out
rnn-zoo run --preset paper --executor ray --address 10.0.0.1:6379 --gpus-per-cell 1 --out runs/paper
ray stop                                       # on each machine, when done
```

Each cell is a task needing `--cpus-per-cell` CPUs (its threads; default 1) and `--gpus-per-cell`
GPUs (default 0); it prepares its data on the node that trains it. Ray retries a cell whose worker
process dies (twice, then `failed`); if the driver dies, running the same command again resumes.

Runs sharing one `--out` (two commands, or machines on a shared filesystem) split the cells instead
of training them twice: a run claims each cell in `OUT/claims/` before training it (host, pid,
start, and a heartbeat every 30 s), leaves cells claimed by a live run to it (one line each, and
how many at the end), and takes over a claim whose process is gone from this host or whose
heartbeat stopped 10 minutes ago. A cell file that cannot be read (truncated, not a cell record)
is moved aside to `NAME.json.corrupt`, named in one line, and its cell trained again. SIGTERM (a
scheduler's preemption) is handled as Ctrl-C is: the running cells are marked `interrupted`, the
tables written, and the exit code is 143.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Protocol, Sequence

from zoo.bench.execution import store
from zoo.bench.execution.claims import Claims
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.record import Record
from zoo.bench.execution.train import base_record
from zoo.bench.execution.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_SIGNAL
from zoo.bench.execution.workers import DataCache, Settings, train_one



class Executor(Protocol):
    """Trains cells: the runner hands it up to `capacity()` at a time and collects their records."""

    def open(self, settings: Settings, stop_requested: Callable[[], bool]) -> None: ...

    def capacity(self) -> int: ...  # cells it can train at once

    def submit(self, cell: Trial) -> None: ...

    def wait(self, timeout: float) -> list[Record]: ...  # records of the cells finished meanwhile

    def close(self) -> None: ...  # cells still training are abandoned (the runner has recorded them)


class Reporter(Protocol):
    """Told what the runner does, so tables, progress lines or a tracker need no place in its loop."""

    def on_start(self, total: int, skipped: int) -> None: ...  # `skipped` were finished by an earlier run

    def on_cell_start(self, cell: Trial) -> None: ...

    def on_cell_end(self, record: Record) -> None: ...  # the record is on disk already

    # a cell this run leaves alone: `in_progress` in another run (its claim is live), or finished by one meanwhile
    def on_cell_skipped(self, cell: Trial, reason: str, in_progress: bool) -> None: ...

    def on_finish(self, outcome: str, failed: int) -> None: ...  # outcome: "finished" or "interrupted"


class SerialExecutor:
    """One cell at a time, trained in this process by `wait`."""

    def __init__(self):
        self._cell: Trial | None = None
        self._data = DataCache()
        self._settings = Settings()
        self._stop_requested: Callable[[], bool] = lambda: False

    def open(self, settings: Settings, stop_requested: Callable[[], bool]) -> None:
        self._settings, self._stop_requested = settings, stop_requested

    def capacity(self) -> int:
        return 1

    def submit(self, cell: Trial) -> None:
        self._cell = cell

    def wait(self, timeout: float) -> list[Record]:
        cell, self._cell = self._cell, None
        return [train_one(cell, self._settings, self._data, self._stop_requested)] if cell else []

    def close(self) -> None:
        self._cell = None


class Signals:
    """While active, the first SIGINT or SIGTERM only sets `signum` (training stops at the next batch);
    a second one raises KeyboardInterrupt at once."""

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.signum = signum

    def __enter__(self) -> "Signals":
        if threading.current_thread() is threading.main_thread():  # signal handlers live there only
            self._previous = {s: signal.signal(s, self._handle) for s in EXIT_SIGNAL}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)


def run_matrix(cells: list[Trial], out: Path, reporters: Sequence[Reporter] = (), executor: Executor | None = None,
               verbose: bool = False, tensorboard: bool = False, imports: Sequence[str] = ()) -> int:
    """Run the cells not yet finished under `out`; returns the exit code (0; 1 if any failed; 130 on
    SIGINT, 143 on SIGTERM). Cells another live run has claimed are left to it. `imports`: the user's modules
    (--import), which every worker imports before it trains (this process has already)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store.remove_stale_temporaries(out)
    for line in store.set_aside_corrupt(out):
        print(f"rnn-zoo: {line}", file=sys.stderr, flush=True)
    done = store.finished_cells(out, cells)
    todo = deque(c for c in cells if c.cell_id not in done)
    stamps = {c.cell_id: store.cell_stamp(out, c.cell_id) for c in todo}  # to see another run's writes
    for r in reporters:
        r.on_start(len(cells), len(cells) - len(todo))
    executor = executor or SerialExecutor()
    settings = Settings(verbose, str(out / "tensorboard") if tensorboard else None, tuple(imports))
    running: dict[str, tuple[Trial, float]] = {}
    deferred: dict[str, tuple[Trial, str]] = {}  # claimed by another live run: tried once more at the end
    failed = 0
    signals = Signals()

    def skip(cell: Trial, reason: str, in_progress: bool) -> None:
        for r in reporters:
            r.on_cell_skipped(cell, reason, in_progress)

    with signals, Claims(out) as claims:
        try:
            executor.open(settings, lambda: signals.requested)
            second_pass = False
            while True:
                while todo and len(running) < executor.capacity() and not signals.requested:
                    cell = todo.popleft()
                    holder = claims.claim(cell.cell_id)
                    if holder is not None:
                        deferred[cell.cell_id] = (cell, holder)
                        continue
                    if store.cell_stamp(out, cell.cell_id) != stamps[cell.cell_id]:
                        claims.release(cell.cell_id)
                        skip(cell, "finished by another run meanwhile", in_progress=False)
                        continue
                    running[cell.cell_id] = (cell, time.perf_counter())
                    for r in reporters:
                        r.on_cell_start(cell)
                    executor.submit(cell)
                if signals.requested:
                    raise KeyboardInterrupt
                if not running:
                    if second_pass or not deferred:
                        break
                    todo.extend(cell for cell, _ in deferred.values())  # their runs may have died meanwhile
                    deferred.clear()
                    second_pass = True
                    continue
                for record in executor.wait(timeout=1.0):
                    cell, _ = running.pop(record.cell_id)
                    store.save_cell(out, record)  # on disk before anyone hears of it
                    claims.release(cell.cell_id)
                    failed += record.failed
                    for r in reporters:
                        r.on_cell_end(record)
        except KeyboardInterrupt:
            why = "SIGTERM" if signals.signum == signal.SIGTERM else "KeyboardInterrupt"
            for cell, start in running.values():
                store.save_cell(out, base_record(cell, "interrupted", error=why,
                                                 wall_seconds=time.perf_counter() - start))
                claims.release(cell.cell_id)
            for r in reporters:
                r.on_finish("interrupted", failed)
            return EXIT_SIGNAL.get(signals.signum, EXIT_INTERRUPTED)
        finally:
            executor.close()
    for cell, holder in deferred.values():
        skip(cell, f"in progress in another run ({holder})", in_progress=True)
    for r in reporters:
        r.on_finish("finished", failed)
    return EXIT_FAILED if failed else EXIT_OK
