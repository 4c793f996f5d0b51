"""Run a matrix of cells: skip finished ones, write each result before the next starts, survive failures."""
from __future__ import annotations

import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import tasks
from tasks.base import Splits
from zoo.bench import store
from zoo.bench.matrix import Cell
from zoo.bench.record import Record
from zoo.bench.train import base_record, train_cell

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Executor(Protocol):
    """Runs `fn` on each cell and yields the records. A process pool or a cluster can stand in later."""

    def map(self, fn: Callable[[Cell], Record], cells: Iterable[Cell]) -> Iterator[Record]: ...


class Reporter(Protocol):
    """Told what the runner does, so tables, progress lines or a tracker need no place in its loop."""

    def on_start(self, total: int, skipped: int) -> None: ...  # `skipped` were finished by an earlier run

    def on_cell_start(self, cell: Cell) -> None: ...

    def on_cell_end(self, record: Record) -> None: ...  # the record is on disk already

    def on_finish(self, outcome: str, failed: int) -> None: ...  # outcome: "finished" or "interrupted"


class SerialExecutor:
    """One cell after another, in this process."""

    def map(self, fn: Callable[[Cell], Record], cells: Iterable[Cell]) -> Iterator[Record]:
        for cell in cells:
            yield fn(cell)


class CtrlC:
    """While active, the first SIGINT only sets `requested` (training stops at the next batch);
    a second one raises KeyboardInterrupt at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> "CtrlC":
        if threading.current_thread() is threading.main_thread():  # signal handlers live there only
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class DataCache:
    """Keeps the prepared data of the current task instance and seed; cells are ordered to share it."""

    def __init__(self):
        self._key: str | None = None
        self._splits: Splits | None = None

    def get(self, cell: Cell) -> Splits:
        key = cell.data_key()
        if key != self._key:
            self._key, self._splits = None, None  # free the previous data first
            task = tasks.create_task(cell.task, **cell.task_params)
            self._splits = task.data(cell.seed, batch_size=cell.recipe["batch_size"])
            self._key = key
        return self._splits


def run_matrix(cells: list[Cell], out: Path, reporters: Sequence[Reporter] = (), executor: Executor | None = None,
               verbose: bool = False, tensorboard: bool = False) -> int:
    """Run the cells not yet finished under `out`; returns the exit code (0, 1 if any failed, 130 on Ctrl-C)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store.remove_stale_temporaries(out)
    done = store.finished_cells(out, cells)
    todo = [c for c in cells if c.cell_id not in done]
    for r in reporters:
        r.on_start(len(cells), len(cells) - len(todo))
    data = DataCache()
    running: dict[str, object] = {}
    failed = 0
    ctrl_c = CtrlC()

    def run_one(cell: Cell) -> Record:
        if ctrl_c.requested:
            raise KeyboardInterrupt
        running.update(cell=cell, start=time.perf_counter())
        for r in reporters:
            r.on_cell_start(cell)
        try:
            record = train_cell(cell, data.get(cell), verbose=verbose,
                                tensorboard=out / "tensorboard" if tensorboard else None,
                                stop_requested=lambda: ctrl_c.requested)
        except Exception as err:  # one broken cell must not stop the matrix
            record = base_record(cell, "failed", error=f"{type(err).__name__}: {err}",
                                 traceback=traceback.format_exc(), wall_seconds=time.perf_counter() - running["start"])
        store.save_cell(out, record)  # on disk before the next cell starts
        running.clear()
        for r in reporters:
            r.on_cell_end(record)
        return record

    try:
        with ctrl_c:
            for record in (executor or SerialExecutor()).map(run_one, todo):
                failed += record.failed
    except KeyboardInterrupt:
        cell = running.get("cell")
        if cell is not None:
            store.save_cell(out, base_record(cell, "interrupted", error="KeyboardInterrupt",
                                             wall_seconds=time.perf_counter() - running["start"]))
        for r in reporters:
            r.on_finish("interrupted", failed)
        return EXIT_INTERRUPTED
    for r in reporters:
        r.on_finish("finished", failed)
    return EXIT_FAILED if failed else EXIT_OK
