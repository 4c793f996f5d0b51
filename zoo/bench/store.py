"""Cell files on disk: one JSON per finished trial (record.Record), written atomically, read back for resume
and reports."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.bench.record import DONE, Record, RecordError  # noqa: F401  (store.DONE)
from zoo.bench.values import UsageError

if TYPE_CHECKING:
    from zoo.bench.matrix import Cell

TMP_SUFFIX = ".tmp"


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
    """Write to a temporary file, fsync, then rename over `path`: readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + TMP_SUFFIX)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
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
        raise RecordError(f"{path}: {err}") from None


def remove_stale_temporaries(out: Path) -> int:
    """Delete half-written files a killed run left behind; returns how many."""
    stale = list(cells_dir(out).glob(f"*{TMP_SUFFIX}")) + list(Path(out).glob(f"*{TMP_SUFFIX}"))
    for path in stale:
        path.unlink()
    return len(stale)


def finished_cells(out: Path, cells: list[Cell]) -> set[str]:
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
