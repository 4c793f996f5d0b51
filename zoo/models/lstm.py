"""LSTM (Hochreiter & Schmidhuber 1997) on keras.layers.LSTM, kept eligible for cuDNN."""
import keras

from zoo.builder import CellFamily, RecurrentConfig, build_recurrent_model
from zoo.initializers import ChronoBias
from zoo.registry import register_model
from zoo.spec import Spec


def _layer(cfg: RecurrentConfig, return_sequences: bool, name: str) -> keras.layers.Layer:
    # tanh/sigmoid, use_bias, no recurrent_dropout, no unroll: the fused cuDNN kernel's conditions
    chrono = cfg.gate_init == "chrono"
    return keras.layers.LSTM(
        cfg.units,
        return_sequences=return_sequences,
        unit_forget_bias=not chrono,
        bias_initializer=ChronoBias(cfg.chrono_tmax, "lstm") if chrono else "zeros",
        use_cudnn=cfg.use_cudnn,
        name=name,
    )


FAMILY = CellFamily("lstm", _layer, cudnn=True)


@register_model
def lstm(spec: Spec, **hparams) -> keras.Model:
    """LSTM with forget-gate bias 1 (Jozefowicz et al. 2015); cuDNN-eligible."""
    return build_recurrent_model("lstm", spec, FAMILY, hparams)


@register_model
def bilstm(spec: Spec, **hparams) -> keras.Model:
    """Bidirectional LSTM, directions concatenated; cuDNN-eligible."""
    return build_recurrent_model("bilstm", spec, FAMILY, hparams, bidirectional=True)


@register_model
def deep_lstm(spec: Spec, **hparams) -> keras.Model:
    """Stacked LSTM, 2 layers unless num_layers says otherwise; cuDNN-eligible."""
    return build_recurrent_model("deep_lstm", spec, FAMILY, hparams, num_layers=2)


@register_model
def attention_bilstm(spec: Spec, **hparams) -> keras.Model:
    """Bidirectional LSTM read out by additive attention over its states (pooling='attention')."""
    return build_recurrent_model("attention_bilstm", spec, FAMILY, hparams, bidirectional=True, pooling="attention")
