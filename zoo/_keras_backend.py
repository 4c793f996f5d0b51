"""Imported by zoo/__init__.py before Keras: never overrides a backend the user chose, but keeps
`import zoo` working where Keras's own choice is not installed.

Keras takes its backend from $KERAS_BACKEND, else ~/.keras/keras.json, else TensorFlow, and fails
to import at all when that backend is missing (say, a machine with only JAX). Only in that case,
and only when nothing was chosen explicitly, the fastest installed backend is used instead
(zoo.backends.default_backend).

The `rnn-zoo` command trains on $KERAS_BACKEND, else on the fastest installed backend (not keras.json's):
it sets that itself (zoo.backends.activate) before anything loads Keras, which it can because `import zoo`
loads none. This module never asks which program it runs in.
"""
import json
import os
import sys
from pathlib import Path

from zoo.backends import default_backend, installed  # imports nothing from zoo or keras


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
    # the one the command would choose too (TensorFlow is missing), so that a program importing zoo first
    # and then activating the default finds the same answer
    os.environ["KERAS_BACKEND"] = default_backend()


ensure_importable()
