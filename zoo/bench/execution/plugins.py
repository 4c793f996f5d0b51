"""Modules of your own (`--import MODULE`, zoo.bench.api's `imports=`): imported by the command after it has
chosen the backend, and by every worker that trains a trial (local processes, Ray tasks), so that the models
and tasks they register exist wherever a trial trains. Installed packages need none of this: their entry
points (zoo.registry) load in every process by themselves.
"""
from __future__ import annotations

import importlib
from typing import Iterable

from zoo.values import UsageError


def import_modules(names: Iterable[str]) -> None:
    """Import each module; UsageError (one line) for the first that cannot be imported."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:  # ImportError, or anything the module raises as it runs
            reason = (str(err).strip().splitlines() or [""])[0]
            raise UsageError(f"--import {name}: cannot import it ({type(err).__name__}: {reason})") from None
