"""A model's streaming twin: the same layers and weights, each recurrent layer run one step at a time.

A recurrent model that computes the right thing at any length can also read its input as it
arrives, carrying its state between calls: keras.layers.RNN(cell, stateful=True) over the same
cell. Fed one step per call, the twin must give what the model gives on the whole sequence
(tests/test_streaming.py checks every causal model on the length-generalisation tasks).

    twin = streaming_twin(model, batch_size=len(x))
    steps = [twin(x[:, t : t + 1]) for t in range(x.shape[1])]  # one step per call
    reset(twin)  # before the next sequences

Call the twin itself: on JAX, Keras 3.15's predict_on_batch does not carry a stateful RNN's states
exactly (the step after the first is off by ~1e-3; TensorFlow's is exact).
"""
from __future__ import annotations

import keras

from zoo.pooling import SequencePooling
from zoo.scan_rnn import ScanRNN

STEPPED = (keras.layers.RNN, ScanRNN)  # keras.layers.LSTM, GRU and SimpleRNN are keras.layers.RNN


def streaming_twin(model: keras.Model, batch_size: int) -> keras.Model:
    """`model` with each recurrent layer replaced by a stateful keras.layers.RNN over the same cell; every
    other layer is the model's own (its weights shared). Inputs (batch_size, steps) or (batch_size, steps,
    features), any number of steps per call.

    ValueError for a model that is not causal: a Bidirectional layer or a pooling over the whole sequence
    reads steps that have not arrived yet.
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional) or isinstance(layer, SequencePooling) and layer.mode != "last":
            raise ValueError(f"{model.name} cannot stream: its layer {layer.name} reads the whole sequence")

    def twin(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, STEPPED):
            return keras.layers.RNN(layer.cell, return_sequences=layer.return_sequences, stateful=True,
                                    name=f"{layer.name}_streaming")
        return layer

    (spec,) = model.inputs
    inputs = keras.Input(batch_shape=(batch_size, *spec.shape[1:]), dtype=spec.dtype, name=spec.name)
    return keras.models.clone_model(model, input_tensors=inputs, clone_function=twin)


def reset(twin: keras.Model) -> None:
    """Zero the twin's recurrent states, to start new sequences."""
    for layer in twin.layers:
        if isinstance(layer, keras.layers.RNN) and layer.stateful:
            layer.reset_state()
