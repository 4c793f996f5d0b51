"""Recurrent cells with two paths: one step at a time (streaming) and a whole sequence at once (training).

A `ScanCell` is an ordinary Keras RNN cell (`state_size`, `call`, `get_config`), so
`keras.layers.RNN(cell)` runs it step by step, with `stateful=True` for streaming. Its
recurrence is element-wise in the state, so `parallel` computes every step's output from the
inputs alone with a scan from `zoo.scan`; `ScanRNN(cell)` is the layer that does that. Both
layers share the cell's weights and give the same outputs.

Masks: a masked step keeps the state (a_t = 1, b_t = 0 in h_t = a_t h_{t-1} + b_t), as
keras.layers.RNN does, so right padding changes neither the final state nor the output.
"""
from __future__ import annotations

import keras
from keras import ops

from zoo.scan import BLOCK, default_method


class ScanCell(keras.layers.Layer):
    """Base class: `units` outputs, state(s) of `state_size`, input weights from `kernel_initializer`.

    A subclass gives `call` (one step) and `states` (all steps' states from the inputs, by a
    scan); `readout` maps states (and, if `readout_reads_input`, the inputs) to outputs.
    """

    readout_reads_input = False

    def __init__(self, units: int, kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"units must be an integer >= 1, got {units!r}")
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = units
        self.output_size = units

    def zero_state(self, batch) -> tuple:
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return tuple(ops.zeros((batch, n)) for n in sizes)

    def states(self, x, mask, initial: tuple | None, method: str):
        """Every step's state(s), a tuple of (time, batch, n): x (time, batch, features), mask (time, batch) or None."""
        raise NotImplementedError

    def readout(self, states: tuple, x):
        """Outputs from states (and x for cells whose output reads it); these cells output their state."""
        return states[0]

    def state_sequence(self, x, mask, method: str | None) -> tuple:
        method = method or default_method()
        steps = x.shape[0]
        # Keras's TensorFlow scan wants outputs shaped like its carry, which a block's are not
        if method == "blocked" and steps is not None and steps > 2 * BLOCK and keras.backend.backend() != "tensorflow":
            return _blocked_states(self, x, mask)
        return self.states(x, mask, None, "sequential" if method == "blocked" else method)

    def parallel(self, x, mask, method: str | None):
        """Outputs at every step: (time, batch, units)."""
        return self.readout(self.state_sequence(x, mask, method), x)

    def last_output(self, x, mask, method: str | None):
        """The output at each sequence's last unmasked step, (batch, units).

        Masked steps keep the state, so the final state is the last unmasked step's.
        """
        final = tuple(part[-1] for part in self.state_sequence(x, mask, method))
        return self.readout(final, last_valid(x, mask) if self.readout_reads_input else None)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }


