"""Training speed of the recurrent models against the LSTM, and of each scan method (a benchmark, not a test).

    KERAS_BACKEND=jax python -m zoo.bench.speed.scan_bench                 # T=100 and 1000, 64 units, batch 64
    python -m zoo.bench.speed.scan_bench --models mingru --methods sequential,chunked,associative --T 1000

Every configuration is built and compiled first; then rounds alternate them in one process
(lstm, gru, ..., lstm, gru, ...), each round training `--batches` batches with train_on_batch.
A configuration's figure is its best round, since other work on the machine only ever slows a
round down. Inputs are adding-task shaped: (batch, T, 2) floats, a regression head. A model
name may carry hyperparameters, e.g. `lru:block=none` (one plain LRU layer) and a scan method
after '@', e.g. `mingru@chunked`; `--methods` expands every scan model into one per method.

`floor` is no recurrent model but the least work any of them does at these shapes: a Dense from
the inputs to `units` features at every step, a mean over time, the head and Adam's update. Its
seq/s is the ceiling on every model's; `floor:norm=1+mix=glu` adds the residual block's
position-wise parts (a LayerNorm, GELU and a GLU over every step) without the recurrence, the
ceiling on the LRU's stack. (A config's hyperparameters are separated by '+' in --models, where ','
separates configs.)
"""
from __future__ import annotations

import argparse
import functools
import json
import time

import keras
import numpy as np

import zoo
from zoo import InputSpec, OutputSpec, Spec
from zoo.bench.speed.timing import alternate, per_second
from zoo.builder import MIXERS, directions, mixer
from zoo.scan import METHODS, default_method

DEFAULT_MODELS = "lstm,gru,mingru,minlstm,indrnn,lru,lru:block=none"


def parse_config(text: str) -> tuple[str, dict, str | None]:
    """'lru:block=none@chunked' -> ('lru', {'block': 'none'}, 'chunked')."""
    text, _, method = text.partition("@")
    name, _, rest = text.partition(":")
    hparams = {}
    for item in filter(None, rest.replace("+", ",").split(",")):
        key, _, value = item.partition("=")
        hparams[key] = int(value) if value.isdigit() else value
    return name, hparams, method or None


def build(config: str, T: int, units: int) -> keras.Model:
    name, hparams, method = parse_config(config)
    keras.utils.set_random_seed(0)
    if name == "floor":
        model = floor(T, units, **hparams)
    else:
        model = zoo.create_model(name, Spec(InputSpec(length=T, features=2), OutputSpec("regression")),
                                 units=units, **hparams)
    if method:
        for layer in _scan_layers(model):
            layer.method = method  # read when the training step is traced, below
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


def floor(T: int, units: int, norm: int = 0, mix: str = "none") -> keras.Model:
    """No recurrence: Dense to `units` per step [, LayerNorm][, the block's mixer], mean over time, head."""
    if mix != "none" and mix not in MIXERS:
        raise ValueError(f"floor: mix {mix!r} is not one of none, {', '.join(MIXERS)}")
    inputs = keras.Input((T, 2))
    x = keras.layers.Dense(units)(inputs)  # (batch, time, units)
    if norm:
        x = keras.layers.LayerNormalization()(x)
    if mix != "none":
        x = mixer(mix, units, x, 0)  # the residual block's own position-wise part
    x = keras.layers.GlobalAveragePooling1D()(x)  # (batch, units)
    return keras.Model(inputs, keras.layers.Dense(1)(x), name="floor")


def _scan_layers(model):
    for layer in model.layers:
        yield from (x for x in directions(layer) if isinstance(x, zoo.ScanRNN))


def expand(configs: list[str], methods: list[str] | None) -> list[str]:
    """Every scan model once per method when methods are given; Keras LSTM/GRU etc. once."""
    if not methods:
        return configs
    out = []
    for config in configs:
        model = build(config.partition("@")[0], 4, 2)
        out += [f"{config}@{m}" for m in methods] if any(True for _ in _scan_layers(model)) else [config]
    return out


def measure(configs: list[str], T: int, units: int, batch: int, batches: int, rounds: int, stream=print) -> dict:
    rng = np.random.default_rng(0)
    x = rng.random((batch * batches, T, 2), dtype=np.float32)
    y = rng.random((batch * batches, 1), dtype=np.float32)
    models = {}
    for config in configs:
        start = time.perf_counter()
        models[config] = build(config, T, units)
        models[config].train_on_batch(x[:batch], y[:batch])  # trace and compile
        stream(f"  built {config} (T={T}) in {time.perf_counter() - start:.1f} s")
    def train(model) -> None:
        for i in range(batches):
            model.train_on_batch(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])

    rates = alternate({config: functools.partial(per_second, batch * batches, functools.partial(train, model))
                       for config, model in models.items()}, rounds)
    return {config: max(values, default=0.0) for config, values in rates.items()}


def table(results: dict[int, dict[str, float]], reference: str = "lstm") -> str:
    lengths = sorted(results)
    configs = list(results[lengths[0]])
    head = "| model | " + " | ".join(f"T={T} seq/s | x {reference}" for T in lengths) + " |"
    rule = "|---|" + "---:|---:|" * len(lengths)
    rows = []
    for config in configs:
        cells = []
        for T in lengths:
            value, ref = results[T][config], results[T].get(reference)
            cells.append(f"{value:,.0f} | {value / ref:.1f}" if ref else f"{value:,.0f} | ")
        rows.append(f"| {config} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated configs, e.g. lstm,mingru@chunked")
    p.add_argument("--methods", help=f"expand scan models over these scan methods ({', '.join(METHODS)})")
    p.add_argument("--T", default="100,1000", help="sequence lengths")
    p.add_argument("--units", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--batches", type=int, default=4, help="batches per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args(argv)
    configs = [c.strip() for c in args.models.split(",") if c.strip()]
    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    for m in methods or []:
        if m not in METHODS:
            p.error(f"--methods: {m!r} is not one of {', '.join(METHODS)}")
    configs = expand(configs, methods)
    print(f"backend {keras.backend.backend()}, default scan method {default_method()}; "
          f"{args.units} units, batch {args.batch}, best of {args.rounds} rounds of {args.batches} batches", flush=True)
    results = {}
    for T in (int(t) for t in args.T.split(",")):
        results[T] = measure(configs, T, args.units, args.batch, args.batches, args.rounds,
                             stream=lambda s: print(s, flush=True))
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": keras.backend.backend(), "default_method": default_method(), "units": args.units,
                       "batch": args.batch, "train_seq_per_s": {str(T): r for T, r in results.items()}}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
