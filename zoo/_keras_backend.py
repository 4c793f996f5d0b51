"""Imported by zoo/__init__.py before Keras: never overrides a backend the user chose, but keeps
`import zoo` working where Keras's own choice is not installed.

Keras takes its backend from $KERAS_BACKEND, else ~/.keras/keras.json, else TensorFlow, and fails
to import at all when that backend is missing (say, a machine with only JAX). Only in that case,
and only when nothing was chosen explicitly, the first installed backend is used instead.
"""
import json
import os
import sys
from pathlib import Path

from zoo.bench.backends import CPU_PREFERENCE, installed  # imports nothing from zoo or keras


def _configured() -> str | None:
    """The backend keras.json names, if the file exists and names one."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        return json.loads((home / "keras.json").read_text()).get("backend")
    except (OSError, ValueError):
        return None


def ensure_importable() -> None:
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND"):
        return
    chosen = _configured()
    if chosen is not None and chosen != "tensorflow":
        return  # the user's own choice: Keras reports it if it is missing
    if installed("tensorflow"):
        return
    for name in CPU_PREFERENCE:
        if installed(name):
            os.environ["KERAS_BACKEND"] = name
            return


ensure_importable()
