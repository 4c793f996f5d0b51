"""One builder for every recurrent model: task input -> stacked recurrent encoder -> pooling -> task head.

A model family only says how to make one recurrent layer (`CellFamily.make_layer`); the
input layer, stacking (plain or residual blocks), bidirectionality, dropout, pooling and head
come from the task's Spec and the hyperparameters here, so any model pairs with any task.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import keras

from zoo.packed_rnn import packed
from zoo.pooling import POOLINGS, SequencePooling
from zoo.recompute import recompute_steps
from zoo.registry import MODELS, checking_only
from zoo.scan_rnn import ScanRNN
from zoo.spec import Spec

GATE_INITS = ("default", "chrono")
TOKEN_ONLY = ("embedding_dim",)  # hyperparameters of a token input's embedding: none of a float input's business
BLOCKS = ("none", "residual")
MIXERS = ("mlp", "glu")  # the position-wise part of a residual block
MLP_EXPANSION = 4  # hidden width of the residual block's MLP, in units


@dataclass(frozen=True)
class RecurrentConfig:
    """Hyperparameters every registered model accepts.

    units: hidden size per direction; num_layers: stacked recurrent layers; bidirectional:
    wrap each layer in keras.layers.Bidirectional (concatenated); dropout: rate applied to the
    inputs and between layers, or to each residual block's branch (never recurrent dropout,
    which would rule out cuDNN);
    embedding_dim: embedding size for token inputs; gate_init: "default" (forget-gate bias 1
    for LSTMs) or "chrono" (Tallec & Ollivier 2018, gated cells only); chrono_tmax: the longest
    dependency the model plans for (default: the input length): chrono's gate range, IndRNN's
    bound on |u|; use_cudnn: passed to Keras LSTM/GRU; pooling: how a sequence-level head sees
    the top layer's states ("last", "max", "mean" or "attention"; per-step heads see every
    step, so it does not apply to them); block: "none" (layers stacked directly) or "residual"
    (a linear encoder to `units`, then per layer x + Dropout(Mix(RNN(LayerNorm(x)))) with the
    family's position-wise MLP or GLU as Mix, and a final LayerNorm); options: the hyperparameters
    of one family's cell alone (CellFamily.options, e.g. the LRU's ring r_min, r_max, max_phase);
    params: a parameter budget instead of units: the model is built with the units whose count is
    closest to it (zoo.units_for_params), so models of one budget compare at equal size.
    """

    units: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    embedding_dim: int = 64
    gate_init: str = "default"
    chrono_tmax: int | None = None
    use_cudnn: bool | str = "auto"
    pooling: str = "last"
    block: str = "none"
    options: dict = dataclasses.field(default_factory=dict)
    params: int | None = None

    def __post_init__(self) -> None:
        def positive_int(name: str) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")

        positive_int("units")
        positive_int("num_layers")
        positive_int("embedding_dim")
        if self.params is not None:
            positive_int("params")
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
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling {self.pooling!r} is not one of {', '.join(POOLINGS)}")
        if self.block not in BLOCKS:
            raise ValueError(f"block {self.block!r} is not one of {', '.join(BLOCKS)}")

    @classmethod
    def from_hparams(cls, hparams: dict, options: tuple[str, ...] = (), **defaults) -> "RecurrentConfig":
        """`hparams` may also hold the cell's own `options`, which go to cfg.options."""
        valid = [f.name for f in dataclasses.fields(cls) if f.name != "options"] + list(options)
        unknown = sorted(set(hparams) - set(valid))
        if unknown:
            raise ValueError(f"unknown hyperparameter {unknown[0]!r}; valid: {', '.join(valid)}")
        if "params" in hparams and "units" in hparams:
            raise ValueError("params (a parameter budget) picks the units: give params or units, not both")
        own = {k: v for k, v in hparams.items() if k in options}
        common = {k: v for k, v in hparams.items() if k not in options}
        return cls(**{**defaults, **common}, options=own)

    @property
    def causal(self) -> bool:
        """Whether each step's output reads only that step and earlier ones: not when bidirectional.

        (Attention pooling reads every step, but only a sequence-level head pools, and its one output
        comes after the whole sequence; a per-step head never pools.)
        """
        return not self.bidirectional


@dataclass(frozen=True)
class CellFamily:
    """How to make one recurrent layer of a kind, and which options the kind supports."""

    name: str
    make_layer: Callable[[RecurrentConfig, bool, str], keras.layers.Layer]
    gated: bool = True  # supports gate_init="chrono"
    cudnn: bool = False  # a Keras layer with a fused cuDNN kernel (takes use_cudnn)
    blocks: tuple[str, ...] = BLOCKS  # the `block` values it supports
    mixer: str = "mlp"  # its residual block's position-wise part, one of MIXERS
    options: tuple[str, ...] = ()  # hyperparameters of its cell alone (numbers), handed to make_cell in cfg.options
    make_cell: Callable[[RecurrentConfig], keras.layers.Layer] | None = None  # made once to check options

    def __post_init__(self) -> None:
        if self.mixer not in MIXERS:
            raise ValueError(f"CellFamily {self.name!r}: mixer {self.mixer!r} is not one of {', '.join(MIXERS)}")
        CELL_OPTIONS.update(self.options)


