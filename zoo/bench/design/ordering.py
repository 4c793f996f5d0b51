"""Stable orders for tables and plots.

The model order is the registry's (zoo.model_order: the import order of zoo/models/__init__.py),
so a new model file is picked up with no list to edit here. `MODEL_ORDER` is that order when
read; zoo (and Keras) is imported only on first use, so importing this module stays cheap.
"""
from __future__ import annotations

import re


def model_order() -> list[str]:
    """Registered models, in registration order."""
    import zoo

    return zoo.model_order()


def model_key(name: str) -> tuple:
    """Sort key: registered models in registration order, then unknown names alphabetically."""
    order = model_order()
    return (order.index(name), name) if name in order else (len(order), name)


def __getattr__(name: str):
    if name == "MODEL_ORDER":  # computed on access, so models registered later are in it
        return model_order()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def natural_key(text: str) -> list:
    """'copy(T=100)' sorts after 'copy(T=25)'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def slug(text: str) -> str:
    """'copy(T=25)' -> 'copy-T25', for file names."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.replace("=", "")).strip("-")
