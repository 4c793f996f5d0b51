"""LSTM with peephole connections, on zoo.cells.PeepholeLSTMCell."""
import keras

from zoo.builder import CellFamily, RecurrentConfig, build_recurrent_model
from zoo.cells import PeepholeLSTMCell
from zoo.initializers import ChronoBias
from zoo.registry import register_model
from zoo.spec import Spec


def _layer(cfg: RecurrentConfig, return_sequences: bool, name: str) -> keras.layers.Layer:
    chrono = cfg.gate_init == "chrono"
    cell = PeepholeLSTMCell(
        cfg.units,
        unit_forget_bias=not chrono,
        bias_initializer=ChronoBias(cfg.chrono_tmax, "lstm") if chrono else "zeros",
    )
    return keras.layers.RNN(cell, return_sequences=return_sequences, name=name)


FAMILY = CellFamily("peephole_lstm", _layer)


@register_model
def peephole_lstm(spec: Spec, **hparams) -> keras.Model:
    """Peephole LSTM (Gers & Schmidhuber 2000): gates also see the cell state."""
    return build_recurrent_model("peephole_lstm", spec, FAMILY, hparams)