# Every family's cell options, so `--set model.r_min=0.99` parses before a model is built. They are
# numbers: their cells check them (zoo.LRUCell: 0 <= r_min < r_max < 1).
CELL_OPTIONS: set[str] = set()


def hyperparameter_types() -> dict:
    """{name: type} of every model hyperparameter: RecurrentConfig's fields and the families' cell options."""
    from zoo.values import field_types  # imports nothing heavy, like zoo.backends

    MODELS.load()  # the families add their cell options as they register
    types = {k: v for k, v in field_types(RecurrentConfig).items() if k != "options"}
    return {**types, **{name: float for name in sorted(CELL_OPTIONS)}}


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


def scan_cell_family(name: str, make_cell: Callable[[RecurrentConfig], keras.layers.Layer], gated: bool,
                     blocks: tuple[str, ...] = BLOCKS, mixer: str = "mlp", options: tuple[str, ...] = ()) -> CellFamily:
    """A family whose layers are zoo.scan_rnn.ScanRNN over `make_cell(cfg)`: trained with a parallel scan.

    `options`: the cell's own hyperparameters, which make_cell reads from cfg.options.
    """

    def make_layer(cfg: RecurrentConfig, return_sequences: bool, layer_name: str) -> keras.layers.Layer:
        return ScanRNN(make_cell(cfg), return_sequences=return_sequences, name=layer_name)

    return CellFamily(name, make_layer, gated=gated, blocks=blocks, mixer=mixer, options=options, make_cell=make_cell)


def resolve_config(name: str, spec: Spec, family: CellFamily, hparams: dict, **defaults) -> RecurrentConfig:
    """The hyperparameters model `name` builds with; ValueError naming the model for an option it lacks."""
    try:
        cfg = RecurrentConfig.from_hparams(hparams, family.options, **defaults)
    except ValueError as err:  # which model: a run's --set reaches every model of it
        raise ValueError(f"model {name!r}: {err}") from None
    for key in TOKEN_ONLY:
        if key in hparams and not spec.input.is_tokens:
            raise ValueError(f"model {name!r}: {key} does not apply to float inputs ({spec.input.features} features "
                             f"a step); it sizes the embedding of token inputs (InputSpec(vocab_size=...))")
    if cfg.options:
        family.make_cell(cfg)  # the cell's constructor checks its own options, also when only checking
    if cfg.gate_init == "chrono" and not family.gated:
        raise ValueError(f"model {name!r} does not support gate_init='chrono': it has no gates")
    if cfg.use_cudnn != "auto" and not family.cudnn:
        raise ValueError(f"model {name!r} does not support use_cudnn: it applies to Keras LSTM/GRU layers only")
    if cfg.block not in family.blocks:
        raise ValueError(f"model {name!r} does not support block={cfg.block!r}; it supports {', '.join(family.blocks)}")
    if cfg.chrono_tmax is None:
        if spec.input.length is not None:
            cfg = dataclasses.replace(cfg, chrono_tmax=max(3, spec.input.length))
        elif cfg.gate_init == "chrono":
            raise ValueError(f"model {name!r}: gate_init='chrono' on variable-length input needs chrono_tmax")
    return cfg


def build_recurrent_model(name: str, spec: Spec, family: CellFamily, hparams: dict, **defaults) -> keras.Model:
    """Build `family` for `spec`; `defaults` are the registered model's own defaults."""
    cfg = resolve_config(name, spec, family, hparams, **defaults)
    if checking_only():
        return cfg
    if cfg.params is not None:
        from zoo.budget import budget_units  # builds the model at a few sizes, through this function

        cfg = dataclasses.replace(cfg, units=budget_units(name, spec, hparams))
    inputs, x = input_layers(spec, cfg.embedding_dim)
    pooled = not spec.output.per_step
    if family.cudnn and spec.input.padded:
        family = _packed_family(family)
    if cfg.block == "residual":
        x = _residual_stack(family, cfg, x)  # (batch, time, units)
    else:
        x = _plain_stack(family, cfg, x, top_sequences=not pooled or cfg.pooling != "last")
    if pooled and (cfg.block == "residual" or cfg.pooling != "last"):
        x = SequencePooling(cfg.pooling, name="pooling")(x)  # (batch, features)
    return keras.Model(inputs, head(spec, x), name=name)


