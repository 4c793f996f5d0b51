import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_IMDB = REPO.parent / "shared" / "data" / "aclImdb_labeled.tar.gz"
if SHARED_IMDB.exists():
    os.environ.setdefault("RNN_ZOO_DATA", str(SHARED_IMDB.parent))  # the IMDB task reads the real reviews


@pytest.fixture(scope="session")
def shared_imdb() -> Path:
    if not SHARED_IMDB.exists():
        pytest.skip(f"the shared IMDB copy is not at {SHARED_IMDB}")
    return SHARED_IMDB
