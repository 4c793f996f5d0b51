r"""Registered model families: importing a module registers its builders. New model = new file + a line here.

The order of these imports (and of the builders within a file) is the models' order in
tables and figures (zoo.registry.model_order): the 1990s RNN, LSTMs, GRUs, then the parallel
recurrences.

## Models

| name | model | recurrent parameters per layer (input d, hidden h) |
|---|---|---|
| `rnn`, `birnn`, `deep_rnn` | SimpleRNN (tanh); bidirectional; 2 stacked layers | h(d+h+1) |
| `lstm`, `bilstm`, `deep_lstm` | LSTM, forget-gate bias 1 (Jozefowicz et al. 2015) | 4h(d+h+1) |
| `attention_bilstm` | bidirectional LSTM read out by additive attention (`pooling="attention"`) | 4h(d+h+1) per direction, + D²+2D (D = 2h) |
| `peephole_lstm` | gates also see the cell state (Gers & Schmidhuber 2000): i, f see c_{t-1}, o sees c_t | 4h(d+h+1)+3h |
| `cifg_lstm` | coupled input and forget gates, i = 1 − f (Greff et al. 2017) | 3h(d+h+1) |
| `gru`, `bigru`, `deep_gru` | GRU, `reset_after` (the cuDNN formulation) | 3h(d+h+2) |
| `indrnn` | IndRNN (Li et al. 2018): h_t = relu(W x_t + u ⊙ h_{t−1} + b), \|u\| ≤ 2^(1/T) | h(d+2) |
| `mingru` | minGRU (Feng et al. 2024): z_t, h̃_t from x_t only; h_t = (1−z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t | 2h(d+1) |
| `minlstm` | minLSTM (Feng et al. 2024): f_t, i_t from x_t only, normalised to sum 1; no output gate | 3h(d+1) |
| `lru` | Linear Recurrent Unit (Orvieto et al. 2023): complex diagonal λ = exp(−e^ν + i e^θ), ring init, γ normalisation, y = Re(C h) + D x; in residual Norm–LRU–GLU blocks by default | 3h+2dh+2h²+(h or dh) |

Bidirectional layers double the count; stacked layers add up, with d = h·directions above the
first. Every model accepts `units` (64), `num_layers`, `bidirectional`, `dropout` (on the inputs
and between layers, never recurrent, so cuDNN stays usable), `embedding_dim` (64, token inputs),
`gate_init` (`"default"` or `"chrono"`, Tallec & Ollivier 2018: models with a keep gate, i.e. the
LSTMs, GRUs, minGRU's z and minLSTM's f), `chrono_tmax` (the longest dependency planned for,
default the input length; IndRNN's bound on |u| too), `pooling` and `block`, and, for the
`lstm`/`gru` families, `use_cudnn`; `lru` also takes its initial ring, `r_min` and `r_max` (|λ|
starts uniform on the ring between them; the paper's 0.9 and 0.999 by default) and `max_phase`
(2π). An option a model lacks (`gate_init="chrono"` on `indrnn` or
`lru`, `use_cudnn` on a zoo cell) is an error naming the model and the option; `rnn-zoo run`
exits 2 on it before training. The built-in LSTM/GRU keep Keras's fused cuDNN kernel eligible:
tanh/sigmoid, bias, no recurrent dropout, no unroll, GRU `reset_after`, right-padded masks.

- `pooling` — how a sequence-level head (`binary`, `classes`, `regression`) sees the top
  layer: `last` (its state at each sequence's last unpadded step: the default, and what the
  Keras layers return), `max` or `mean` over the unpadded steps, or `attention` (additive
  attention with a learned query, s_t = q·tanh(W h_t + b), softmax over unpadded steps).
  Per-step heads (`step_classes`) read every step, so pooling does not apply to them and is
  ignored there.
- `block` — `none` (layers stacked directly, the default except for `lru`) or `residual`: a
  linear encoder to `units`, then per layer x + Dropout(Mix(RNN(LayerNorm(x)))) and a final
  LayerNorm, the stack of Orvieto et al.'s Fig. 1. Mix is a GLU (GELU, then W₁y ⊙ σ(W₂y)) for
  `lru` and a GELU MLP of width 4·units for the others. The LRU is linear, so without its block
  (`block="none"`) it is a linear model; minGRU/minLSTM/IndRNN are nonlinear through their
  gates or ReLU and default to the plain stack, like the zoo's other models, so a table
  compares like with like (`--set model.block=residual` gives the papers' kind of stack).

`indrnn`, `mingru`, `minlstm` and `lru` are cells whose recurrence is element-wise in the state
(h_t = a_t ⊙ h_{t−1} + b_t, with a_t, b_t from x_t alone; IndRNN's ReLU composes into clamp
maps), so training runs `zoo.ScanRNN`, a scan over the whole sequence with no per-step layer
call (`zoo/scan.py`: sequential, chunked, associative, or blocked, i.e. blocks of 50 steps
recomputed in the backward pass so their tensors stay in cache; the fastest measured for the
backend and device by default), while the same cell steps through time in `keras.layers.RNN`
for streaming. Both paths give the same outputs on every backend (tests/test_scan.py), and a
padded step leaves the state alone, so right padding changes no prediction.

A `Spec` is the contract between tasks and models: the input (float features of a dimension, or
integer tokens of a vocabulary, fixed or variable length) and the output (`binary`, `classes`,
`step_classes` or `regression`). The builder adds the input layer and the head, so any model pairs
with any task. `Spec`, `InputSpec` and `OutputSpec` check their fields' types when made.

Adding a model: a file in `zoo/models/` with a `@register_model` builder (see `zoo/models/gru.py`)
and one import line in `zoo/models/__init__.py`, whose order is the models' order in tables
and figures (`zoo.model_order()`); the tests parametrize over `zoo.list_models()` and ask for
the model's closed-form parameter count in `tests/test_models.py`.
"""
from zoo.models import simple_rnn  # noqa: F401  isort: skip
from zoo.models import lstm  # noqa: F401  isort: skip
from zoo.models import peephole_lstm  # noqa: F401  isort: skip
from zoo.models import cifg_lstm  # noqa: F401  isort: skip
from zoo.models import gru  # noqa: F401  isort: skip
from zoo.models import indrnn  # noqa: F401  isort: skip
from zoo.models import min_rnn  # noqa: F401  isort: skip
from zoo.models import lru  # noqa: F401  isort: skip
