"""GPU check: do the zoo's LSTM/GRU builders take the fused cuDNN kernel, and what does it buy?

Builds each model with use_cudnn=True (Keras raises unless the fused kernel runs) and with
use_cudnn=False (the generic loop), trains both and reports sequences/s, and each model's kernel
path: the mask its LSTM/GRU layers hand to Keras's kernel choice, read from a real call, so it
shows on a CPU too (`--paths-only`). `--packed-vs-masked` times zoo.packed_rnn's unmasked path
against Keras's masked layers on padded input, alternated. Uses only Keras, so it runs under any
backend:  KERAS_BACKEND=torch python -m zoo.bench.speed.cudnn_check
"""
from __future__ import annotations

import argparse
import contextlib
import json
import time

import keras
import numpy as np

import zoo
from zoo import InputSpec, OutputSpec, Spec
from zoo.bench.execution.metadata import cudnn_eligible, recurrent_layers
from zoo.bench.speed.timing import alternate
from zoo.packed_rnn import masked_reference, packing_everywhere


KINDS = ("float", "tokens", "masked")


def make_inputs(kind: str, n: int, T: int, rng: np.random.Generator):
    """float: adding-shaped (n, T, 2); tokens: copy-shaped, no mask; masked: IMDB-shaped, right-padded."""
    if kind == "float":
        return Spec(InputSpec(length=T, features=2), OutputSpec("regression")), \
            rng.random((n, T, 2), dtype=np.float32), rng.random((n, 1), dtype=np.float32), "mse"
    tokens = rng.integers(1, 1000, size=(n, T)).astype("int32")
    if kind == "masked":  # half the rows end early and are padded with 0 on the right
        lengths = np.where(rng.random(n) < 0.5, rng.integers(T // 4, T, size=n), T)
        tokens[np.arange(T)[None, :] >= lengths[:, None]] = 0
    spec = Spec(InputSpec(length=T, vocab_size=1000, padded=kind == "masked"), OutputSpec("binary"))
    return spec, tokens, rng.integers(0, 2, size=(n, 1)).astype("float32"), "binary_crossentropy"


def build(name: str, spec: Spec, use_cudnn: bool | None, units: int, loss: str) -> keras.Model:
    """use_cudnn None: a custom cell, which has only its generic path."""
    keras.utils.set_random_seed(0)
    options = {} if use_cudnn is None else {"use_cudnn": use_cudnn}
    model = zoo.create_model(name, spec, units=units, embedding_dim=64, **options)
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


def time_fit(model: keras.Model, x, y, batch: int, epochs: int, warm_up: bool = True) -> dict:
    """Training sequences/s of `epochs` epochs, after one epoch of compile/trace and cuDNN autotune."""
    if warm_up:
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0).history
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "sequences_per_second": len(x) * epochs / seconds, "loss": history["loss"][-1]}


def time_model(name: str, spec: Spec, x, y, loss: str, use_cudnn: bool | None, units: int, batch: int,
               epochs: int) -> dict:
    return time_fit(build(name, spec, use_cudnn, units, loss), x, y, batch, epochs)


@contextlib.contextmanager
def _recording_masks(calls: list):
    """Record (layer, mask) as Keras's own LSTM/GRU.inner_loop receives them: the call that picks the kernel."""
    originals = {cls: cls.inner_loop for cls in (keras.layers.LSTM, keras.layers.GRU)}

    def spy(original):
        def inner_loop(self, sequences, initial_state, mask, training=False):
            calls.append((self, mask))
            return original(self, sequences, initial_state, mask, training=training)
        return inner_loop

    try:
        for cls, original in originals.items():
            cls.inner_loop = spy(original)
        yield calls
    finally:
        for cls, original in originals.items():
            cls.inner_loop = original


def _right_padded(mask) -> bool:
    mask = np.asarray(keras.ops.convert_to_numpy(mask), bool)
    return bool((mask == (np.arange(mask.shape[1]) < mask.sum(1, keepdims=True))).all())


def kernel_path(layer: keras.layers.Layer, mask) -> str:
    """The kernel Keras picks for an LSTM/GRU layer handed `mask`: 'cuDNN-eligible' (on a GPU) or 'scan'.

    JAX and PyTorch take the fused kernel only without a mask; TensorFlow also with a right-padded
    one. JAX has no cuDNN GRU: its unmasked GRU is a lax.scan over precomputed input projections.
    """
    if not cudnn_eligible(layer):
        return "scan"
    backend = keras.backend.backend()
    if mask is not None and not (backend == "tensorflow" and _right_padded(mask)):
        return "scan"
    if backend == "jax" and isinstance(layer, keras.layers.GRU):
        return "fused scan (JAX has no cuDNN GRU)"
    return "cuDNN-eligible"


def kernel_paths(model: keras.Model, x, as_on_gpu: bool = False) -> list[str]:
    """kernel_path of each recurrent layer of `model` in one forward pass over x (on a GPU, if `as_on_gpu`).

    A layer Keras's inner_loop never saw ran in Bidirectional's fused call, which Keras makes
    only without a mask. zoo.packed_rnn picks its path by device, so `as_on_gpu` runs it as on a GPU.
    """
    calls = []
    with _recording_masks(calls), packing_everywhere() if as_on_gpu else contextlib.nullcontext():
        model(x)
    masks = {id(layer): mask for layer, mask in calls}
    return [kernel_path(layer, masks.get(id(layer))) for layer in recurrent_layers(model)]


