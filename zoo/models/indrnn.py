"""IndRNN (Li et al. 2018): independent ReLU units with bounded self-recurrence."""
import keras

from zoo.builder import RecurrentConfig, build_recurrent_model, scan_cell_family
from zoo.indrnn import IndRNNCell, recurrent_bound
from zoo.registry import register_model
from zoo.spec import Spec


def _cell(cfg: RecurrentConfig) -> IndRNNCell:
    return IndRNNCell(cfg.units, recurrent_max=recurrent_bound(cfg.chrono_tmax))


FAMILY = scan_cell_family("indrnn", _cell, gated=False)


@register_model
def indrnn(spec: Spec, **hparams) -> keras.Model:
    """IndRNN (Li et al. 2018): h_t = relu(W x_t + u * h_{t-1} + b), |u| <= 2^(1/T)."""
    return build_recurrent_model("indrnn", spec, FAMILY, hparams)
