"""Command-line text -> the value of a dataclass field: the one parser behind every `--set`.

Typed by the field it sets (a task parameter, a model hyperparameter, a recipe field), with the
same spellings everywhere: true/false, yes/no, 1/0 for a bool; none/null for an Optional field;
Python literals for int and float. Imports nothing heavy, so the CLI can use it before Keras loads.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

TRUE, FALSE, NONE = ("true", "yes", "1"), ("false", "no", "0"), ("none", "null")


class UsageError(ValueError):
    """Bad user input (unknown model, malformed --set, ...): the command says it in one line and exits
    zoo.bench.execution.exits.EXIT_USAGE."""


def field_types(cls: type) -> dict[str, Any]:
    """{field name: its resolved type} of dataclass `cls`."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def parse_value(text: str, hint: Any, where: str) -> Any:
    """`text` as a value of type `hint`; UsageError naming `where` (e.g. "copy.T") if it is none.

    In a union (`bool | str`, `int | None`), None and the typed members are tried before str.
    """
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    word = text.strip().lower()
    if type(None) in members and word in NONE:
        return None
    for t in sorted(members, key=lambda t: t is str):
        if t is bool:
            if word in TRUE + FALSE:
                return word in TRUE
        elif t in (int, float):
            try:
                return t(text)
            except ValueError:
                pass
        elif t is str:
            return text.strip()
    names = " or ".join("None" if t is type(None) else getattr(t, "__name__", str(t)) for t in members)
    raise UsageError(f"{where}={text!r} is not a valid {names}")
