"""The task registry: tasks are frozen dataclasses registered by their `name`."""
from __future__ import annotations

import dataclasses
import typing
from typing import Any, Iterable

from tasks.base import Task
from zoo.values import parse_value
from zoo.registry import Registry

TASKS: Registry[type[Task]] = Registry("task", builtins="tasks", group="rnn_zoo.tasks")


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
            params[key] = parse_value(value, hints[key], f"{name}.{key}")
    return cls(**params)

