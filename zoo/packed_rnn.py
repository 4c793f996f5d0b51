"""Keras LSTM/GRU that reach the fused (cuDNN) kernel with masked input on JAX and PyTorch.

Keras's JAX and PyTorch backends run LSTM/GRU on cuDNN only when no mask is passed; with one
(IMDB's right-padded reviews) they fall back to a step-by-step loop. `zoo.packed_rnn.LSTM`/`GRU`
give the masked layer's exact outputs from an unmasked call instead, as PyTorch's
`pack_padded_sequence` does: each row's unmasked steps are gathered to the front (for a
right-padded row, itself), the layer runs over them without a mask, and each output step is read
back from the state after the unmasked steps it has seen. A backward layer (in Bidirectional)
gets each row reversed within its unmasked steps and runs forward, since an unmasked
`go_backwards` run would start in the padding. Padding then only ever comes after a row's
unmasked steps, where no output reads it.

Weights, names and config are Keras's own (only the class differs), so a model's weights load
into either. On TensorFlow, whose cuDNN path takes right-padded masks itself, on JAX's CPU (see
PACK_WHERE) and with `use_cudnn=False` (Keras's generic masked loop, the reference path), the
layers are Keras's.
"""
from __future__ import annotations

import contextlib
import contextvars

import keras
from keras import ops

# Where masked calls take the packed path, per backend whose fused LSTM/GRU take no mask: on a
# GPU, or on every device. Off a GPU both paths are loops; which trains faster was measured on
# this repo's shared 2-core CPU (T=200, half the rows padded, 32 units, embedding 64, batch 64)
# by `python -m zoo.bench.speed.cudnn_check --packed-vs-masked`, the two alternated in one process.
# PyTorch, packed/masked: lstm 2.09x/0.81x, gru 2.00x/1.16x, bilstm 3.35x/1.92x; its unmasked
# loop precomputes the input projections. JAX: lstm 0.49/0.41/0.45x, gru 0.62/0.47/0.59x,
# bilstm 0.55/0.56/0.57x; its masked loop is already a compiled scan, and the gathers' gradients
# (XLA scatter-adds) cost more than the mask. On a GPU the packed path is what reaches cuDNN
# (not yet timed there: the same command does it).
PACK_WHERE = {"jax": "gpu", "torch": "always"}
_EVERYWHERE = contextvars.ContextVar("zoo_pack_everywhere", default=False)


@contextlib.contextmanager
def packing_everywhere():
    """Within it, masked calls on JAX/PyTorch take the packed path on any device, as on a GPU (tests, cudnn_check).

    Read when a call runs or is traced: a function JAX compiled inside keeps the packed path.
    """
    token = _EVERYWHERE.set(True)
    try:
        yield
    finally:
        _EVERYWHERE.reset(token)


