"""Run a matrix of cells: skip finished ones, write each result as it comes, survive failures and signals.

Cells train in an executor (this process, local worker processes, a Ray cluster). This process alone
claims cells, writes their files and tells the reporters, so runs sharing a folder never collide.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Protocol, Sequence

from zoo.bench import store
from zoo.bench.claims import Claims
from zoo.bench.matrix import Cell
from zoo.bench.record import Record
from zoo.bench.train import base_record
from zoo.bench.values import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_SIGNAL
from zoo.bench.workers import DataCache, Settings, train_one



class Executor(Protocol):
    """Trains cells: the runner hands it up to `capacity()` at a time and collects their records."""

    def open(self, settings: Settings, stop_requested: Callable[[], bool]) -> None: ...

    def capacity(self) -> int: ...  # cells it can train at once

    def submit(self, cell: Cell) -> None: ...

    def wait(self, timeout: float) -> list[Record]: ...  # records of the cells finished meanwhile

    def close(self) -> None: ...  # cells still training are abandoned (the runner has recorded them)


class Reporter(Protocol):
    """Told what the runner does, so tables, progress lines or a tracker need no place in its loop."""

    def on_start(self, total: int, skipped: int) -> None: ...  # `skipped` were finished by an earlier run

    def on_cell_start(self, cell: Cell) -> None: ...

    def on_cell_end(self, record: Record) -> None: ...  # the record is on disk already

    # a cell this run leaves alone: `in_progress` in another run (its claim is live), or finished by one meanwhile
    def on_cell_skipped(self, cell: Cell, reason: str, in_progress: bool) -> None: ...

    def on_finish(self, outcome: str, failed: int) -> None: ...  # outcome: "finished" or "interrupted"


class SerialExecutor:
    """One cell at a time, trained in this process by `wait`."""

    def __init__(self):
        self._cell: Cell | None = None
        self._data = DataCache()
        self._settings = Settings()
        self._stop_requested: Callable[[], bool] = lambda: False

    def open(self, settings: Settings, stop_requested: Callable[[], bool]) -> None:
        self._settings, self._stop_requested = settings, stop_requested

    def capacity(self) -> int:
        return 1

    def submit(self, cell: Cell) -> None:
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


def run_matrix(cells: list[Cell], out: Path, reporters: Sequence[Reporter] = (), executor: Executor | None = None,
               verbose: bool = False, tensorboard: bool = False) -> int:
    """Run the cells not yet finished under `out`; returns the exit code (0; 1 if any failed; 130 on
    SIGINT, 143 on SIGTERM). Cells another live run has claimed are left to it."""
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
    settings = Settings(verbose, str(out / "tensorboard") if tensorboard else None)
    running: dict[str, tuple[Cell, float]] = {}
    deferred: dict[str, tuple[Cell, str]] = {}  # claimed by another live run: tried once more at the end
    failed = 0
    signals = Signals()

    def skip(cell: Cell, reason: str, in_progress: bool) -> None:
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
