"""Cell files on disk: one JSON per finished trial (record.Record), written atomically, read back for resume
and reports."""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.bench.execution.record import DONE, NewerSchemaError, Record, RecordError  # noqa: F401  (store.DONE)
from zoo.values import UsageError

if TYPE_CHECKING:
    from zoo.bench.design.matrix import Trial

TMP_SUFFIX = ".tmp"
CORRUPT_SUFFIX = ".corrupt"  # a cell file that cannot be read is kept under this name, beside the others
HOST = socket.gethostname()
STALE_SECONDS = 600  # a file another host left untouched this long belongs to a dead run
TUNE_JOURNAL = "study.journal"  # `rnn-zoo tune`'s Optuna journal, in its run folder
TUNE_FINAL, TUNE_DEFAULT = "final", "default"  # its best configurations and the default recipe, on fresh seeds
TUNING_SEED = 0  # every tuning trial trains on it; the tuned and default runs beside a study never do
TUNE_SUMMARY = "tuning.json"  # beside it: each study's best and fANOVA importances, for readers without Optuna


def cells_dir(out: Path) -> Path:
    return Path(out) / "cells"


def clean_json(obj: Any) -> Any:
    """NaN/Inf -> None so every file is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    return obj


def check_writable(out: Path, flag: str = "--out") -> None:
    """UsageError, before anything is created, unless `out` is a folder we can write in or can make one."""
    out = Path(out)
    existing = next(p for p in [out, *out.parents] if os.path.lexists(p))  # the nearest part that is there
    if not existing.is_dir():
        raise UsageError(f"{flag} {out}: {'it' if existing == out else existing} exists and is not a folder")
    try:  # the one reliable test (root ignores permission bits; /proc, /sys and read-only mounts do not)
        os.rmdir(tempfile.mkdtemp(prefix=".rnn-zoo-check-", dir=existing))
    except OSError as err:
        raise UsageError(f"{flag} {out}: cannot write in {existing} ({err.strerror})") from None


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file, fsync, then rename over `path`: readers see all or nothing.

    The temporary file is named after its writer (NAME~PID@HOST.tmp), so runs sharing a folder
    neither collide nor delete each other's half-written files.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}~{os.getpid()}@{HOST}{TMP_SUFFIX}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:  # a full disk, a signal: no half-written file stays behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError):  # named after the file it was for, not its temporary
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(clean_json(obj), indent=1, sort_keys=True) + "\n")


def save_cell(out: Path, record: Record) -> Path:
    path = cells_dir(out) / f"{record.cell_id}.json"
    write_json(path, record.to_json())
    return path


def reserved_seeds(run: Path) -> set[int]:
    """Seeds a run must not train: the tuning seed in a tune folder's final/ and default/ (fresh seeds only)."""
    return {TUNING_SEED} if is_tune_folder(Path(run).resolve().parent) else set()


def is_tune_folder(folder: Path) -> bool:
    """A `rnn-zoo tune` run folder: its trials are scored on validation only (its final/ holds the tests)."""
    return (Path(folder) / TUNE_JOURNAL).is_file()


def load_cells(out: Path) -> list[Record]:
    """Every trial's record under `out`, sorted by id; stale temporary files are ignored."""
    folder = cells_dir(out)
    if not folder.is_dir():
        return []
    return [load_record(p) for p in sorted(folder.glob("*.json"))]


def load_record(path: Path) -> Record:
    """One cell file; a file that holds no record is a RecordError naming the file and the field."""
    try:
        return Record.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (RecordError, json.JSONDecodeError) as err:
        raise (type(err) if isinstance(err, RecordError) else RecordError)(f"{path}: {err}") from None


def set_aside_corrupt(out: Path) -> list[str]:
    """Move every unreadable cell file to NAME.json.corrupt (kept, never deleted), so its cell runs again.

    Returns one line per file moved. Runs doing this at once are harmless: one of them moves each file.
    """
    lines = []
    for path in sorted(cells_dir(out).glob("*.json")):
        reason = _unreadable(path)
        if reason is not None and (aside := _move_aside(path)) is not None:
            lines.append(f"corrupt cell file {path} moved to {aside.name} ({reason[:160]}); its cell runs again")
    return lines


def _unreadable(path: Path) -> str | None:
    """Why `path` holds no record of its cell (truncated, not JSON, not a record, another cell's), or None."""
    try:
        record = load_record(path)
    except FileNotFoundError:  # moved aside by another run meanwhile
        return None
    except NewerSchemaError:  # a newer rnn-zoo's: this one stops instead of running the cell again over it
        raise
    except (RecordError, UnicodeDecodeError) as err:
        return str(err).removeprefix(f"{path}: ")
    return None if record.cell_id == path.stem else f"it holds cell {record.cell_id}"


