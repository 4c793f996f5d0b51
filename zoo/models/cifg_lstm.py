"""LSTM with coupled input and forget gates, on zoo.cells.CIFGLSTMCell."""
import keras

from zoo.builder import CellFamily, RecurrentConfig, build_recurrent_model
from zoo.cells import CIFGLSTMCell
from zoo.initializers import ChronoBias
from zoo.registry import register_model
from zoo.spec import Spec


def _layer(cfg: RecurrentConfig, return_sequences: bool, name: str) -> keras.layers.Layer:
    chrono = cfg.gate_init == "chrono"
    cell = CIFGLSTMCell(
        cfg.units,
        unit_forget_bias=not chrono,
        bias_initializer=ChronoBias(cfg.chrono_tmax, "cifg") if chrono else "zeros",
    )
    return keras.layers.RNN(cell, return_sequences=return_sequences, name=name)


FAMILY = CellFamily("cifg_lstm", _layer)


@register_model
def cifg_lstm(spec: Spec, **hparams) -> keras.Model:
    """CIFG LSTM (Greff et al. 2017): input gate coupled to the forget gate, i = 1 - f."""
    return build_recurrent_model("cifg_lstm", spec, FAMILY, hparams)
