"""Imported by zoo/__init__.py before Keras: never overrides a backend the user chose, but keeps
`import zoo` working where Keras's own choice is not installed.

Keras takes its backend from $KERAS_BACKEND, else ~/.keras/keras.json, else TensorFlow, and fails
to import at all when that backend is missing (say, a machine with only JAX). Only in that case,
and only when nothing was chosen explicitly, the first installed backend is used instead.

The `rnn-zoo` command is the exception: it trains on $KERAS_BACKEND, else on the fastest installed
backend (not keras.json's), so when this process is that command the backend is set here, before
Keras loads; otherwise Keras would load keras.json's (TensorFlow: 3-4 s and its banner, even for
`--help`) only for the command to start itself again on the other.
"""
import json
import os
import sys
from pathlib import Path

from zoo.backends import CPU_PREFERENCE, default_backend, installed  # imports nothing from zoo or keras


def _configured() -> str | None:
    """The backend keras.json names, if the file exists and names one."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        return json.loads((home / "keras.json").read_text()).get("backend")
    except (OSError, ValueError):
        return None


def _is_the_command() -> bool:
    """This process is `rnn-zoo` (the console script) or `python -m zoo`."""
    argv = getattr(sys, "orig_argv", None) or []  # the interpreter's own command line (-m NAME, not yet '-m')
    if "-m" in argv[1:-1]:
        return argv[argv.index("-m") + 1] in ("zoo", "zoo.bench.cli")
    return Path((getattr(sys, "argv", None) or [""])[0]).name in ("rnn-zoo", "rnn-zoo.exe")


def ensure_importable() -> None:
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND"):
        return
    if _is_the_command():
        os.environ["KERAS_BACKEND"] = default_backend()
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
