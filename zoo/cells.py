"""LSTM variants as Keras RNN cells: peephole connections and coupled input-forget gates."""
from __future__ import annotations

import keras
from keras import ops


class _GatedCell(keras.layers.Layer):
    """Shared plumbing: `n_blocks` gate blocks computed as x W + h U + b, state (h, c)."""

    n_blocks = 4

    def __init__(
        self,
        units: int,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"units must be >= 1, got {units}")
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]  # (h, c)
        self.output_size = units

    forget_block = 1  # position of the forget gate among the blocks

    def build(self, input_shape):
        dim = input_shape[-1]
        n = self.n_blocks * self.units
        self.kernel = self.add_weight(shape=(dim, n), name="kernel", initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, n), name="recurrent_kernel", initializer=self.recurrent_initializer
        )
        if self.unit_forget_bias:
            base = self.bias_initializer

            def bias_init(shape, dtype=None):
                # forget-gate bias 1 (Jozefowicz et al. 2015), other blocks from bias_initializer
                b = base(shape, dtype=dtype)
                f = self.forget_block * self.units
                ones = ops.ones((self.units,), dtype=dtype)
                return ops.concatenate([b[:f], ones, b[f + self.units :]])

        else:
            bias_init = self.bias_initializer
        self.bias = self.add_weight(shape=(n,), name="bias", initializer=bias_init)

    def _gates(self, x, h):
        z = ops.matmul(x, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
        return ops.split(z, self.n_blocks, axis=-1)  # n_blocks x (batch, units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
        }


@keras.saving.register_keras_serializable(package="zoo")
class PeepholeLSTMCell(_GatedCell):
    """LSTM cell with diagonal peephole connections (Gers & Schmidhuber 2000).

    i = s(x Wi + h Ui + pi * c_prev + bi);  f = s(x Wf + h Uf + pf * c_prev + bf)
    c = f * c_prev + i * tanh(x Wc + h Uc + bc);  o = s(x Wo + h Uo + po * c + bo);  h = o * tanh(c)
    Kernels use Keras's LSTMCell layout (gate blocks i, f, c, o), so its weights can be copied in.
    """

    n_blocks = 4
    forget_block = 1

    def __init__(self, units: int, peephole_initializer="glorot_uniform", **kwargs):
        super().__init__(units, **kwargs)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)

    def build(self, input_shape):
        super().build(input_shape)
        init = self.peephole_initializer
        self.peephole_i = self.add_weight(shape=(self.units,), name="peephole_i", initializer=init)
        self.peephole_f = self.add_weight(shape=(self.units,), name="peephole_f", initializer=init)
        self.peephole_o = self.add_weight(shape=(self.units,), name="peephole_o", initializer=init)

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states  # (batch, units) each
        zi, zf, zc, zo = self._gates(inputs, h_prev)
        i = ops.sigmoid(zi + self.peephole_i * c_prev)
        f = ops.sigmoid(zf + self.peephole_f * c_prev)
        c = f * c_prev + i * ops.tanh(zc)
        o = ops.sigmoid(zo + self.peephole_o * c)  # the output gate peeks at the new cell state
        h = o * ops.tanh(c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "peephole_initializer": keras.initializers.serialize(self.peephole_initializer),
        }


@keras.saving.register_keras_serializable(package="zoo")
class CIFGLSTMCell(_GatedCell):
    """LSTM cell with coupled input and forget gates (CIFG; Greff et al. 2017): i = 1 - f.

    f = s(x Wf + h Uf + bf);  c = f * c_prev + (1 - f) * tanh(x Wc + h Uc + bc)
    o = s(x Wo + h Uo + bo);  h = o * tanh(c).  Gate blocks f, c, o: one block fewer than an LSTM.
    """

    n_blocks = 3
    forget_block = 0

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states  # (batch, units) each
        zf, zc, zo = self._gates(inputs, h_prev)
        f = ops.sigmoid(zf)
        c = f * c_prev + (1.0 - f) * ops.tanh(zc)
        o = ops.sigmoid(zo)
        h = o * ops.tanh(c)
        return h, [h, c]
