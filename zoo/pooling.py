"""Pool a sequence of states into one vector for sequence-level heads, respecting masks."""
from __future__ import annotations

import keras
from keras import ops

POOLINGS = ("last", "max", "mean", "attention")
NEG = -1e9  # score of a masked step before the softmax: exp underflows to 0


@keras.saving.register_keras_serializable(package="zoo")
class SequencePooling(keras.layers.Layer):
    """(batch, time, features) -> (batch, features) over the unmasked steps.

    last: the state at each sequence's last unmasked step; max / mean: element-wise over the
    unmasked steps; attention: additive attention with a learned query (Bahdanau et al. 2015's
    scoring, the form of Yang et al. 2016): s_t = q . tanh(W h_t + b), alpha = softmax(s) over
    unmasked steps, output sum_t alpha_t h_t. Attention adds D^2 + 2D parameters for D features.
    """

    def __init__(self, mode: str = "last", **kwargs):
        super().__init__(**kwargs)
        if mode not in POOLINGS:
            raise ValueError(f"pooling {mode!r} is not one of {', '.join(POOLINGS)}")
        self.mode = mode
        self.supports_masking = True

    def build(self, input_shape):
        if self.mode == "attention":
            d = input_shape[-1]
            self.score_kernel = self.add_weight(shape=(d, d), name="score_kernel", initializer="glorot_uniform")
            self.score_bias = self.add_weight(shape=(d,), name="score_bias", initializer="zeros")
            self.query = self.add_weight(shape=(d,), name="query", initializer="glorot_uniform")

    def call(self, x, mask=None):
        m = None if mask is None else ops.cast(mask, x.dtype)[..., None]  # (batch, time, 1)
        if self.mode == "last":
            if m is None:
                return x[:, -1]
            later = ops.flip(ops.cumsum(ops.flip(m, 1), axis=1), 1)  # unmasked steps at or after t
            return ops.sum(x * m * ops.cast(ops.equal(later, 1.0), x.dtype), axis=1)
        if self.mode == "mean":
            if m is None:
                return ops.mean(x, axis=1)
            return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)
        if self.mode == "max":
            if m is None:
                return ops.max(x, axis=1)
            return ops.max(ops.where(m > 0, x, NEG), axis=1)
        scores = ops.matmul(ops.tanh(ops.matmul(x, self.score_kernel) + self.score_bias), self.query)  # (batch, time)
        if m is not None:
            scores = ops.where(m[..., 0] > 0, scores, NEG)
        weights = ops.softmax(scores, axis=1)
        return ops.einsum("bt,btf->bf", weights, x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}
