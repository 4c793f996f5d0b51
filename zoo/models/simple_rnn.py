"""Elman recurrent networks: keras.layers.SimpleRNN with tanh."""
import keras

from zoo.builder import CellFamily, RecurrentConfig, build_recurrent_model
from zoo.registry import register_model
from zoo.spec import Spec


def _layer(cfg: RecurrentConfig, return_sequences: bool, name: str) -> keras.layers.Layer:
    return keras.layers.SimpleRNN(cfg.units, activation="tanh", return_sequences=return_sequences, name=name)


FAMILY = CellFamily("simple_rnn", _layer, gated=False)


@register_model
def rnn(spec: Spec, **hparams) -> keras.Model:
    """SimpleRNN (Elman 1990), tanh: h_t = tanh(x_t W + h_{t-1} U + b)."""
    return build_recurrent_model("rnn", spec, FAMILY, hparams)


@register_model
def birnn(spec: Spec, **hparams) -> keras.Model:
    """Bidirectional SimpleRNN (Schuster & Paliwal 1997), directions concatenated."""
    return build_recurrent_model("birnn", spec, FAMILY, hparams, bidirectional=True)


@register_model
def deep_rnn(spec: Spec, **hparams) -> keras.Model:
    """Stacked SimpleRNN, 2 layers unless num_layers says otherwise."""
    return build_recurrent_model("deep_rnn", spec, FAMILY, hparams, num_layers=2)
