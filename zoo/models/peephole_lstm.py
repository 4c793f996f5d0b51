"""LSTM with peephole connections, on zoo.cells.PeepholeLSTMCell."""
import keras

from zoo.builder import build_recurrent_model, custom_cell_family
from zoo.cells import PeepholeLSTMCell
from zoo.registry import register_model
from zoo.spec import Spec

FAMILY = custom_cell_family("peephole_lstm", PeepholeLSTMCell, bias_layout="lstm")


@register_model
def peephole_lstm(spec: Spec, **hparams) -> keras.Model:
    """Peephole LSTM (Gers & Schmidhuber 2000): gates also see the cell state."""
    return build_recurrent_model("peephole_lstm", spec, FAMILY, hparams)
