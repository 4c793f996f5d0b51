"""What a run reports as it goes: the results tables, and one progress line per cell (runner.Reporter)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from zoo.bench import report
from zoo.bench.matrix import Cell
from zoo.bench.record import Record


class TablesReporter:
    """Rewrites results.md/.csv/.json after every cell; figures too once the run has finished."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.paths: list[Path] = []  # what the last write produced

    def on_start(self, total: int, skipped: int) -> None:
        pass

    def on_cell_start(self, cell: Cell) -> None:
        pass

    def on_cell_end(self, record: Record) -> None:
        self.paths = report.write_tables(self.out)

    def on_finish(self, outcome: str, failed: int) -> None:
        self.paths = report.write_all(self.out) if outcome == "finished" else report.write_tables(self.out)


class Progress:
    """One line per cell on `stream`: position, elapsed time, ETA, the cell and its outcome."""

    def __init__(self, out: Path, stream: TextIO = sys.stderr):
        self.out, self.stream = Path(out), stream
        self.total = self.done = self.ran = 0
        self.start = time.perf_counter()

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_start(self, total: int, skipped: int) -> None:
        self.total, self.done, self.ran = total, skipped, 0
        self.start = time.perf_counter()
        if skipped:
            self._print(f"resuming: {skipped} of {total} cells already finished")

    def on_cell_start(self, cell: Cell) -> None:
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.ran * (self.total - self.done) if self.ran else None
        eta_text = _hms(eta) if eta is not None else "?"
        self._print(f"[{self.done + 1}/{self.total} | {_hms(elapsed)} elapsed | ETA {eta_text}] "
                    f"{cell.model} on {cell.label} seed {cell.seed} ...")

    def on_cell_end(self, record: Record) -> None:
        self.done += 1
        self.ran += 1
        if record.done:
            outcome = (f"{record.metric} {_fmt(record.test_metric)} (baseline {_fmt(record.baseline)}), "
                       f"{record.epochs} epochs, {record.wall_seconds:.1f}s")
        else:
            outcome = (record.error_line or "")[:200]
        self._print(f"    {record.status}: {outcome}")

    def on_finish(self, outcome: str, failed: int) -> None:
        if outcome == "interrupted":
            self._print(f"interrupted: finished cells are kept in {self.out}; run the same command to resume")
        elif failed:
            self._print(f"{failed} cell(s) failed; see status and traceback in {self.out}/cells")


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _fmt(value) -> str:
    return "nan" if value is None else f"{value:.4g}"
