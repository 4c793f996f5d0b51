"""What a run reports as it goes: the results tables, and one progress line per cell (runner.Reporter)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from zoo.bench.reporting import report
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.record import Record


class TablesReporter:
    """Rewrites results.md/.csv/.json after every cell; figures too once the run has finished."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.paths: list[Path] = []  # what the last write produced

    def on_start(self, total: int, skipped: int) -> None:
        pass

    def on_cell_start(self, cell: Trial) -> None:
        pass

    def on_cell_end(self, record: Record) -> None:
        self.paths = report.write_tables(self.out)

    def on_cell_skipped(self, cell: Trial, reason: str, in_progress: bool) -> None:
        pass

    def on_finish(self, outcome: str, failed: int) -> None:
        self.paths = report.write_all(self.out) if outcome == "finished" else report.write_tables(self.out)


class Progress:
    """One line per cell on `stream`: position, elapsed time, ETA, the cell and its outcome.

    `concurrent`: cells train side by side, so each cell's line comes when it ends and names it
    (a start line would be separated from its outcome by other cells' lines).
    """

    def __init__(self, out: Path, stream: TextIO | None = None, concurrent: bool = False):
        self.out, self.stream, self.concurrent = Path(out), stream, concurrent
        self.total = self.done = self.left = 0
        self.start = time.perf_counter()
        self.running: dict[str, float] = {}  # cell id -> when it started
        self.cell_seconds: list[float] = []  # start to end of each cell this run trained
        self.lanes = 1  # the most cells seen training at once

    def _print(self, text: str) -> None:
        # sys.stderr read at each line, not bound at import: a later replacement (pytest's capsys, a
        # caller's redirect_stderr) must see the lines
        print(text, file=self.stream or sys.stderr, flush=True)

    def on_start(self, total: int, skipped: int) -> None:
        self.total, self.done, self.left = total, skipped, 0
        self.start = time.perf_counter()
        if skipped:
            self._print(f"resuming: {skipped} of {total} cells already finished")

    def _position(self, n: int) -> str:
        eta = self.eta()
        return (f"[{n}/{self.total} | {_hms(time.perf_counter() - self.start)} elapsed | "
                f"ETA {_hms(eta) if eta is not None else '?'}]")

    def eta(self) -> float | None:
        """Seconds left: the cells not finished at the mean time per cell, less what the running ones
        have done, spread over the cells that train at once."""
        if not self.cell_seconds:
            return None
        now = time.perf_counter()
        remaining = self.total - self.done  # the running cells among them
        mean = sum(self.cell_seconds) / len(self.cell_seconds)
        work = mean * remaining - sum(now - t for t in self.running.values())
        return max(0.0, work) / max(1, min(self.lanes, remaining))

    def on_cell_start(self, cell: Trial) -> None:
        self.running[cell.cell_id] = time.perf_counter()
        self.lanes = max(self.lanes, len(self.running))
        if not self.concurrent:
            self._print(f"{self._position(self.done + 1)} {_name(cell.model, cell.label, cell.seed)} ...")

    def on_cell_end(self, record: Record) -> None:
        started = self.running.pop(record.cell_id, None)
        if started is not None:
            self.cell_seconds.append(time.perf_counter() - started)
        self.done += 1
        if record.done:
            outcome = (f"{record.metric} {_fmt(record.test_metric)} (baseline {_fmt(record.baseline)}), "
                       f"{record.epochs} epochs, {record.wall_seconds:.1f}s")
        else:
            outcome = (record.error_line or "")[:200]
        if self.concurrent:
            name = _name(record.model, record.label, record.seed)
            self._print(f"{self._position(self.done)} {name}: {record.status}: {outcome}")
        else:
            self._print(f"    {record.status}: {outcome}")

    def on_cell_skipped(self, cell: Trial, reason: str, in_progress: bool) -> None:
        self.done += 1
        self.left += in_progress
        self._print(f"{self._position(self.done)} {_name(cell.model, cell.label, cell.seed)}: skipped, {reason}")

    def on_finish(self, outcome: str, failed: int) -> None:
        if outcome == "interrupted":
            self._print(f"interrupted: finished cells are kept in {self.out}; run the same command to resume")
            return
        if failed:
            self._print(f"{failed} cell(s) failed; see status and traceback in {self.out}/cells")
        if self.left:
            self._print(f"{self.left} cell(s) left to another run on {self.out}; once it ends, "
                        f"`rnn-zoo report {self.out}` has them all")


def _name(model: str, label: str, seed: int) -> str:
    return f"{model} on {label} seed {seed}"


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _fmt(value) -> str:
    return "nan" if value is None else f"{value:.4g}"
