"""Parameter budgets: the units that bring a model to a parameter count, so models compare at equal size.

The literature compares recurrent models at equal parameter counts (Chung et al. 2014; Bai et al.
2018 give their GRUs more units than their LSTMs), not at equal units:

    units = zoo.units_for_params("gru", spec, 300_000)   # the count closest to 300k
    model = zoo.create_model("gru", spec, params=300_000)  # built with those units
"""
from __future__ import annotations

import functools
import json
import math
import random
import re

import numpy as np

from zoo.registry import create_model
from zoo.spec import Spec

_BUDGET = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kKmM]?)\s*$")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_params(text: str | int) -> int:
    """A parameter count: 70000, "70000", "70k", "1.5M" -> int; ValueError unless it is a whole number >= 1."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _BUDGET.match(str(text))
        if not match:
            raise ValueError(f"a parameter count such as 70000, 300k or 1.5M, got {text!r}")
        scaled = float(match[1]) * _SCALE[match[2].lower()]
        value = round(scaled)
        if abs(scaled - value) > 1e-6:
            raise ValueError(f"a parameter count is a whole number, got {text!r}")
    if value < 1:
        raise ValueError(f"a parameter count must be >= 1, got {text!r}")
    return value


def count_params(name: str, spec: Spec, units: int, **hparams) -> int:
    return _count(name, spec, units, json.dumps(hparams, sort_keys=True))


@functools.lru_cache(maxsize=4096)
def _count(name: str, spec: Spec, units: int, hparams: str) -> int:
    # Building a model draws its initializers' seeds from Python's random. Counting is cached, so only the first
    # model of a size in a process would draw them, and a seeded training run first in its process would start
    # from other weights than the same run after it: counting leaves the random state as it found it.
    state, np_state = random.getstate(), np.random.get_state()
    try:
        return create_model(name, spec, units=units, **json.loads(hparams)).count_params()
    finally:
        random.setstate(state)
        np.random.set_state(np_state)


def budget_units(name: str, spec: Spec, hparams: dict) -> int:
    """The units model `name` builds with at the budget hparams["params"] (the other hparams as given)."""
    rest = {k: v for k, v in hparams.items() if k != "params"}
    return units_for_params(name, spec, hparams["params"], **rest)


def units_for_params(name: str, spec: Spec, budget: int, **hparams) -> int:
    """The units (>= 1) whose model `name` for `spec`, with the other `hparams`, has the count closest to `budget`.

    Every weight is a units x units or units x inputs matrix or a units vector, so a model's count
    is a quadratic in units: three one-to-three-unit builds give it, and the answer is the whole
    number nearest its root, checked by building it and the next one. (A count that is no quadratic
    is searched by bisection, building every step.)
    """
    if "units" in hparams or "params" in hparams:
        raise ValueError("units_for_params picks the units for `budget`: pass neither units nor params")
    count = functools.partial(count_params, name, spec, **hparams)
    c1, c2, c3 = count(1), count(2), count(3)
    a = (c3 - 2 * c2 + c1) / 2
    b = c2 - c1 - 3 * a
    c = c1 - a - b
    root = (budget - c) / b if a == 0 else (-b + math.sqrt(max(0.0, b * b - 4 * a * (c - budget)))) / (2 * a)
    low = max(1, math.floor(root))
    if all(count(u) == a * u * u + b * u + c for u in (low, low + 1)):
        return min((low, low + 1), key=lambda u: (abs(count(u) - budget), u))
    lo, hi = 1, 2
    while count(hi) < budget:
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # count(lo) < budget <= count(hi), or lo = 1
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) < budget else (lo, mid)
    return min((lo, hi), key=lambda u: (abs(count(u) - budget), u))
