"""The model registry: register builders by name, list them with wildcards, create by name."""
from __future__ import annotations

import fnmatch
from typing import Callable, Iterable

import keras

from zoo.spec import Spec

Builder = Callable[..., keras.Model]
_MODELS: dict[str, Builder] = {}


def register_model(fn: Builder) -> Builder:
    """Decorator: register `fn(spec, **hparams) -> keras.Model` under its function name."""
    name = fn.__name__
    if name in _MODELS:
        raise ValueError(f"model {name!r} is already registered")
    _MODELS[name] = fn
    return fn


def list_models(pattern: str = "*", exclude: str | Iterable[str] | None = None) -> list[str]:
    """Registered model names matching the fnmatch `pattern`, minus those matching `exclude`, sorted."""
    names = [n for n in _MODELS if fnmatch.fnmatchcase(n, pattern)]
    if exclude is not None:
        excludes = [exclude] if isinstance(exclude, str) else list(exclude)
        names = [n for n in names if not any(fnmatch.fnmatchcase(n, e) for e in excludes)]
    return sorted(names)


def model_doc(name: str) -> str:
    """The one-line docstring of a registered builder."""
    return (get_builder(name).__doc__ or "").strip().splitlines()[0]


def get_builder(name: str) -> Builder:
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    return _MODELS[name]


def create_model(name: str, spec: Spec, **hparams) -> keras.Model:
    """Build the registered model `name` for `spec`; returns an uncompiled keras.Model."""
    if not isinstance(spec, Spec):
        raise TypeError(f"create_model needs a zoo.Spec, got {type(spec).__name__}")
    return get_builder(name)(spec, **hparams)
