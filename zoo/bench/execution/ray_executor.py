"""`rnn-zoo run --executor ray`: each cell a Ray task, on a local Ray instance or an existing cluster.

The task prepares its data on the node that trains it and returns the record; the driver (the
`rnn-zoo run` process) writes the cell files. Ray retries a task whose worker process dies, at most
workers.RETRIES times; then the cell is recorded failed with Ray's reason.
"""
from __future__ import annotations

import os
import re
import socket
import time
import warnings
from typing import Callable

from zoo.bench.execution import workers
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.record import Record
from zoo.bench.execution.train import base_record
from zoo.values import UsageError

INSTALL = "pip install -e '.[ray]'"
ADDRESS = re.compile(r"auto|(ray://)?[A-Za-z0-9.\-\[\]:]+:\d+")
_data = workers.DataCache()  # per Ray worker process: consecutive cells of one task instance share it


def _train(cell: Trial, settings: workers.Settings) -> Record:
    """The Ray task: runs in a worker process whose environment (backend, threads) came with the job."""
    workers.setup_worker(settings)
    return workers.train_one(cell, settings, _data)


def check_address(address: str) -> None:
    if not ADDRESS.fullmatch(address):
        raise UsageError(f"--address {address!r}: expected HOST:PORT of a Ray cluster's head (e.g. 10.0.0.5:6379), "
                         "ray://HOST:PORT or auto")


def check_reachable(address: str, seconds: float = 10) -> None:
    """UsageError unless something listens at HOST:PORT (Ray itself retries a dead address for minutes)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except OSError as err:
        raise UsageError(f"--address {address}: no Ray cluster answers there ({err.strerror or err})") from None


class RayExecutor:
    """Cells as Ray tasks needing `cpus` CPUs (and `gpus` GPUs) each; a task's threads follow its CPUs."""

    def __init__(self, address: str | None = None, cpus: int = 1, gpus: float = 0, local_cpus: int | None = None,
                 verbose: bool = False, worker_output: bool | None = None):
        self.address, self.cpus, self.gpus, self.verbose = address, cpus, gpus, verbose
        # the workers' stdout and stderr here (default: with --verbose); tune's workers print its progress
        self.worker_output = verbose if worker_output is None else worker_output
        self.local_cpus = local_cpus  # a local instance's CPUs (default: all of this machine's)
        self._refs: dict[object, tuple[Trial, float]] = {}
        self._remote = None
        self._settings = workers.Settings()
        self._capacity: tuple[float, int] = (0.0, 1)  # (when measured, value)
        self._owns_ray = False  # Ray was started or joined here (so close() leaves it), not found running

    def connect(self) -> None:
        """Start a local Ray instance or join `address`; UsageError (one line) if Ray is missing or unreachable.
        Done before the run creates anything, so a bad --address leaves no folder behind."""
        try:
            import ray
        except ImportError:
            raise UsageError(f"--executor ray: Ray is not installed ({INSTALL})") from None
        if ray.is_initialized():
            return
        import keras

        env = {"KERAS_BACKEND": keras.backend.backend(), **workers.thread_env(self.cpus)}
        for name in ("TF_CPP_MIN_LOG_LEVEL", "RNN_ZOO_DATA", "PYTHONPATH"):  # what the driver's cells rely on
            if name in os.environ:
                env[name] = os.environ[name]
        options = dict(runtime_env={"env_vars": env}, include_dashboard=False, log_to_driver=self.worker_output,
                       logging_level="INFO" if self.verbose else "WARNING")
        if self.address is None:  # "local": a new instance even where `ray start` runs one on this machine
            options.update(address="local", num_cpus=self.local_cpus)
        else:
            check_address(self.address)
            check_reachable(self.address)
            options.update(address=self.address)
        try:
            with warnings.catch_warnings():  # Ray starts its processes by fork + exec, which JAX's warning misjudges
                warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
                ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as err:
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            raise UsageError(f"--executor ray: cannot start or reach {where}: {str(err).splitlines()[0]}") from None
        self._owns_ray = True

    def open(self, settings: workers.Settings, stop_requested: Callable[[], bool]) -> None:
        import ray

        self.connect()
        self._settings = settings
        # retries cover a worker process that dies; an exception in training is a failed record already
        self._remote = ray.remote(_train).options(num_cpus=self.cpus, num_gpus=self.gpus,
                                                   max_retries=workers.RETRIES, retry_exceptions=False)

    def capacity(self) -> int:
        """Cells the cluster can train at once, from its resources (re-read every 10 s: nodes join and leave)."""
        import ray

        measured, value = self._capacity
        if time.monotonic() - measured > 10:
            have = ray.cluster_resources()
            value = int(have.get("CPU", 0) // self.cpus)
            if self.gpus:
                value = min(value, int(have.get("GPU", 0) // self.gpus))
            value = max(1, value)
            self._capacity = (time.monotonic(), value)
        return value

    def submit(self, cell: Trial) -> None:
        self._refs[self._remote.remote(cell, self._settings)] = (cell, time.perf_counter())

    def wait(self, timeout: float) -> list[Record]:
        import ray

        if not self._refs:
            return []
        ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=timeout)
        records = []
        for ref in ready:
            cell, start = self._refs.pop(ref)
            try:
                records.append(ray.get(ref))
            except ray.exceptions.RayError as err:  # its worker died RETRIES + 1 times, or the node is gone
                error = f"{type(err).__name__}: {str(err).strip().splitlines()[0]}"
                records.append(base_record(cell, "failed", error=error, traceback=str(err),
                                           wall_seconds=time.perf_counter() - start))
        return records

    def close(self) -> None:
        """Cancel the tasks still running; leave Ray if connect() joined it (a local instance stops with it)."""
        import ray

        if not ray.is_initialized():
            return
        for ref in self._refs:
            ray.cancel(ref, force=True)
        self._refs.clear()
        if self._owns_ray:
            ray.shutdown()
