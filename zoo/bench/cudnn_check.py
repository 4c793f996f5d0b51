"""GPU check: do the zoo's LSTM/GRU builders take the fused cuDNN kernel, and what does it buy?

Builds each model with use_cudnn=True (Keras raises unless the fused kernel runs) and with
use_cudnn=False (the generic loop), trains both and reports sequences/s. Uses only Keras, so it
runs under any backend with a GPU:  KERAS_BACKEND=torch python -m zoo.bench.cudnn_check
"""
from __future__ import annotations

import argparse
import json
import time

import keras
import numpy as np

import zoo
from zoo import InputSpec, OutputSpec, Spec


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


def time_model(name: str, spec: Spec, x, y, loss: str, use_cudnn: bool | None, units: int, batch: int,
               epochs: int) -> dict:
    """Training sequences/s; use_cudnn None: a custom cell, which has only its generic path."""
    keras.utils.set_random_seed(0)
    options = {} if use_cudnn is None else {"use_cudnn": use_cudnn}
    model = zoo.create_model(name, spec, units=units, embedding_dim=64, **options)
    model.compile(keras.optimizers.Adam(1e-3), loss)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # compile/trace and cuDNN autotune
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0).history
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "sequences_per_second": len(x) * epochs / seconds, "loss": history["loss"][-1]}


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
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    rows = []
    print(f"backend {keras.backend.backend()}, T={args.T}, n={args.n}, units={args.units}, batch={args.batch}")
    for kind in args.kinds.split(","):
        spec, x, y, loss = make_inputs(kind, args.n, args.T, rng)
        for name in args.models.split(","):
            row = {"model": name, "inputs": kind}
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
            print(f"{kind:6s} {name:10s} cuDNN: {show(c)} | generic: {show(g)} | speed-up {speedup}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": keras.backend.backend(), "args": vars(args), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
