"""Data files a task reads: found in a configured folder or downloaded once into a cache, always checksum-verified.

Where a file comes from, in order: the task's `data_dir`, else $RNN_ZOO_DATA (each searched as
FOLDER/<subdir>/<name>, then FOLDER/<name>); a configured folder that lacks the file is an error at
once, never a download. Without one, the cache ($KERAS_HOME/datasets/<subdir>/, as Keras's own
datasets, ~/.keras by default), filled from the file's public URLs on first use. A file is used
only when its sha256 is the published one: a missing, truncated or other file is one line naming
it, the expected and the found checksum (DataUnavailableError, which the runner turns into exit 2).
"""
from __future__ import annotations

import functools
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tasks.base import DataUnavailableError

ENV_VAR = "RNN_ZOO_DATA"
CHUNK = 1 << 20


@dataclass(frozen=True)
class DataFile:
    """A published file: its name, sha256, and where to download it (mirrors, tried in order)."""

    name: str
    sha256: str
    subdir: str  # its folder under $RNN_ZOO_DATA and the cache, e.g. "mnist"
    urls: tuple[str, ...]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, file: DataFile) -> Path:
    """`path`, if its sha256 is `file`'s; DataUnavailableError naming both checksums otherwise."""
    found = sha256_of(path)
    if found != file.sha256:
        raise DataUnavailableError(f"{path}: sha256 {found}, expected {file.sha256} (truncated, damaged or "
                                   f"not the published {file.name}); replace it with the published file")
    return path


def cache_dir() -> Path:
    """Where downloads are kept: Keras's datasets folder ($KERAS_HOME, default ~/.keras)."""
    return Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"


def configured(data_dir: str | None, option: str) -> tuple[str, Path] | None:
    """(how the user named it, the folder) of `data_dir` (the task option `option`), else $RNN_ZOO_DATA, else None."""
    if data_dir:
        return f"{option}={data_dir}", Path(data_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}={os.environ[ENV_VAR]}", Path(os.environ[ENV_VAR]).expanduser()
    return None


def locate(file: DataFile, data_dir: str | None, option: str) -> Path:
    """The verified local path of `file`: from the configured folder, else the cache (downloading it there once)."""
    where = configured(data_dir, option)
    if where is not None:
        name, folder = where
        for path in (folder / file.subdir / file.name, folder / file.name):
            if path.is_file():
                return verified(path, file)
        raise DataUnavailableError(f"{name} holds no {file.subdir}/{file.name} (nor {file.name}); put the "
                                   f"published file there, or unset it to download into {cache_dir()}")
    path = cache_dir() / file.subdir / file.name
    if not path.is_file():
        download(file, path)
    return verified(path, file)


@functools.lru_cache(maxsize=64)
def _verified(path: Path, file: DataFile, stamp: tuple[int, int]) -> Path:
    return verify(path, file)


def verified(path: Path, file: DataFile) -> Path:
    """verify(), once per file version (size and modification time) in this process."""
    status = path.stat()
    return _verified(path, file, (status.st_size, status.st_mtime_ns))


def download(file: DataFile, path: Path, timeout: float = 30.0) -> Path:
    """Fetch `file` from its first URL that answers with the published bytes into `path` (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    failures = []
    for url in file.urls:
        try:
            digest = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
                for block in iter(lambda: response.read(CHUNK), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() == file.sha256:
                os.replace(partial, path)  # never a half-written file under the final name
                return path
            failures.append(f"{url}: sha256 {digest.hexdigest()}, expected {file.sha256}")
        except (OSError, urllib.error.URLError, ValueError) as err:  # offline, HTTP errors, bad URLs
            failures.append(f"{url}: {' '.join(str(getattr(err, 'reason', err)).split())}")
        finally:
            partial.unlink(missing_ok=True)
    raise DataUnavailableError(f"{file.name} could not be downloaded ({'; '.join(failures)}); set {ENV_VAR} "
                               f"to a folder holding {file.subdir}/{file.name}")