def _blocked_states(cell: ScanCell, x, mask) -> tuple:
    """cell.states over blocks of BLOCK steps in a scan, each block recomputed in the backward pass.

    A block's inputs, gates and states then stay in the CPU's cache through both passes instead of
    whole-sequence tensors streaming through memory; the padding that fills the last block is
    masked, so it leaves the state alone.
    """
    steps = x.shape[0]
    n = -(-steps // BLOCK)
    pad = n * BLOCK - steps
    if pad:
        if mask is None:
            mask = ops.ones(ops.shape(x)[:2], dtype="bool")
        x = ops.pad(x, [[0, pad], [0, 0], [0, 0]])
        mask = ops.pad(mask, [[0, pad], [0, 0]], constant_values=False)
    xb = ops.reshape(x, (n, BLOCK) + tuple(ops.shape(x)[1:]))  # (blocks, BLOCK, batch, features)
    mb = None if mask is None else ops.reshape(mask, (n, BLOCK) + tuple(ops.shape(mask)[1:]))

    def block(state, inputs):
        xc, mc = inputs if mb is not None else (inputs, None)
        seq = cell.states(xc, mc, state, "sequential")
        return tuple(part[-1] for part in seq), seq

    _, seq = ops.scan(keras.remat(block), cell.zero_state(ops.shape(x)[1]), xb if mb is None else (xb, mb))
    out = []
    for part in seq:  # (blocks, BLOCK, batch, n) -> (time, batch, n)
        part = ops.reshape(part, (n * BLOCK,) + tuple(ops.shape(part)[2:]))
        out.append(part[:steps] if pad else part)
    return tuple(out)


def keep_masked(a, b, mask):
    """a_t = 1, b_t = 0 where the step is masked: h_t = a_t h_{t-1} + b_t then keeps h_{t-1}."""
    if mask is None:
        return a, b
    keep = mask[..., None]
    return ops.where(keep, a, 1.0), ops.where(keep, b, 0.0)


def last_valid(x, mask):
    """x (time, batch, features) at each sequence's last unmasked step -> (batch, features)."""
    if mask is None:
        return x[-1]
    m = ops.cast(mask, x.dtype)  # (time, batch)
    later = ops.flip(ops.cumsum(ops.flip(m, 0), axis=0), 0)  # unmasked steps at or after t
    is_last = m * ops.cast(ops.equal(later, 1.0), x.dtype)
    return ops.einsum("tbf,tb->bf", x, is_last)


STEP_ONLY = ("stateful", "return_state", "unroll")  # keras.layers.RNN's, meaningless for a whole-sequence scan


@keras.saving.register_keras_serializable(package="zoo")
class ScanRNN(keras.layers.Layer):
    """Runs a ScanCell over whole sequences with a parallel scan; drop-in for keras.layers.RNN(cell).

    return_sequences, go_backwards and masks behave as in keras.layers.RNN (outputs at masked
    steps are zeros), so keras.layers.Bidirectional wraps it. `method` picks the scan
    (zoo.scan.METHODS; None: the fastest measured for the backend and device). Initial states
    are not taken: run the cell with keras.layers.RNN to carry one.
    """

    def __init__(self, cell, return_sequences: bool = False, go_backwards: bool = False,
                 method: str | None = None, **kwargs):
        for key in STEP_ONLY:  # keras.layers.RNN's options for stepping through time
            if kwargs.pop(key, False):
                name = cell.get("class_name", "the cell") if isinstance(cell, dict) else type(cell).__name__
                raise TypeError(f"ScanRNN scans whole sequences and has no {key}; to step through time with the "
                                f"same cell use keras.layers.RNN({name}(...), {key}=True)")
        super().__init__(**kwargs)
        if isinstance(cell, dict):
            cell = keras.saving.deserialize_keras_object(cell)
        if not isinstance(cell, ScanCell):
            raise TypeError(f"ScanRNN needs a zoo ScanCell, got {type(cell).__name__}")
        self.cell = cell
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards
        self.method = method
        self.return_state = False  # read by keras.layers.Bidirectional
        self.stateful = False
        self.supports_masking = True

    def build(self, sequences_shape):
        if not self.cell.built:
            self.cell.build((sequences_shape[0], sequences_shape[-1]))

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if initial_state is not None:
            raise ValueError("ScanRNN takes no initial_state; run the cell with keras.layers.RNN to carry a state")
        x = ops.transpose(sequences, (1, 0, 2))  # (time, batch, features)
        m = None if mask is None else ops.transpose(ops.cast(mask, "bool"), (1, 0))  # (time, batch)
        if self.go_backwards:
            x = ops.flip(x, 0)
            m = None if m is None else ops.flip(m, 0)
        if not self.return_sequences:
            return self.cell.last_output(x, m, self.method)  # (batch, units)
        y = self.cell.parallel(x, m, self.method)  # (time, batch, units)
        if m is not None:
            y = ops.where(m[..., None], y, 0.0)
        return ops.transpose(y, (1, 0, 2))

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if self.return_sequences:
            return tuple(sequences_shape[:2]) + (self.cell.output_size,)
        return (sequences_shape[0], self.cell.output_size)

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "cell": keras.saving.serialize_keras_object(self.cell),
            "return_sequences": self.return_sequences,
            "go_backwards": self.go_backwards,
            "method": self.method,
        }
