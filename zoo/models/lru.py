"""The Linear Recurrent Unit (Orvieto et al. 2023) in its residual GLU stack."""
import keras

from zoo.builder import RecurrentConfig, build_recurrent_model, scan_cell_family
from zoo.lru import LRUCell
from zoo.registry import register_model
from zoo.spec import Spec


def _cell(cfg: RecurrentConfig) -> LRUCell:
    return LRUCell(cfg.units, **cfg.options)


# The ring's radii and phase: the paper's defaults (0.9, 0.999, 2 pi) suit LRA's shorter tasks; its
# PathX runs start the eigenvalues nearer the unit circle (r_min 0.999) with a smaller max_phase.
FAMILY = scan_cell_family("lru", _cell, gated=False, mixer="glu", options=("r_min", "r_max", "max_phase"))


@register_model
def lru(spec: Spec, **hparams) -> keras.Model:
    """LRU (Orvieto et al. 2023): complex diagonal linear recurrence in residual Norm-LRU-GLU blocks.

    Besides the common hyperparameters: r_min, r_max (the ring |lambda| is initialised on) and
    max_phase (arg lambda's initial range), as in zoo.LRUCell.
    """
    return build_recurrent_model("lru", spec, FAMILY, hparams, block="residual")