def _on_gpu(sequences) -> bool:
    """Keras's own test for its fused kernels: JAX's default device, PyTorch's input device."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.default_backend() == "gpu"
    return getattr(getattr(sequences, "device", None), "type", None) == "cuda"


def _gather_steps(x, index):
    """x (batch, time, features) at index (batch, steps) along time -> (batch, steps, features)."""
    index = ops.broadcast_to(index[..., None], tuple(ops.shape(index)) + (ops.shape(x)[-1],))
    return ops.take_along_axis(x, index, axis=1)


def packing_order(mask, backwards: bool):
    """Time indices, (batch, time), that put each row's unmasked steps first, in the order a layer reads them.

    Forward: the unmasked steps in time order, then the masked ones; backward: the unmasked steps
    last to first, then the masked ones.
    """
    steps = ops.shape(mask)[1]
    t = ops.arange(steps, dtype="int32")[None, :]  # (1, time)
    order = ops.argsort(ops.where(mask, t, t + steps), axis=1)  # unique keys: no stable sort needed
    if backwards:
        lengths = ops.sum(ops.cast(mask, "int32"), axis=1, keepdims=True)  # (batch, 1)
        order = ops.take_along_axis(order, ops.where(t < lengths, lengths - 1 - t, t), axis=1)
    return ops.cast(order, "int32")


def steps_seen(mask, backwards: bool):
    """(batch, time): how many unmasked steps the layer has read when it reaches each step."""
    m = ops.cast(mask, "int32")
    if backwards:
        return ops.flip(ops.cumsum(ops.flip(m, 1), axis=1), 1)
    return ops.cumsum(m, axis=1)


class PackedRecurrent:
    """Mixin for keras.layers.LSTM / GRU: a masked call runs the layer unmasked over packed steps."""

    def packs(self, sequences, mask) -> bool:
        """Whether a call with `mask` takes the packed (unmasked, fused-eligible) path here.

        Not for stateful layers or return_state, whose states would be the padded run's.
        """
        where = PACK_WHERE.get(keras.backend.backend())
        return (mask is not None and where is not None
                and (where == "always" or _EVERYWHERE.get() or _on_gpu(sequences))
                and self.use_cudnn in ("auto", True) and not self.stateful and not self.return_state)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if not self.packs(sequences, mask):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        mask = ops.cast(mask, "bool")  # (batch, time)
        backwards, all_steps = self.go_backwards, self.return_sequences
        packed = _gather_steps(sequences, packing_order(mask, backwards))  # (batch, time, features)
        # Keras reads direction and output length from the layer; run it forward over every step
        self.go_backwards, self.return_sequences = False, True
        try:
            _, y, states = super().inner_loop(packed, initial_state, None, training=training)  # (batch, time, units)
        finally:
            self.go_backwards, self.return_sequences = backwards, all_steps
        h0 = initial_state[0] if isinstance(initial_state, (list, tuple)) else initial_state  # (batch, units)
        seen = steps_seen(mask, backwards)  # (batch, time)
        lengths = ops.sum(ops.cast(mask, "int32"), axis=1)  # (batch,)
        last = _gather_steps(y, ops.maximum(lengths - 1, 0)[:, None])[:, 0]  # (batch, units)
        last = ops.where(lengths[:, None] > 0, last, h0)  # a fully masked row keeps its initial state
        if self.zero_output_for_mask:  # Keras's loop then returns the final step's output: zeros if it is masked
            last = ops.where(mask[:, :1] if backwards else mask[:, -1:], last, 0.0)
        # states are the padded run's; packs() leaves them to layers that never read them
        if not all_steps:
            return last, last[:, None], states
        # a masked step repeats the output before it (zeros with zero_output_for_mask), as Keras's loop does
        out = _gather_steps(y, ops.maximum(seen - 1, 0))  # (batch, time, units)
        out = ops.where((seen > 0)[..., None], out, h0[:, None])
        if self.zero_output_for_mask:
            out = ops.where(mask[..., None], out, 0.0)
        # Keras returns a go_backwards layer's outputs in the order it read them
        return last, ops.flip(out, 1) if backwards else out, states

    def get_config(self) -> dict:
        # Keras's config drops use_cudnn, and Bidirectional makes its backward layer from the config
        return {**super().get_config(), "use_cudnn": self.use_cudnn}


# Named as Keras's classes because Keras keys a weights file by class name: files saved from
# either load into the other. Registered as "zoo>LSTM" / "zoo>GRU", apart from Keras's own.
@keras.saving.register_keras_serializable(package="zoo")
class LSTM(PackedRecurrent, keras.layers.LSTM):
    """keras.layers.LSTM whose masked calls take the fused kernel on JAX and PyTorch (zoo.packed_rnn)."""


@keras.saving.register_keras_serializable(package="zoo")
class GRU(PackedRecurrent, keras.layers.GRU):
    """keras.layers.GRU whose masked calls take the fused kernel on JAX and PyTorch (zoo.packed_rnn)."""


PACKED = {keras.layers.LSTM: LSTM, keras.layers.GRU: GRU}


def packed(layer: keras.layers.Layer) -> keras.layers.Layer:
    """The zoo.packed_rnn twin of a Keras LSTM/GRU (same config, so the same weights and names)."""
    return PACKED[type(layer)].from_config({**layer.get_config(), "use_cudnn": layer.use_cudnn})


def masked_reference(model: keras.Model) -> keras.Model:
    """The same model and weights with Keras's own LSTM/GRU, which take the mask: the reference path."""
    def plain(layer):
        if isinstance(layer, PackedRecurrent):
            base = keras.layers.LSTM if isinstance(layer, keras.layers.LSTM) else keras.layers.GRU
            return base.from_config(layer.get_config())
        if isinstance(layer, keras.layers.Bidirectional) and isinstance(layer.forward_layer, PackedRecurrent):
            return keras.layers.Bidirectional(plain(layer.forward_layer), backward_layer=plain(layer.backward_layer),
                                              merge_mode=layer.merge_mode, name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    reference = keras.models.clone_model(model, clone_function=plain)
    reference.set_weights(model.get_weights())
    return reference
