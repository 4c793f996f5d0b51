"""IndRNN (Li et al. 2018, "Independently Recurrent Neural Network") as a ScanCell."""
from __future__ import annotations

import keras
from keras import ops

from zoo.scan import relu_scan
from zoo.scan_rnn import ScanCell


@keras.saving.register_keras_serializable(package="zoo")
class MaxAbs(keras.constraints.Constraint):
    """Clips every weight into [-limit, limit] after each update."""

    def __init__(self, limit: float):
        self.limit = float(limit)

    def __call__(self, w):
        return ops.clip(w, -self.limit, self.limit)

    def get_config(self) -> dict:
        return {"limit": self.limit}


def recurrent_bound(steps: int | None) -> float:
    """2^(1/T): a ReLU unit's gradient through T steps is u^T, so it grows at most 2x (the paper's bound)."""
    return 2.0 ** (1.0 / steps) if steps else 1.0


@keras.saving.register_keras_serializable(package="zoo")
class IndRNNCell(ScanCell):
    """IndRNN: each unit recurs on itself only, through a scalar weight u.

    h_t = relu(x_t W + u * h_{t-1} + b)    the IndRNN update (Li et al. 2018, Sec. 3), u a vector
    |u| <= recurrent_max                   keeps u^T bounded: no exploding gradient over T steps
    units (d + 2) parameters: W, u, b. u starts uniform in [0, 1]. The update is not linear in h,
    but compositions of h -> relu(u h + w) stay clamp maps, so it still runs as a scan
    (zoo.scan.relu_scan).
    """

    def __init__(self, units: int, recurrent_max: float = 1.0,
                 recurrent_initializer=None, **kwargs):
        super().__init__(units, **kwargs)
        if not recurrent_max > 0:
            raise ValueError(f"recurrent_max must be > 0, got {recurrent_max!r}")
        self.recurrent_max = float(recurrent_max)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer or keras.initializers.RandomUniform(0.0, 1.0))

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel",
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(shape=(self.units,), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                constraint=MaxAbs(self.recurrent_max))
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer=self.bias_initializer)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states  # (batch, units)
        h = ops.relu(ops.matmul(inputs, self.kernel) + self.recurrent_kernel * h_prev + self.bias)
        return h, [h]

    def states(self, x, mask, initial, method):
        w = ops.matmul(x, self.kernel) + self.bias  # (time, batch, units)
        return (relu_scan(self.recurrent_kernel, w, mask, None if initial is None else initial[0], method=method),)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "recurrent_max": self.recurrent_max,
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
        }
