import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _default_backend() -> str:
    """The runner's default backend, read from zoo/backends.py without importing zoo (which imports keras)."""
    spec = importlib.util.spec_from_file_location("_backends", REPO / "zoo" / "backends.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.default_backend()


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["KERAS_BACKEND"] = _default_backend()  # $KERAS_BACKEND if set, else the fastest installed here

SHARED_IMDB = REPO.parent / "shared" / "data" / "aclImdb_labeled.tar.gz"
if SHARED_IMDB.exists():
    os.environ.setdefault("RNN_ZOO_DATA", str(SHARED_IMDB.parent))  # the IMDB task reads the real reviews


@pytest.fixture(scope="session")
def shared_imdb() -> Path:
    if not SHARED_IMDB.exists():
        pytest.skip(f"the shared IMDB copy is not at {SHARED_IMDB}")
    return SHARED_IMDB


def pytest_configure(config):
    """JAX's persistent compilation cache in .pytest_cache: a re-run skips compiling what ran before (the quick
    check on 2 idle cores: ~120 s the first time, ~60 s after), the CLI runs tests start inherit it, and
    `pytest --cache-clear` empties it. $JAX_COMPILATION_CACHE_DIR, if set, wins; -p no:cacheprovider: no cache."""
    if getattr(config, "cache", None) is None or "jax" in sys.modules:  # jax reads these when first imported
        return
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(config.cache.mkdir("jax-compilation")))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # tests compile many small functions
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(512 * 2**20))  # the least recently used go first


def pytest_report_header(config):
    return f"Keras backend: {os.environ['KERAS_BACKEND']}"


# The quick check, `pytest -m "not slow"`, builds and trains these stand-ins for the model list: a plain Keras RNN,
# a cuDNN-eligible GRU, a custom cell, a parallel-scan model and a bidirectional LSTM. Plain `pytest` runs every model.
REPRESENTATIVES = ("rnn", "gru", "peephole_lstm", "mingru", "bilstm")


def quick(params: list, fast=REPRESENTATIVES) -> list:
    """`params` for pytest.mark.parametrize, each one not in `fast` marked slow (plain `pytest` still runs it)."""
    if not any(p in fast for p in params):
        raise ValueError(f"none of {params} is in the quick subset {fast}: the quick check would skip them all")
    return [p if p in fast else pytest.param(*(p if isinstance(p, tuple) else (p,)), marks=pytest.mark.slow)
            for p in params]


def quick_grid(rows: list, columns: list, fast_rows=REPRESENTATIVES) -> list:
    """Every (row, column) pair, a tuple row spread out; the quick pairs give each fast row one column in turn,
    so that they meet every column once there are as many fast rows."""
    pair = lambda row, column: (*row, column) if isinstance(row, tuple) else (row, column)  # noqa: E731
    fast = [row for row in rows if row in fast_rows]
    return quick([pair(row, column) for row in rows for column in columns],
                 [pair(row, columns[i % len(columns)]) for i, row in enumerate(fast)])