def _show_paths(paths: list[str]) -> str:
    return ", ".join(sorted(set(paths)))


def packed_vs_masked(models: list[str], x, y, spec: Spec, loss: str, args) -> list[dict]:
    """Training sequences/s of each padded model and its masked_reference, alternated.

    The packed path is forced on every device (it is how zoo.packed_rnn.PACK_WHERE was chosen).
    """
    with packing_everywhere():
        return [_packed_vs_masked(name, x, y, spec, loss, args) for name in models]


def _packed_vs_masked(name: str, x, y, spec: Spec, loss: str, args) -> dict:
    packed = build(name, spec, None, args.units, loss)
    masked = masked_reference(packed)
    masked.compile(keras.optimizers.Adam(1e-3), loss)
    for model in (packed, masked):
        time_fit(model, x[:args.batch * 2], y[:args.batch * 2], args.batch, 1, warm_up=False)  # trace
    rates = alternate({key: lambda model=model: time_fit(model, x, y, args.batch, args.epochs,
                                                         warm_up=False)["sequences_per_second"]
                       for key, model in (("packed", packed), ("masked", masked))}, args.rounds)
    row = {"model": name, "paths": {"packed": kernel_paths(packed, x[:4]), "masked": kernel_paths(masked, x[:4])},
           **rates}
    show = lambda r: "/".join(f"{v:,.0f}" for v in r)  # noqa: E731
    ratio = "/".join(f"{p / m:.2f}x" for p, m in zip(rates["packed"], rates["masked"]))
    print(f"{name:16s} packed {show(rates['packed'])} seq/s | masked {show(rates['masked'])} seq/s | "
          f"packed/masked {ratio} | paths {_show_paths(row['paths']['packed'])} vs "
          f"{_show_paths(row['paths']['masked'])}", flush=True)
    return row


def _has_cudnn_option(name: str, spec: Spec) -> bool:
    try:
        zoo.create_model(name, spec, units=4, use_cudnn=False)
        return True
    except ValueError:  # "use_cudnn applies to Keras LSTM/GRU layers only"
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="lstm,gru,bilstm,bigru,deep_lstm,deep_gru")
    p.add_argument("--T", type=int, default=200)
    p.add_argument("--n", type=int, default=16384)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--kinds", default=",".join(KINDS), help=f"input kinds among {', '.join(KINDS)}")
    p.add_argument("--paths-only", action="store_true", help="print each model's kernel path, train nothing")
    p.add_argument("--packed-vs-masked", action="store_true",
                   help="on masked inputs, time zoo.packed_rnn's path against Keras's masked layers, alternated")
    p.add_argument("--rounds", type=int, default=3, help="alternations for --packed-vs-masked")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    rows = []
    print(f"backend {keras.backend.backend()}, T={args.T}, n={args.n}, units={args.units}, batch={args.batch}")
    if args.packed_vs_masked:
        spec, x, y, loss = make_inputs("masked", args.n, args.T, rng)
        rows = packed_vs_masked(args.models.split(","), x, y, spec, loss, args)
    for kind in [] if args.packed_vs_masked else args.kinds.split(","):
        spec, x, y, loss = make_inputs(kind, args.n, args.T, rng)
        for name in args.models.split(","):
            model = build(name, spec, None, args.units, loss)
            row = {"model": name, "inputs": kind, "paths": kernel_paths(model, x[:4]),
                   "paths_on_gpu": kernel_paths(model, x[:4], as_on_gpu=True)}
            if args.paths_only:
                rows.append(row)
                print(f"{kind:6s} {name:16s} here: {_show_paths(row['paths'])} | "
                      f"on a GPU: {_show_paths(row['paths_on_gpu'])}", flush=True)
                continue
            fused = _has_cudnn_option(name, spec)
            for use_cudnn in (True, False):
                key = "cudnn" if use_cudnn else "generic"
                if use_cudnn and not fused:
                    row[key] = {"error": "no fused kernel (a zoo cell)"}
                    continue
                try:
                    row[key] = time_model(name, spec, x, y, loss, use_cudnn if fused else None, args.units,
                                          args.batch, args.epochs)
                except Exception as err:  # report, keep going: the point is to see which paths work
                    row[key] = {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"}
            rows.append(row)
            c, g = row["cudnn"], row["generic"]
            speedup = (f"{c['sequences_per_second'] / g['sequences_per_second']:.1f}x"
                       if "error" not in c and "error" not in g else "-")
            show = lambda r: r.get("error") or f"{r['sequences_per_second']:,.0f} seq/s"  # noqa: E731
            print(f"{kind:6s} {name:10s} cuDNN: {show(c)} | generic: {show(g)} | speed-up {speedup} | "
                  f"path (auto): {_show_paths(row['paths'])}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": keras.backend.backend(), "args": vars(args), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
