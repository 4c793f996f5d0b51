"""Claim files: runs (or machines) sharing one results folder never train the same cell twice.

A run claims a cell before training it by creating OUT/claims/<cell id>.claim exclusively
(O_EXCL, atomic on local filesystems and NFS) with its host, pid and start time, and refreshes
the file's mtime (its heartbeat) while it holds it. A claim is live unless its process is dead on
this host or its heartbeat is older than store.STALE_SECONDS; a dead run's claims are taken over.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from pathlib import Path

from zoo.bench.execution import store

SUFFIX = ".claim"
TAKEOVER_SECONDS = 60  # a takeover lock older than this was left by a run killed while taking over


class Claims:
    """The claims this run holds in `out`, their heartbeat kept by a thread while the context is open."""

    def __init__(self, out: Path, beat_seconds: float = 30.0):
        self.folder = Path(out) / "claims"
        self.beat_seconds = beat_seconds
        self.token = uuid.uuid4().hex  # tells this run's claims from an earlier run's in the same process
        self.held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def path(self, cell_id: str) -> Path:
        return self.folder / f"{cell_id}{SUFFIX}"

    def claim(self, cell_id: str) -> str | None:
        """Claim the cell for this run. None: it is ours now; else who holds it, e.g.
        'host h, pid 12, since 2026-01-01 10:04:31'."""
        path = self.path(cell_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # a claim released or taken over between two steps: look again
            if self._create(path):
                with self._lock:
                    self.held.add(cell_id)
                return None
            holder, mtime = _read(path)
            if mtime is None:
                continue
            if self._live(holder, mtime):
                return _describe(holder)
            return None if self._take_over(path, (holder, mtime)) else "another run taking over a dead run's claim"
        return "another run"

    def release(self, cell_id: str) -> None:
        """Give the cell up (after its record is on disk, so some file always says what became of it)."""
        with self._lock:
            self.held.discard(cell_id)
        path = self.path(cell_id)
        holder, _ = _read(path)
        if holder and holder.get("token") == self.token:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def beat(self) -> None:
        """Refresh the mtime of every claim held."""
        with self._lock:
            held = list(self.held)
        for cell_id in held:
            with contextlib.suppress(FileNotFoundError):
                os.utime(self.path(cell_id))

    def __enter__(self) -> "Claims":
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat_loop, name="claims-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for cell_id in list(self.held):
            self.release(cell_id)
        self.sweep()
        with contextlib.suppress(OSError):  # empty once no run holds anything
            self.folder.rmdir()

    def sweep(self) -> None:
        """Remove the claims of dead runs (one killed after writing its cell's file leaves the claim behind)."""
        for path in self.folder.glob(f"*{SUFFIX}"):
            holder, mtime = _read(path)
            if mtime is not None and not self._live(holder, mtime) and self._take_over(path, (holder, mtime)):
                self.release(path.name[:-len(SUFFIX)])

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.beat_seconds):
            self.beat()

    def _create(self, path: Path) -> bool:
        info = {"host": store.HOST, "pid": os.getpid(), "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                "token": self.token}
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(info, f)
                f.flush()
                os.fsync(f.fileno())
        except OSError as err:  # a full disk: no empty claim stays behind
            path.unlink()
            raise OSError(err.errno, err.strerror, str(path)) from err
        return True

    def _live(self, holder: dict | None, mtime: float) -> bool:
        if holder is None:  # being written this instant, or garbage: only its age tells
            return time.time() - mtime <= store.STALE_SECONDS
        if holder.get("host") == store.HOST and holder.get("pid") == os.getpid() and holder.get("token") != self.token:
            return False  # left by an earlier run in this very process
        return not store.writer_is_gone(holder.get("host"), int(holder.get("pid", -1)), mtime)

    def _take_over(self, path: Path, seen: tuple[dict | None, float]) -> bool:
        """Replace the dead claim `seen` (content, mtime). A lock file serialises the runs that saw it dead
        at once, so none of them removes the fresh claim another just made, or one whose holder beat since."""
        lock = path.with_name(path.name + ".takeover")
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - lock.stat().st_mtime > TAKEOVER_SECONDS:
                    lock.unlink()
            return False
        try:
            if _read(path) != seen:  # taken over first by another run, or its holder is alive after all
                return False
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            if not self._create(path):
                return False
            with self._lock:
                self.held.add(path.name[:-len(SUFFIX)])
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()


def _read(path: Path) -> tuple[dict | None, float | None]:
    """(the claim's content or None if unreadable, its mtime or None if there is no claim)."""
    try:
        mtime = path.stat().st_mtime
        holder = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError):
        return None, mtime
    return (holder if isinstance(holder, dict) else None), mtime


def _describe(holder: dict | None) -> str:
    if holder is None:
        return "another run (its claim is being written)"
    return f"host {holder.get('host')}, pid {holder.get('pid')}, since {holder.get('since')}"
