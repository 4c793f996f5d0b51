"""LSTM with coupled input and forget gates, on zoo.cells.CIFGLSTMCell."""
import keras

from zoo.builder import build_recurrent_model, custom_cell_family
from zoo.cells import CIFGLSTMCell
from zoo.registry import register_model
from zoo.spec import Spec

FAMILY = custom_cell_family("cifg_lstm", CIFGLSTMCell, bias_layout="cifg")


@register_model
def cifg_lstm(spec: Spec, **hparams) -> keras.Model:
    """CIFG LSTM (Greff et al. 2017): input gate coupled to the forget gate, i = 1 - f."""
    return build_recurrent_model("cifg_lstm", spec, FAMILY, hparams)
