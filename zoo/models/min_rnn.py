"""minGRU and minLSTM (Feng et al. 2024): gates from x_t only, trained with a parallel scan."""
import keras

from zoo.builder import RecurrentConfig, build_recurrent_model, scan_cell_family
from zoo.initializers import ChronoBias
from zoo.min_rnn import MinGRUCell, MinLSTMCell
from zoo.registry import register_model
from zoo.spec import Spec


def _mingru_cell(cfg: RecurrentConfig) -> MinGRUCell:
    chrono = cfg.gate_init == "chrono"
    return MinGRUCell(cfg.units, bias_initializer=ChronoBias(cfg.chrono_tmax, "mingru") if chrono else "zeros")


def _minlstm_cell(cfg: RecurrentConfig) -> MinLSTMCell:
    chrono = cfg.gate_init == "chrono"
    return MinLSTMCell(cfg.units, unit_forget_bias=not chrono,
                       bias_initializer=ChronoBias(cfg.chrono_tmax, "minlstm") if chrono else "zeros")


MINGRU = scan_cell_family("mingru", _mingru_cell, gated=True)
MINLSTM = scan_cell_family("minlstm", _minlstm_cell, gated=True)


@register_model
def mingru(spec: Spec, **hparams) -> keras.Model:
    """minGRU (Feng et al. 2024): h_t = (1 - z_t) h_{t-1} + z_t h~_t, z_t and h~_t from x_t only."""
    return build_recurrent_model("mingru", spec, MINGRU, hparams)


@register_model
def minlstm(spec: Spec, **hparams) -> keras.Model:
    """minLSTM (Feng et al. 2024): normalised forget/input gates from x_t only, no output gate."""
    return build_recurrent_model("minlstm", spec, MINLSTM, hparams)
