"""The task registry: tasks are frozen dataclasses registered by their `name`."""
from __future__ import annotations

import dataclasses
import typing
from typing import Any, Iterable

from tasks.base import Task
from zoo.registry import Registry

TASKS: Registry[type[Task]] = Registry("task")


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: register a Task dataclass under `cls.name`."""
    TASKS.add(cls.name, cls)
    return cls


def list_tasks(pattern: str = "*", exclude: str | Iterable[str] | None = None) -> list[str]:
    """Registered task names matching the fnmatch `pattern`, sorted."""
    return TASKS.names(pattern, exclude)


def task_params(name: str) -> dict[str, Any]:
    """A task's parameters and their defaults."""
    return {f.name: f.default for f in dataclasses.fields(TASKS.get(name))}


def create_task(name: str, **params) -> Task:
    """Instantiate task `name`; string values (from a command line) are converted to the field's type."""
    cls = TASKS.get(name)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in params.items():
        if key not in fields:
            raise ValueError(f"unknown parameter {key!r} for task {name!r}; valid: {', '.join(fields)}")
        if isinstance(value, str):
            params[key] = _parse(name, key, value, hints[key])
    return cls(**params)


def _parse(task: str, key: str, text: str, hint) -> Any:
    """'200' -> 200 for an int field, 'none' -> None for an optional one, and so on."""
    types = typing.get_args(hint) or (hint,)
    if type(None) in types and text.lower() in ("none", "null", ""):
        return None
    for t in types:
        try:
            if t is bool:
                if text.lower() in ("true", "1", "yes"):
                    return True
                if text.lower() in ("false", "0", "no"):
                    return False
                continue
            if t in (int, float, str):
                return t(text)
        except ValueError:
            continue
    names = " or ".join(getattr(t, "__name__", str(t)) for t in types)
    raise ValueError(f"{task}.{key}={text!r} is not a valid {names}")
