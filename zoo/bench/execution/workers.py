"""Where cells train: what a worker does with a cell (in the runner's process, a local worker process or a
Ray task), and the pool of local worker processes behind `rnn-zoo run --jobs N`.

Workers only return records; the runner's process alone writes cell files and tells the reporters.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import tasks
from tasks.base import Splits
from zoo import backends
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.plugins import import_modules
from zoo.bench.execution.quiet import quiet_startup
from zoo.bench.execution.record import Record
from zoo.bench.execution.train import base_record, train_trial

RETRIES = 2  # a cell whose worker process dies is trained again this many times, then recorded failed


@dataclass(frozen=True)
class Settings:
    """How every cell of a run trains, whichever worker trains it."""

    verbose: bool = False
    tensorboard: str | None = None  # a folder for one TensorBoard log dir per cell
    imports: tuple[str, ...] = ()  # the user's modules (--import), imported by each worker before it trains
    test_split: bool = True  # False for tune's trials: chosen on validation, the test split is for fresh seeds


class DataCache:
    """Keeps the prepared data of the current task instance and seed; cells are ordered to share it."""

    def __init__(self):
        self.key: str | None = None
        self._splits: Splits | None = None

    def get(self, cell: Trial) -> Splits:
        key = cell.data_key()
        if key != self.key:
            self.key, self._splits = None, None  # free the previous data first
            task = tasks.create_task(cell.task, **cell.task_params)
            self._splits = task.data(cell.seed, batch_size=cell.recipe["batch_size"])
            self.key = key
        return self._splits


def train_one(cell: Trial, settings: Settings, data: DataCache,
              stop_requested: Callable[[], bool] = lambda: False, callbacks: tuple = ()) -> Record:
    """The cell's record; an exception becomes a `failed` record (one broken cell must not stop the matrix).
    KeyboardInterrupt (from `stop_requested`) goes through."""
    start = time.perf_counter()
    try:
        check_backend(cell)
        return train_trial(cell, data.get(cell), verbose=settings.verbose,
                          tensorboard=Path(settings.tensorboard) if settings.tensorboard else None,
                          stop_requested=stop_requested, callbacks=callbacks, test_split=settings.test_split)
    except Exception as err:
        return base_record(cell, "failed", error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc(),
                           wall_seconds=time.perf_counter() - start)


def check_backend(cell: Trial) -> None:
    """A worker (another machine's, say) must train on the run's backend and version, or the hash lies."""
    if not cell.backend:
        return
    import keras

    name = keras.backend.backend()
    here = f"{name} {backends.version(name)}"
    if here != cell.backend:
        raise RuntimeError(f"this worker has Keras on {here}, the run is on {cell.backend}")


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables that give a worker process `threads` CPU threads; read when it starts.

    JAX: only Eigen's multi-threading is turned off for one thread. XLA's NPROC would size its pool
    too, but it changes the last bits of results against the runner's own process (measured), and
    `--jobs N` must give the numbers of `--jobs 1`.
    """
    n = str(threads)
    env = {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
           "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n}
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in flags:
        env["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
    return env


_ready = False


def setup_worker(settings: Settings) -> None:
    """Once per worker process: Keras on the backend its environment names, deterministic ops, threads,
    TensorFlow's banner kept out of the run's output as in the runner's own process, and the user's modules."""
    global _ready
    if _ready:
        return
    import keras

    quiet_startup(settings.verbose, trains=True)
    import_modules(settings.imports)  # after Keras is on the run's backend: they register models and tasks

    backends.make_deterministic()
    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    _ready = True


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _worker_main(conn: multiprocessing.connection.Connection, settings: Settings) -> None:
    """A local worker process: train each cell it is sent, send back its record. SIGINT is ignored
    (inherited from its start): Ctrl-C reaches the whole process group, and the runner decides."""
    parent = os.getppid()

    def orphaned() -> None:  # the runner was killed (-9): stop rather than train for nobody
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()
    setup_worker(settings)
    data = DataCache()
    while True:
        try:
            cell = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(train_one(cell, settings, data))


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: multiprocessing.connection.Connection
    cell: Trial | None = None
    data_key: str | None = None


class ProcessExecutor:
    """`jobs` local worker processes, each with cpu_count() // jobs threads (`threads` overrides).

    Started with spawn (JAX is not fork-safe), so each imports Keras afresh on the run's backend
    (KERAS_BACKEND, set by the runner's process) with its thread settings in its environment.
    A worker that dies mid-cell is replaced and the cell sent again, at most RETRIES times.
    """

    def __init__(self, jobs: int, threads: int | None = None):
        self.jobs = jobs
        self.threads = threads or max(1, cpu_count() // jobs)
        self._workers: list[_Worker] = []
        self._attempts: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._settings = Settings()
        self._stop_requested: Callable[[], bool] = lambda: False

    def open(self, settings: Settings, stop_requested: Callable[[], bool]) -> None:
        self._settings, self._stop_requested = settings, stop_requested
        self._workers = []  # started as cells come: a resumed run with one cell left starts one

    def capacity(self) -> int:
        return self.jobs

    def submit(self, cell: Trial) -> None:
        idle = [w for w in self._workers if w.cell is None]
        worker = next((w for w in idle if w.data_key == cell.data_key()), None)  # its data may be ready there
        if worker is None and len(self._workers) < self.jobs:
            self._workers.append(worker := self._spawn())
        worker = worker or idle[0]
        self._attempts[cell.cell_id] = 1
        self._started[cell.cell_id] = time.perf_counter()
        self._send(worker, cell)

    def wait(self, timeout: float) -> list[Record]:
        """Records of the cells finished within `timeout` seconds (often none)."""
        waitables = [w.conn for w in self._workers if w.cell is not None] + [w.process.sentinel for w in self._workers]
        ready = set(multiprocessing.connection.wait(waitables, timeout))
        records = []
        for i, worker in enumerate(self._workers):
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            if worker.cell is not None:
                try:
                    if worker.conn.poll():
                        records.append(worker.conn.recv())
                        worker.cell = None
                        continue
                except (EOFError, OSError):
                    pass
            if worker.process.is_alive():
                continue
            worker.process.join()
            lost, code = worker.cell, worker.process.exitcode
            worker.conn.close()
            if self._stop_requested():  # the run is stopping: the runner records the cell interrupted
                continue
            self._workers[i] = self._spawn()
            if lost is not None:
                records += self._retry(self._workers[i], lost, code)
        return records

    def close(self) -> None:
        """Stop every worker now (a cell in training is abandoned: the runner has recorded it)."""
        for worker in self._workers:
            worker.conn.close()
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self._workers = []

    def _retry(self, worker: _Worker, cell: Trial, code: int | None) -> list[Record]:
        tries = self._attempts[cell.cell_id]
        what = f"the worker process training {cell.cell_id} died (exit code {code})"
        if tries > RETRIES:
            wall = time.perf_counter() - self._started[cell.cell_id]
            return [base_record(cell, "failed", error=f"WorkerDied: {what}, on all {tries} attempts", wall_seconds=wall)]
        print(f"rnn-zoo: {what}; training it again (retry {tries} of {RETRIES})", file=sys.stderr, flush=True)
        self._attempts[cell.cell_id] = tries + 1
        self._send(worker, cell)
        return []

    def _send(self, worker: _Worker, cell: Trial) -> None:
        worker.cell, worker.data_key = cell, cell.data_key()
        worker.conn.send(cell)

    def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        process = ctx.Process(target=_worker_main, args=(theirs, self._settings), daemon=True,
                              name="rnn-zoo-worker")
        with _environment(thread_env(self.threads)), _sigint_ignored():
            process.start()
        theirs.close()
        return _Worker(process, ours)


@contextmanager
def _environment(values: dict[str, str]):
    """os.environ with `values`, for a child started meanwhile (it copies the environment at its start)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _sigint_ignored():
    """A child started meanwhile ignores SIGINT from its first instruction (ignored signals survive exec)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
