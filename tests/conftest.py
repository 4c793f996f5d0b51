import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _default_backend() -> str:
    """The runner's default backend, read from zoo/bench/backends.py without importing zoo (which imports keras)."""
    spec = importlib.util.spec_from_file_location("_backends", REPO / "zoo" / "bench" / "backends.py")
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


def pytest_report_header(config):
    return f"Keras backend: {os.environ['KERAS_BACKEND']}"