def _packed_family(family: CellFamily) -> CellFamily:
    """`family` making zoo.packed_rnn's LSTM/GRU, which take a padded input's mask to the fused kernel."""
    return dataclasses.replace(family, make_layer=lambda *args: packed(family.make_layer(*args)))


def _plain_stack(family: CellFamily, cfg: RecurrentConfig, x, top_sequences: bool):
    """Dropout -> layer, num_layers times; the top layer returns its last output unless `top_sequences`."""
    for i in range(cfg.num_layers):
        if cfg.dropout:
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout_{i}")(x)
        last = i == cfg.num_layers - 1
        x = _recurrent_layer(family, cfg, not last or top_sequences, i)(x)
        # (batch, time, units * directions), or (batch, units * directions) at the top
    return x


def _recurrent_layer(family: CellFamily, cfg: RecurrentConfig, return_sequences: bool, i: int) -> keras.layers.Layer:
    """Layer i of the stack: the family's layer, bidirectional if asked, its steps recomputed where that pays."""
    layer = family.make_layer(cfg, return_sequences, f"{family.name}_{i}")
    if cfg.bidirectional:
        layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}")
    for direction in directions(layer):  # Bidirectional builds its backward layer from the config: each apart
        recompute_steps(direction)
    return layer


def directions(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    """A Bidirectional's forward and backward layers; any other layer alone."""
    if isinstance(layer, keras.layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    return [layer]


def _residual_stack(family: CellFamily, cfg: RecurrentConfig, x):
    """Encoder, then x + Dropout(Mix(RNN(LayerNorm(x)))) per layer, then LayerNorm: (batch, time, units).

    The LRU paper's block (Orvieto et al. 2023, Fig. 1: Norm -> recurrence -> GLU -> skip, after
    a linear encoder) with the family's mixer; masks flow through every layer of it.
    """
    x = keras.layers.Dense(cfg.units, name="encoder")(x)  # (batch, time, units): the residual stream
    for i in range(cfg.num_layers):
        y = keras.layers.LayerNormalization(name=f"norm_{i}")(x)
        y = mixer(family.mixer, cfg.units, _recurrent_layer(family, cfg, True, i)(y), i)  # (batch, time, units)
        if cfg.dropout:
            y = keras.layers.Dropout(cfg.dropout, name=f"dropout_{i}")(y)
        x = keras.layers.Add(name=f"residual_{i}")([x, y])
    return keras.layers.LayerNormalization(name="norm_out")(x)


def mixer(kind: str, units: int, y, i: int):
    """The block's position-wise part: (batch, time, features) -> (batch, time, units)."""
    if kind == "glu":  # GELU, then a gated linear unit W1 y * sigmoid(W2 y)
        y = keras.layers.Activation("gelu", name=f"gelu_{i}")(y)
        value = keras.layers.Dense(units, name=f"glu_value_{i}")(y)
        gate = keras.layers.Dense(units, activation="sigmoid", name=f"glu_gate_{i}")(y)
        return keras.layers.Multiply(name=f"glu_{i}")([value, gate])
    hidden = keras.layers.Dense(MLP_EXPANSION * units, activation="gelu", name=f"mlp_in_{i}")(y)
    return keras.layers.Dense(units, name=f"mlp_out_{i}")(hidden)


def input_layers(spec: Spec, embedding_dim: int = RecurrentConfig.embedding_dim):
    """(keras.Input, its sequence x of shape (batch, time, features)) for `spec`'s input: token inputs embedded
    (a padded input's mask carried). Public, so that a model of your own reads the tasks' inputs as the zoo's do."""
    inp = spec.input
    if inp.is_tokens:
        inputs = keras.Input((inp.length,), dtype="int32", name="tokens")  # (batch, time)
        x = keras.layers.Embedding(inp.vocab_size, embedding_dim, mask_zero=inp.padded, name="embedding")(inputs)
    else:
        inputs = keras.Input((inp.length, inp.features), name="features")  # (batch, time, features)
        x = inputs
    return inputs, x


def head(spec: Spec, x):
    """`spec`'s output layer on x: (batch, units) for a sequence-level output, (batch, time, units) per step.
    Public, like input_layers: the loss and metrics every task sets expect this head."""
    out = spec.output
    if out.kind == "binary":
        return keras.layers.Dense(1, activation="sigmoid", name="head")(x)
    if out.kind == "regression":
        return keras.layers.Dense(1, name="head")(x)
    if out.kind == "step_multilabel":  # (batch, time, units) -> (batch, time, labels)
        return keras.layers.Dense(out.num_classes, activation="sigmoid", name="head")(x)
    # classes: (batch, units) -> (batch, classes); step_classes: Dense maps the last axis of
    # (batch, time, units) -> (batch, time, classes) directly, no TimeDistributed needed
    return keras.layers.Dense(out.num_classes, activation="softmax", name="head")(x)