def _move_aside(path: Path) -> Path | None:
    """Rename `path` to the first free NAME.corrupt[.N]; None if another run moved it first."""
    for n in itertools.count(1):
        aside = path.with_name(f"{path.name}{CORRUPT_SUFFIX}{'' if n == 1 else f'.{n}'}")
        try:  # reserve the name first: a plain rename would replace an earlier corrupt copy
            os.close(os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            continue
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            aside.unlink()
            return None
        return aside


def cell_stamp(out: Path, cell_id: str) -> int | None:
    """When the cell's file was last written (ns), or None: tells whether another run wrote it meanwhile."""
    try:
        return (cells_dir(out) / f"{cell_id}.json").stat().st_mtime_ns
    except FileNotFoundError:
        return None


def writer_is_gone(host: str, pid: int, mtime: float) -> bool:
    """Whether the process that wrote a file (a temporary, a claim) is dead: gone from this host, or
    silent longer than STALE_SECONDS on another."""
    if time.time() - mtime > STALE_SECONDS:
        return True
    return host == HOST and not pid_alive(pid)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_stale_temporaries(out: Path) -> int:
    """Delete half-written files that killed runs left behind (never those of a live run); returns how many."""
    removed = 0
    for path in [*cells_dir(out).glob(f"*{TMP_SUFFIX}"), *Path(out).glob(f"*{TMP_SUFFIX}")]:
        writer = path.name[:-len(TMP_SUFFIX)].rpartition("~")[2]
        pid, _, host = writer.partition("@")
        try:
            gone = writer_is_gone(host, int(pid), path.stat().st_mtime) if pid.isdigit() else True
            if gone:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # its writer renamed it meanwhile
            continue
    return removed


RUN_INFO = "run.json"  # the command(s) whose cells a run folder holds


def read_run_info(out: Path) -> dict:
    path = Path(out) / RUN_INFO
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def matrix_fingerprint(cells: list[Trial]) -> str:
    """Which cells a command asks for, with their configs: equal for the same command, whatever its --jobs."""
    lines = sorted(f"{c.cell_id} {c.config_hash}" for c in cells)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def run_info_for(out: Path, cells: list[Trial], command: str, preset: str, extend: bool,
                 skipped: list[str] = ()) -> dict | None:
    """The run.json a `run` of `cells` into `out` writes (None: the folder's own run, resumed, unchanged).

    A folder holds the cells of the command that made it; another command's cells mix in only with
    `extend`, and then run.json lists that command too (under "extended_by"). A command whose cells are
    all in the folder already (the same run, or a part of it) resumes. UsageError otherwise.
    `skipped`: the lines saying which models the command's matrix leaves out, and why.
    """
    info, records = read_run_info(out), load_cells(out)
    entry = {"command": command, "preset": preset, "cells": len(cells), "matrix": matrix_fingerprint(cells)}
    if skipped:
        entry["skipped"] = list(skipped)
    if not info and not records:
        return entry
    runs = [info, *info.get("extended_by", [])]
    if entry["matrix"] in {r.get("matrix") for r in runs} or {c.cell_id for c in cells} <= {r.cell_id for r in records}:
        return None
    if not extend:
        made_by = f"`{info['command']}`" if info.get("command") else "another command"
        raise UsageError(f"{out} holds the cells of {made_by}, not of this command; use another --out, or --extend "
                         f"to add this command's cells to that run")
    return {**info, "extended_by": [*info.get("extended_by", []), entry]} if info else entry


def note_command(out: Path, command: str, cells: int) -> None:
    """List `command` (which trains `cells` more cells into `out`, as compare --add-seeds does) in run.json."""
    info = read_run_info(out)
    extensions = info.get("extended_by", [])
    if extensions and extensions[-1]["command"] == command and "matrix" not in extensions[-1]:
        cells += extensions.pop()["cells"]  # its next round
    write_json(Path(out) / RUN_INFO, {**info, "extended_by": [*extensions, {"command": command, "cells": cells}]})


def finished_cells(out: Path, cells: list[Trial]) -> set[str]:
    """Ids of cells already done under `out`; a file from a different config is a UsageError."""
    existing = {r.cell_id: r for r in load_cells(out)}
    done = set()
    for cell in cells:
        record = existing.get(cell.cell_id)
        if record is None:
            continue
        if record.config_hash != cell.config_hash:
            if record.backend != cell.backend:
                raise UsageError(f"{out} holds cells run on {record.backend}, this run is on {cell.backend}; a run "
                                 f"directory keeps one backend: use another --out or the same --backend")
            raise UsageError(
                f"{out} already holds cell {cell.cell_id} from a different config "
                f"(hash {record.config_hash} != {cell.config_hash}); use another --out"
            )
        if record.done:
            done.add(cell.cell_id)
    return done
