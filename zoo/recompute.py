"""Recurrent layers whose backward pass keeps only each step's inputs and state (JAX on a CPU).

Backpropagation through a compiled scan keeps every intermediate tensor of every step for the
backward pass: a Keras LSTM step leaves about 15 (batch, units) tensors, 25 MB for one 64-unit
layer over 100 steps at batch 64. Past the CPU's cache, moving them costs more than the
arithmetic. Measured on the 2-core CPU here (JAX 0.10.2, Keras 3.15.1, the gradient of one batch
of 64): one LSTM layer took 8.0 ms at T=50, 16 ms at T=100 and 44 ms at T=200, and two layers side
by side 44 ms at T=100 where twice one is 32; so a bidirectional or 2-layer model trained at a
third of its single layer's speed, not half.

`recompute_steps` makes each step of Keras's generic loop a `keras.remat` function of its
inputs and states: the backward pass keeps those and recomputes the step's gates from them, a
third more arithmetic for a fraction of the memory traffic. Training sequences/s at the quick
preset's shapes, recomputed over plain (`python -m zoo.bench.speed.recompute_bench`, the two alternated
in one process, 2 rounds, on the idle 2-core CPU): adding T=100 bilstm 1.68x, deep_lstm 1.21x,
rnn 1.09x, lstm 1.08x, cifg_lstm 1.08x, peephole_lstm 1.06x; IMDB (200 tokens, masked) bilstm
1.34x, lstm 1.11x; copy T=30, whose 50 steps fit the cache anyway, lstm 0.94x, deep_lstm 1.01x.
Keras's GRU is left alone: unmasked it runs Keras's own JAX scan, which never calls the cell, and
masked (IMDB) recomputing measured 0.91x for gru against 1.11x for bigru. Forward values are the
same computation, so predictions do not change; gradients agree to float rounding
(tests/test_recompute.py).

Only where measured: JAX on a CPU. On a GPU, Keras's LSTM/GRU take the fused kernel and never
call the cell; TensorFlow's and PyTorch's loops are not XLA scans.
"""
from __future__ import annotations

import contextlib
import contextvars

import keras

from zoo.scan import on_gpu

_ENABLED = contextvars.ContextVar("zoo_recompute", default=True)


@contextlib.contextmanager
def recomputing(enabled: bool):
    """Within it, models built recompute their steps (where `recomputes_here`) only if `enabled` (tests, benchmarks)."""
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def recomputes_here() -> bool:
    """Whether recurrent layers built now recompute their steps: on JAX's CPU, unless `recomputing(False)`."""
    return _ENABLED.get() and keras.backend.backend() == "jax" and not on_gpu()


def recompute_steps(layer: keras.layers.Layer) -> None:
    """Rematerialise each step's cell call of `layer`, here, if it is a keras.layers.RNN but a GRU (others: nothing).

    An instance override of the cell's `call`, not `keras.RematScope`: under the scope Keras hands
    the `training` flag to jax.checkpoint, which traces it, and the cell's `if training` fails.
    The override is not saved: a model loaded from a .keras file steps as Keras's layers do, with
    the same outputs.
    """
    if not recomputes_here() or not isinstance(layer, keras.layers.RNN) or isinstance(layer, keras.layers.GRU):
        return
    cell = layer.cell
    step = cell.call

    def call(inputs, states, training=False):
        # `training` is closed over, never an argument of the rematerialised function
        return keras.remat(lambda x, s: step(x, s, training=training))(inputs, states)

    cell.call = call
