"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?", Section 3) as ScanCells.

Their gates read x_t only, never h_{t-1}, so h_t = a_t * h_{t-1} + b_t with a_t, b_t computed
for all steps at once and the recurrence is one linear scan. The candidate state has no tanh
(the paper's step 2); the paper's log-space g(.) only keeps values positive for its log-space
scan, which this scan does not need, so h~_t is the linear map of the paper's main equations.
"""
from __future__ import annotations

import keras
from keras import ops

from zoo.scan import linear_scan
from zoo.scan_rnn import ScanCell, keep_masked


class _MinCell(ScanCell):
    """Shared plumbing: one input kernel holding `n_blocks` blocks (x W + b), no recurrent weights."""

    n_blocks = 2

    def build(self, input_shape):
        n = self.n_blocks * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], n), name="kernel", initializer=self.kernel_initializer)
        self.bias = self.add_weight(shape=(n,), name="bias", initializer=self._bias_init())

    def _bias_init(self):
        return self.bias_initializer

    def _blocks(self, x):
        return ops.split(ops.matmul(x, self.kernel) + self.bias, self.n_blocks, axis=-1)

    def coefficients(self, x):
        """(a, b) of h_t = a_t * h_{t-1} + b_t, for any leading shape of x."""
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states  # (batch, units)
        a, b = self.coefficients(inputs)
        h = a * h_prev + b
        return h, [h]

    def states(self, x, mask, initial, method):
        a, b = keep_masked(*self.coefficients(x), mask)  # (time, batch, units) each
        return (linear_scan(a, b, None if initial is None else initial[0], method=method),)


@keras.saving.register_keras_serializable(package="zoo")
class MinGRUCell(_MinCell):
    """minGRU (Feng et al. 2024, Sec. 3.1): a GRU whose update gate and candidate drop h_{t-1}.

    z_t  = sigmoid(x_t W_z + b_z)              step 1: the gate reads x_t only
    h~_t = x_t W_h + b_h                        step 2: no tanh on the candidate
    h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t     the minGRU recurrence (a_t = 1 - z_t, b_t = z_t h~_t)
    Kernel blocks z, h~: 2 units (d + 1) parameters, no recurrent matrix. With chrono
    initialisation z's bias is -log(u), u ~ U[1, t_max - 1], so 1 - z_t keeps the state for ~u steps.
    """

    n_blocks = 2

    def coefficients(self, x):
        z_logit, candidate = self._blocks(x)
        return ops.sigmoid(-z_logit), ops.sigmoid(z_logit) * candidate  # 1 - z computed without cancellation


@keras.saving.register_keras_serializable(package="zoo")
class MinLSTMCell(_MinCell):
    """minLSTM (Feng et al. 2024, Sec. 3.2): forget and input gates read x_t only, normalised to sum 1.

    f_t = sigmoid(x_t W_f + b_f),  i_t = sigmoid(x_t W_i + b_i)    step 1: gates read x_t only
    h~_t = x_t W_h + b_h                                            step 2: no tanh on the candidate
    f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t)             step 3: output scale independent of t
    h_t = f'_t * h_{t-1} + i'_t * h~_t                              the minLSTM recurrence (no output gate, no c_t)
    Computed as f'_t = sigmoid(softplus(-z_i) - softplus(-z_f)), the same ratio without 0/0 when
    both gates underflow. Kernel blocks f, i, h~: 3 units (d + 1) parameters. `unit_forget_bias`
    starts f's bias at 1, as the zoo's LSTMs do (Jozefowicz et al. 2015).
    """

    n_blocks = 3

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def bias_init(shape, dtype=None):
            b = base(shape, dtype=dtype)
            return ops.concatenate([ops.ones((units,), dtype=dtype), b[units:]])  # f block first

        return bias_init

    def coefficients(self, x):
        z_f, z_i, candidate = self._blocks(x)
        log_ratio = ops.softplus(-z_i) - ops.softplus(-z_f)  # log f_t - log i_t
        return ops.sigmoid(log_ratio), ops.sigmoid(-log_ratio) * candidate

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}
