"""GRU (Cho et al. 2014) on keras.layers.GRU with reset_after, kept eligible for cuDNN."""
import keras

from zoo.builder import CellFamily, RecurrentConfig, build_recurrent_model
from zoo.initializers import ChronoBias
from zoo.registry import register_model
from zoo.spec import Spec


def _layer(cfg: RecurrentConfig, return_sequences: bool, name: str) -> keras.layers.Layer:
    # reset_after=True is the cuDNN-compatible GRU formulation (two bias vectors)
    chrono = cfg.gate_init == "chrono"
    return keras.layers.GRU(
        cfg.units,
        return_sequences=return_sequences,
        reset_after=True,
        bias_initializer=ChronoBias(cfg.chrono_tmax, "gru") if chrono else "zeros",
        use_cudnn=cfg.use_cudnn,
        name=name,
    )


FAMILY = CellFamily("gru", _layer, cudnn=True)


@register_model
def gru(spec: Spec, **hparams) -> keras.Model:
    """GRU with update and reset gates, reset_after (cuDNN) formulation."""
    return build_recurrent_model("gru", spec, FAMILY, hparams)


@register_model
def bigru(spec: Spec, **hparams) -> keras.Model:
    """Bidirectional GRU, directions concatenated; cuDNN-eligible."""
    return build_recurrent_model("bigru", spec, FAMILY, hparams, bidirectional=True)


@register_model
def deep_gru(spec: Spec, **hparams) -> keras.Model:
    """Stacked GRU, 2 layers unless num_layers says otherwise; cuDNN-eligible."""
    return build_recurrent_model("deep_gru", spec, FAMILY, hparams, num_layers=2)
