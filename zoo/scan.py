"""Recurrences over whole sequences at once: the training path of zoo's scan cells.

    linear_scan: h_t = a_t * h_{t-1} + b_t          (element-wise; real, or complex as (re, im) pairs)
    relu_scan:   h_t = max(0, u * h_{t-1} + w_t)     (IndRNN; masked steps keep h)

Tensors are time-major, (time, batch, features), so a scan step reads one contiguous slice.
Each function has three methods with identical results (up to float rounding):

    sequential   keras.ops.scan over time: one small element-wise step per time step
    chunked      chunks of C steps: a scan over the C positions runs every chunk at once, a
                 T/C-step scan carries the state across chunks, and a second in-chunk pass
                 recomputes every step from it (linear_scan only; relu_scan falls back to sequential)
    associative  keras.ops.associative_scan over (a, b) pairs, or over clamp maps for ReLU:
                 log-depth, the GPU's choice
    blocked      for layers (zoo.scan_rnn.ScanRNN): blocks of BLOCK steps, each computing its
                 gates and a sequential scan, recomputed block by block in the backward pass
                 (keras.remat) so a block's tensors stay in cache; these functions, and layers
                 on TensorFlow, of unknown length or of at most 2 BLOCK steps (where it measured
                 slower), run it as sequential

`default_method()` picks per backend and device what `python -m zoo.bench.speed.scan_bench --methods
...` measured fastest for training at T=1000 (64 units, batch 64) on the 2-core CPU here:
blocked with JAX (minGRU 5.9x the LSTM's sequences/s against 2.3x sequential: XLA's scan step
costs microseconds, and whole-sequence gate tensors streaming through memory cost the rest;
chunked and associative moved the same data more times and were slower still), chunked with
TensorFlow, associative with torch (whose scan is a Python loop). On a GPU it picks
associative, the log-depth form the papers' speed-ups come from; that choice was not measured
here (no GPU ran this code yet).
"""
from __future__ import annotations

import math

import keras
from keras import ops

METHODS = ("sequential", "chunked", "associative", "blocked")
BLOCK = 50  # steps per block of the blocked method: fastest of 25/50/100/200 for minGRU in scan_bench
BIG = 1e30  # stands in for +-inf in clamp maps: finite, so 0 * BIG stays 0


CPU_METHODS = {"jax": "blocked", "tensorflow": "chunked", "torch": "associative"}


def default_method() -> str:
    """The fastest method measured for this backend and device (see the module docstring)."""
    if on_gpu():
        return "associative"
    return CPU_METHODS.get(keras.backend.backend(), "sequential")


