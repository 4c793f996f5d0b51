"""One builder for every recurrent model: task input -> stacked recurrent encoder -> task head.

A model family only says how to make one recurrent layer (`CellFamily.make_layer`); the
input layer, stacking, bidirectionality, dropout and head come from the task's Spec here,
so any model pairs with any task.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import keras

from zoo.spec import Spec

GATE_INITS = ("default", "chrono")


@dataclass(frozen=True)
class RecurrentConfig:
    """Hyperparameters every registered model accepts.

    units: hidden size per direction; num_layers: stacked recurrent layers; bidirectional:
    wrap each layer in keras.layers.Bidirectional (concatenated); dropout: rate applied to the
    inputs and between layers (never recurrent dropout, which would rule out cuDNN);
    embedding_dim: embedding size for token inputs; gate_init: "default" (forget-gate bias 1
    for LSTMs) or "chrono" (Tallec & Ollivier 2018, gated cells only); chrono_tmax: the longest
    dependency chrono targets (default: the input length); use_cudnn: passed to Keras LSTM/GRU.
    """

    units: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    embedding_dim: int = 64
    gate_init: str = "default"
    chrono_tmax: int | None = None
    use_cudnn: bool | str = "auto"

    def __post_init__(self) -> None:
        def positive_int(name: str) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")

        positive_int("units")
        positive_int("num_layers")
        positive_int("embedding_dim")
        if not isinstance(self.bidirectional, bool):
            raise ValueError(f"bidirectional must be True or False, got {self.bidirectional!r}")
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.gate_init not in GATE_INITS:
            raise ValueError(f"gate_init {self.gate_init!r} is not one of {', '.join(GATE_INITS)}")
        if self.chrono_tmax is not None and (not isinstance(self.chrono_tmax, int) or self.chrono_tmax < 3):
            raise ValueError(f"chrono_tmax must be an integer >= 3, got {self.chrono_tmax!r}")
        if self.use_cudnn not in ("auto", True, False):
            raise ValueError(f"use_cudnn must be 'auto', True or False, got {self.use_cudnn!r}")

    @classmethod
    def from_hparams(cls, hparams: dict, **defaults) -> "RecurrentConfig":
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(hparams) - set(valid))
        if unknown:
            raise ValueError(f"unknown hyperparameter {unknown[0]!r}; valid: {', '.join(valid)}")
        return cls(**{**defaults, **hparams})


@dataclass(frozen=True)
class CellFamily:
    """How to make one recurrent layer of a kind, and which options the kind supports."""

    name: str
    make_layer: Callable[[RecurrentConfig, bool, str], keras.layers.Layer]
    gated: bool = True  # supports gate_init="chrono"
    cudnn: bool = False  # a Keras layer with a fused cuDNN kernel (takes use_cudnn)


def custom_cell_family(name: str, cell_class: type, bias_layout: str) -> CellFamily:
    """A family whose layers are keras.layers.RNN over a zoo cell taking units, unit_forget_bias, bias_initializer."""
    from zoo.initializers import ChronoBias

    def make_layer(cfg: RecurrentConfig, return_sequences: bool, layer_name: str) -> keras.layers.Layer:
        chrono = cfg.gate_init == "chrono"
        cell = cell_class(
            cfg.units,
            unit_forget_bias=not chrono,
            bias_initializer=ChronoBias(cfg.chrono_tmax, bias_layout) if chrono else "zeros",
        )
        return keras.layers.RNN(cell, return_sequences=return_sequences, name=layer_name)

    return CellFamily(name, make_layer)


def build_recurrent_model(name: str, spec: Spec, family: CellFamily, hparams: dict, **defaults) -> keras.Model:
    """Build `family` for `spec`; `defaults` are the registered model's own defaults."""
    cfg = RecurrentConfig.from_hparams(hparams, **defaults)
    if cfg.gate_init == "chrono":
        if not family.gated:
            raise ValueError(f"gate_init='chrono' needs a gated cell; {family.name} has no gates")
        if cfg.chrono_tmax is None:
            if spec.input.length is None:
                raise ValueError("gate_init='chrono' on variable-length input needs chrono_tmax")
            cfg = dataclasses.replace(cfg, chrono_tmax=max(3, spec.input.length))
    if cfg.use_cudnn != "auto" and not family.cudnn:
        raise ValueError(f"use_cudnn applies to Keras LSTM/GRU layers only, not {family.name}")

    inputs, x = _input_layers(spec, cfg)
    for i in range(cfg.num_layers):
        if cfg.dropout:
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout_{i}")(x)
        last = i == cfg.num_layers - 1
        layer = family.make_layer(cfg, not last or spec.output.per_step, f"{family.name}_{i}")
        if cfg.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x)  # (batch, time, units * directions), or (batch, units * directions) at the top
    outputs = _head(spec, x)
    return keras.Model(inputs, outputs, name=name)


def _input_layers(spec: Spec, cfg: RecurrentConfig):
    inp = spec.input
    if inp.is_tokens:
        inputs = keras.Input((inp.length,), dtype="int32", name="tokens")  # (batch, time)
        x = keras.layers.Embedding(inp.vocab_size, cfg.embedding_dim, mask_zero=inp.padded, name="embedding")(inputs)
    else:
        inputs = keras.Input((inp.length, inp.features), name="features")  # (batch, time, features)
        x = inputs
    return inputs, x


def _head(spec: Spec, x):
    out = spec.output
    if out.kind == "binary":
        return keras.layers.Dense(1, activation="sigmoid", name="head")(x)
    if out.kind == "regression":
        return keras.layers.Dense(1, name="head")(x)
    # classes: (batch, units) -> (batch, classes); step_classes: Dense maps the last axis of
    # (batch, time, units) -> (batch, time, classes) directly, no TimeDistributed needed
    return keras.layers.Dense(out.num_classes, activation="softmax", name="head")(x)
