"""Gate-bias initialisers for gated recurrent cells."""
from __future__ import annotations

import keras
from keras import ops

# Where the "keep" gate (LSTM forget gate, GRU update gate) and the "input" gate (the weight
# on the new candidate) sit in each cell's bias vector, as (number of gate blocks, keep block
# or None, input block or None). The keep gate gets log(u), the input gate -log(u).
BIAS_LAYOUTS = {
    "lstm": (4, 1, 0),  # Keras LSTMCell and PeepholeLSTMCell order: i, f, c, o
    "cifg": (3, 0, None),  # CIFGLSTMCell order: f, c, o (input gate is 1 - f)
    "gru": (3, 0, None),  # Keras GRUCell order: z, r, h; h_t = z * h_{t-1} + (1 - z) * h~
    "mingru": (2, None, 0),  # MinGRUCell order: z, h~; h_t = (1 - z) * h_{t-1} + z * h~
    "minlstm": (3, 0, 1),  # MinLSTMCell order: f, i, h~
}


@keras.saving.register_keras_serializable(package="zoo")
class ChronoBias(keras.initializers.Initializer):
    """Chrono initialisation (Tallec & Ollivier 2018): keep-gate bias log(u), u ~ U[1, t_max - 1].

    The keep gate's characteristic forgetting time then spans 1..t_max steps; an LSTM's input
    gate gets the opposite bias. For a GRU with reset_after the bias has shape (2, 3 * units):
    the input-side row carries the chrono values and the recurrent-side row stays zero.
    """

    def __init__(self, t_max: int, layout: str = "lstm", seed: int | None = None):
        if layout not in BIAS_LAYOUTS:
            raise ValueError(f"unknown bias layout {layout!r}; valid: {', '.join(BIAS_LAYOUTS)}")
        if t_max < 3:
            raise ValueError(f"chrono initialisation needs t_max >= 3, got {t_max}")
        self.t_max = int(t_max)
        self.layout = layout
        self.seed = seed

    def __call__(self, shape, dtype=None):
        blocks, keep, inp = BIAS_LAYOUTS[self.layout]
        width = shape[-1]
        units = width // blocks
        u = keras.initializers.RandomUniform(1.0, self.t_max - 1.0, seed=self.seed)((units,), dtype=dtype)
        keep_bias = ops.log(u)
        parts = [ops.zeros((units,), dtype=dtype)] * blocks
        if keep is not None:
            parts[keep] = keep_bias
        if inp is not None:
            parts[inp] = -keep_bias
        row = ops.concatenate(parts)  # (blocks * units,)
        if len(shape) == 1:
            return row
        # reset_after GRU: (2, 3 * units); only the input-side bias gets the chrono values
        return ops.stack([row] + [ops.zeros((width,), dtype=dtype)] * (shape[0] - 1))

    def get_config(self) -> dict:
        return {"t_max": self.t_max, "layout": self.layout, "seed": self.seed}