def on_gpu() -> bool:
    """Whether Keras's backend computes on a GPU here."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.default_backend() == "gpu"
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU"))
    return False


def chunk_size(steps: int) -> int:
    """About sqrt(T): the in-chunk and across-chunk scans then have similar lengths."""
    return max(4, min(128, math.ceil(math.sqrt(steps))))


def _scan(step, init, xs: tuple):
    """keras.ops.scan over a tuple of tensors (time, ..., features_i), which `step` receives as a tuple.

    Keras's TensorFlow scan fails on two or more inputs of unknown length, so there they travel
    as one tensor, concatenated on the feature axis and split again inside the step.
    """
    if len(xs) == 1 or keras.backend.backend() != "tensorflow" or xs[0].shape[0] is not None:
        return ops.scan(step, init, xs)
    sizes = [x.shape[-1] for x in xs]
    bounds = [sum(sizes[:i + 1]) for i in range(len(sizes) - 1)]

    def packed_step(carry, x):
        return step(carry, tuple(ops.split(x, bounds, axis=-1)))

    return ops.scan(packed_step, init, ops.concatenate(xs, axis=-1))


# Elements are tuples: (x,) for real numbers, (re, im) for complex ones.
def _mul(x: tuple, y: tuple) -> tuple:
    if len(x) == 1:
        return (x[0] * y[0],)
    (xr, xi), (yr, yi) = x, y
    return (xr * yr - xi * yi, xr * yi + xi * yr)


def _add(x: tuple, y: tuple) -> tuple:
    return tuple(p + q for p, q in zip(x, y))


def linear_scan(a, b, h0=None, method: str | None = None):
    """h_t = a_t * h_{t-1} + b_t for t = 0..T-1, from h_{-1} = h0 (zeros by default).

    b: a tensor (time, batch, units), or a pair (re, im) of them for complex numbers; a: the
    same structure, either per step (time, batch, units) or constant over time (batch or 1,
    units). Returns every h_t, with b's structure.
    """
    complex_ = isinstance(b, (tuple, list))
    b, a = _tensors(b, complex_), _tensors(a, complex_)
    h0 = None if h0 is None else _tensors(h0, complex_)
    method = _check_method(method)
    steps = b[0].shape[0]
    if method == "chunked" and steps is None:
        method = "sequential"  # chunking needs the length when the graph is built
    per_step = len(a[0].shape) == len(b[0].shape)
    if method == "associative":
        h = _linear_associative(a, b, h0, per_step)
    elif method == "chunked":
        h = _linear_chunked(a, b, h0, per_step)
    else:
        h = _linear_sequential(a, b, h0, per_step)
    return h if complex_ else h[0]


def _tensors(x, complex_: bool) -> tuple:
    return tuple(ops.convert_to_tensor(p) for p in (x if complex_ else (x,)))


def _check_method(method: str | None) -> str:
    method = method or default_method()
    if method not in METHODS:
        raise ValueError(f"scan method {method!r} is not one of {', '.join(METHODS)}")
    return method


def _linear_sequential(a, b, h0, per_step):
    if h0 is None:
        h0 = tuple(ops.zeros_like(x[0]) for x in b)

    def step(h, xs):
        ak, bk = (xs[: len(a)], xs[len(a):]) if per_step else (a, xs)
        h = _add(_mul(ak, h), bk)
        return h, h

    _, hs = _scan(step, h0, (a + b) if per_step else b)
    return tuple(hs)


def _linear_associative(a, b, h0, per_step):
    if not per_step:
        a = tuple(ops.broadcast_to(x, ops.shape(b[0])) for x in a)
    if h0 is not None:  # fold h0 into the first step: b_0 += a_0 * h0
        first = _add(_mul(tuple(x[:1] for x in a), tuple(x[None] for x in h0)), tuple(x[:1] for x in b))
        b = tuple(ops.concatenate([f, x[1:]], axis=0) for f, x in zip(first, b))
    n = len(a)

    def combine(earlier, later):  # the map h -> a2 (a1 h + b1) + b2
        a1, b1, a2, b2 = earlier[:n], earlier[n:], later[:n], later[n:]
        return _mul(a2, a1) + _add(_mul(a2, b1), b2)

    out = ops.associative_scan(combine, a + b, axis=0)
    return tuple(_like(x, b[0]) for x in out[n:])


def _like(x, reference):
    """x with reference's shape: Keras's TensorFlow associative_scan loses even the rank in a graph."""
    return ops.reshape(x, ops.shape(reference))


def _linear_chunked(a, b, h0, per_step):
    steps = b[0].shape[0]
    c = chunk_size(steps)
    n = -(-steps // c)
    pad = n * c - steps

    def to_chunks(x, fill):  # (time, batch, units) -> (C, n, batch, units); padding steps are a=1, b=0
        if pad:
            x = ops.pad(x, [[0, pad]] + [[0, 0]] * (len(x.shape) - 1), constant_values=fill)
        x = ops.reshape(x, (n, c) + tuple(ops.shape(x)[1:]))
        return ops.swapaxes(x, 0, 1)

    bc = tuple(to_chunks(x, 0.0) for x in b)
    ac = tuple(to_chunks(x, 1.0 if i == 0 else 0.0) for i, x in enumerate(a)) if per_step else a
    zeros = tuple(ops.zeros_like(x[0]) for x in bc)  # (n, batch, units)

    def in_chunk(h, xs):
        ak, bk = (xs[: len(a)], xs[len(a):]) if per_step else (ac, xs)
        h = _add(_mul(ak, h), bk)
        return h, h

    # pass 1: each chunk's end state from a zero start, and the product of its a's
    ends, _ = ops.scan(in_chunk, zeros, (ac + bc) if per_step else bc)
    if per_step:
        prod = tuple(x[0] for x in ac)
        for k in range(1, c):  # complex products do not reduce with ops.prod; C small tensors
            prod = _mul(prod, tuple(x[k] for x in ac))
    else:
        prod = _power(a, c)

    # across chunks: the state entering chunk j
    def across(h, xs):
        pj, ej = (xs[: len(a)], xs[len(a):]) if per_step else (prod, xs)
        return _add(_mul(pj, h), ej), h

    start = h0 if h0 is not None else tuple(ops.zeros_like(x[0]) for x in ends)
    _, starts = ops.scan(across, start, (prod + ends) if per_step else ends)

    # pass 2: every step again, each chunk started from its true state
    _, hs = ops.scan(in_chunk, tuple(starts), (ac + bc) if per_step else bc)
    out = []
    for x in hs:  # (C, n, batch, units) -> (time, batch, units)
        x = ops.reshape(ops.swapaxes(x, 0, 1), (n * c,) + tuple(ops.shape(x)[2:]))
        out.append(x[:steps] if pad else x)
    return tuple(out)


def _power(a: tuple, k: int) -> tuple:
    result, base = None, a
    while k:
        if k & 1:
            result = base if result is None else _mul(result, base)
        base, k = _mul(base, base), k >> 1
    return result


def relu_scan(u, w, mask=None, h0=None, method: str | None = None):
    """h_t = max(0, u * h_{t-1} + w_t), or h_t = h_{t-1} where mask_t is False (IndRNN).

    u: (units,); w: (time, batch, units); mask: (time, batch) booleans or None.
    """
    method = _check_method(method)
    u, w = ops.convert_to_tensor(u), ops.convert_to_tensor(w)
    mask = None if mask is None else ops.convert_to_tensor(mask, "bool")
    h0 = None if h0 is None else ops.convert_to_tensor(h0)
    if method == "associative":
        return _relu_associative(u, w, mask, h0)
    return _relu_sequential(u, w, mask, h0)


def _relu_sequential(u, w, mask, h0):
    h0 = ops.zeros_like(w[0]) if h0 is None else h0

    def step(h, xs):
        new = ops.relu(u * h + xs[0])
        if mask is not None:
            new = ops.where(xs[1] > 0, new, h)
        return new, new

    _, hs = _scan(step, h0, (w,) if mask is None else (w, ops.cast(mask[..., None], w.dtype)))
    return hs


def _relu_associative(u, w, mask, h0):
    """Compositions of h -> max(0, u h + w) stay clamp maps h -> min(max(alpha h + beta, lo), hi).

    Composing relu(u * clamp(alpha h + beta, lo, hi) + w) gives alpha' = u alpha, beta' = u beta + w
    and bounds (u lo + w, u hi + w) in increasing order, floored at 0: exact for either sign of u.
    """
    shape = ops.shape(w)
    alpha = ops.broadcast_to(u, shape)
    beta, lo, hi = w, ops.zeros_like(w), ops.full_like(w, BIG)
    if mask is not None:  # a masked step is the identity map
        keep = mask[..., None]
        alpha = ops.where(keep, alpha, 1.0)
        beta = ops.where(keep, beta, 0.0)
        lo = ops.where(keep, lo, -BIG)

    def combine(earlier, later):  # later o earlier
        a1, b1, l1, h1 = earlier
        a2, b2, l2, h2 = later
        x, y = a2 * l1 + b2, a2 * h1 + b2
        new_lo = ops.clip(ops.minimum(x, y), l2, h2)
        new_hi = ops.clip(ops.maximum(x, y), l2, h2)
        return a2 * a1, a2 * b1 + b2, new_lo, new_hi

    alpha, beta, lo, hi = ops.associative_scan(combine, (alpha, beta, lo, hi), axis=0)
    start = ops.zeros_like(w[0]) if h0 is None else h0
    return _like(ops.minimum(ops.maximum(alpha * start[None] + beta, lo), hi), w)
