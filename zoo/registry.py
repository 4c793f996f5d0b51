"""Name -> builder registries (models here, tasks in `tasks/`), listed with fnmatch wildcards.

A registry fills itself when first used: the built-in entries (importing their package registers them),
then every installed package's entry points in its group, so a model or task of your own needs no edit here:

    # your package's pyproject.toml
    [project.entry-points."rnn_zoo.models"]
    causal_tcn = "my_models:causal_tcn"    # a builder (registered under the entry point's name), or
    my_models = "my_models"                # a module whose import registers its builders (@zoo.register_model)

and likewise "rnn_zoo.tasks" for Task classes (named as their `name`).
"""
from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import importlib
import importlib.metadata
import types
import warnings
from typing import Callable, Generic, Iterable, TypeVar

import keras

from zoo.spec import Spec

T = TypeVar("T")
_CHECK_ONLY = contextvars.ContextVar("zoo_check_only", default=False)


class Registry(Generic[T]):
    """A named collection in registration order; `kind` words the errors ("unknown model 'x'; known models: ...")."""

    def __init__(self, kind: str, builtins: str, group: str):
        self.kind = kind
        self.builtins = builtins  # the package whose import registers the built-in entries
        self.group = group  # the entry-point group installed packages declare theirs in
        self._items: dict[str, T] = {}
        self._builtins_loaded = self._plugins_loaded = False

    def load(self) -> None:
        """Register the built-in entries, then the installed packages' (once; every lookup calls it)."""
        self._load_builtins()
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for point in importlib.metadata.entry_points(group=self.group):
            try:
                item = point.load()
            except Exception as err:  # one broken package must not take the zoo's own entries with it
                warnings.warn(f"entry point {point.name} = {point.value!r} ({self.group}) cannot be loaded: "
                              f"{type(err).__name__}: {err}", stacklevel=2)
                continue
            if not isinstance(item, types.ModuleType) and item not in self._items.values():
                self.add(point.name, item)

    def _load_builtins(self) -> None:
        # before any other entry, so that the built-ins keep their order (model_order) whoever registers first
        if not self._builtins_loaded:
            self._builtins_loaded = True
            importlib.import_module(self.builtins)

    def add(self, name: str, item: T) -> T:
        self._load_builtins()
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def remove(self, name: str) -> T:
        """Unregister `name` (a test's or a notebook's own entry); returns what was registered."""
        self.get(name)
        return self._items.pop(name)

    def names(self, pattern: str = "*", exclude: str | Iterable[str] | None = None) -> list[str]:
        self.load()
        names = [n for n in self._items if fnmatch.fnmatchcase(n, pattern)]
        if exclude is not None:
            excludes = [exclude] if isinstance(exclude, str) else list(exclude)
            names = [n for n in names if not any(fnmatch.fnmatchcase(n, e) for e in excludes)]
        return sorted(names)

    def ordered(self) -> list[str]:
        """Every name, in registration order."""
        self.load()
        return list(self._items)

    def get(self, name: str) -> T:
        self.load()
        if name not in self._items:
            raise ValueError(f"unknown {self.kind} {name!r}; known {self.kind}s: {', '.join(self.names())}")
        return self._items[name]


Builder = Callable[..., keras.Model]
MODELS: Registry[Builder] = Registry("model", builtins="zoo.models", group="rnn_zoo.models")


def register_model(fn: Builder) -> Builder:
    """Decorator: register `fn(spec, **hparams) -> keras.Model` under its function name."""
    return MODELS.add(fn.__name__, fn)


def list_models(pattern: str = "*", exclude: str | Iterable[str] | None = None) -> list[str]:
    """Registered model names matching the fnmatch `pattern`, minus those matching `exclude`, sorted."""
    return MODELS.names(pattern, exclude)


def model_order() -> list[str]:
    """Every registered model in registration order: the order of tables and figures.

    Built-in models register in the import order of zoo/models/__init__.py, so a new model file
    sets its place there; models registered later (by users) come after.
    """
    return MODELS.ordered()


def model_doc(name: str) -> str:
    """The one-line docstring of a registered builder."""
    return (MODELS.get(name).__doc__ or "").strip().splitlines()[0]


def create_model(name: str, spec: Spec, **hparams) -> keras.Model:
    """Build the registered model `name` for `spec`; returns an uncompiled keras.Model."""
    if not isinstance(spec, Spec):
        raise TypeError(f"create_model needs a zoo.Spec, got {type(spec).__name__}")
    return MODELS.get(name)(spec, **hparams)


def check_model(name: str, spec: Spec, **hparams):
    """Raise the ValueError create_model would (unknown model, bad or unsupported option), without building layers.

    Builders that go through zoo.builder.build_recurrent_model stop after validating and return the
    zoo.RecurrentConfig they would build (its `causal` says whether the model reads later steps);
    any other builder is simply called, and what it returns is returned.
    """
    if not isinstance(spec, Spec):
        raise TypeError(f"check_model needs a zoo.Spec, got {type(spec).__name__}")
    with checking():
        return MODELS.get(name)(spec, **hparams)


@contextlib.contextmanager
def checking():
    """Within it, builders validate and return their config instead of building layers (check_model's mode:
    defined here, beside check_model, so that zoo.builder imports the registry and never the other way)."""
    token = _CHECK_ONLY.set(True)
    try:
        yield
    finally:
        _CHECK_ONLY.reset(token)


def checking_only() -> bool:
    """Within `checking()`: zoo.builder.build_recurrent_model returns the RecurrentConfig it would build."""
    return _CHECK_ONLY.get()
