"""The Linear Recurrent Unit (Orvieto et al. 2023) in its residual GLU stack."""
import keras

from zoo.builder import RecurrentConfig, build_recurrent_model, scan_cell_family
from zoo.lru import LRUCell
from zoo.registry import register_model
from zoo.spec import Spec


def _cell(cfg: RecurrentConfig) -> LRUCell:
    return LRUCell(cfg.units)


FAMILY = scan_cell_family("lru", _cell, gated=False, mixer="glu")


@register_model
def lru(spec: Spec, **hparams) -> keras.Model:
    """LRU (Orvieto et al. 2023): complex diagonal linear recurrence in residual Norm-LRU-GLU blocks."""
    return build_recurrent_model("lru", spec, FAMILY, hparams, block="residual")
