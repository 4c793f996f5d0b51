r"""Named matrices: smoke (CI, minutes), quick (2-core CPU, about 40 minutes), zoo (the README's matrix: every model,
3 seeds, sized so that it and the seeds `compare --add-seeds` adds finish within an hour on a 2-core CPU), paper
(the literature's sizes, GPU), imdb (the best IMDB recipe measured on the 2-core CPU: README, "IMDB on the full
set"), music and mnist (the literature's real-data tasks at parameter-matched CPU sizes), mnist-pixel (the
pixel-level MNIST tasks on the CPU, in resumable chunks), bai (Bai et al. 2018's
comparison at their parameter budgets, time-boxed for one GPU), lengen (length generalisation: every causal model on
the tasks trained at short lengths, tested to 500).

`--set` takes `TASK.PARAM=V[,V...]`, `model.HPARAM=V` (e.g. `model.units=128`) and
`recipe.FIELD=V` or `TASK.recipe.FIELD=V` (`epochs`, `learning_rate`, `batch_size`, `clipnorm`,
`patience`, `optimizer`). Values are read by the type of what they set, the same way everywhere:
`true/false`, `yes/no` or `1/0` for a switch, `none` or `null` for "not set" (e.g.
`recipe.clipnorm=none`: no clipping). What you set beats the preset: `recipe.epochs=3` gives every
task 3 epochs whatever the preset's per-task recipe says, `copy.recipe.epochs=5` beats
`recipe.epochs` for copy, and `model.units=16` beats the preset's per-task sizes. Presets: `smoke`
(tiny, CI), `quick` (2-core CPU, about 40 minutes with `--jobs 2`), `zoo` (the README's matrix:
quick's adding and copy, IMDB on 12,000 bucketed reviews; 47 minutes with `--jobs 2`, 51 with the
seeds `compare --add-seeds` adds; see results/zoo), `paper` (adding T=600 and copy T=1000 as in Bai
et al. 2018, the Keras bidirectional-LSTM IMDB recipe; for a GPU), `imdb` (the best IMDB recipe
measured on this CPU, all 25,000 reviews; see results/imdb-ablation).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


SIZES = ("units", "params")  # two ways to size a model: units, or a parameter budget that picks them


def merge_hparams(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top`'s model hyperparameters over `base`'s; a size in `top` (units or params) replaces base's size."""
    if any(k in top for k in SIZES):
        base = {k: v for k, v in base.items() if k not in SIZES}
    return {**base, **top}


@dataclass(frozen=True)
class Preset:
    description: str
    task_params: dict[str, dict[str, Any]]  # task -> params; a list value is swept
    seeds: int = 1
    models: str = "*"
    hparams: dict[str, Any] = field(default_factory=dict)
    task_hparams: dict[str, dict[str, Any]] = field(default_factory=dict)
    recipe: dict[str, dict[str, Any]] = field(default_factory=dict)  # "*" applies to every task

    def hparams_for(self, task: str) -> dict[str, Any]:
        """Model hyperparameters for `task`: its own entry over those for every task."""
        return merge_hparams(self.hparams, self.task_hparams.get(task, {}))

    def recipe_for(self, task: str) -> dict[str, Any]:
        """Recipe overrides for `task`: its own entry over "*"."""
        return {**self.recipe.get("*", {}), **self.recipe.get(task, {})}


# Bai et al.'s three cells and the scan models: the pixel-MNIST comparison on the CPU and on a GPU
BAI_MODELS = "rnn,lstm,gru,indrnn,mingru,minlstm,lru"

QUICK = Preset(
    "every model on every task, 3 seeds, at sizes where memory matters; about 40 minutes on 2 CPU cores (jax, --jobs 2)",
    task_params={
        "adding": dict(T=100, n_train=10_000, n_val=1_000, n_test=2_000),
        "copy": dict(T=30, n_train=6_000, n_val=1_000, n_test=2_000),
        "imdb": dict(limit=6_000, max_len=200, vocab_size=10_000),
    },
    seeds=3,  # the fewest for an interval from each model's own spread
    hparams=dict(units=64),
    task_hparams={"imdb": dict(units=32, embedding_dim=32)},
    # memory tasks sit at the baseline for many epochs before the gates lock on (LSTM on
    # adding T=100: 9 epochs here), so their patience covers the whole budget
    recipe={"adding": dict(epochs=12, learning_rate=3e-3, patience=12),
            "copy": dict(epochs=12, learning_rate=3e-3, patience=12),
            "imdb": dict(epochs=3, patience=1)},
)


# Length generalisation (tasks/lengths.py): Delétang et al.'s tasks and the two recall tasks at their own defaults
# (trained on lengths 1-40, MQAR 16-64; tested to 500, MQAR 512)
LENGTH_TASKS = ("even_pairs", "parity_check", "cycle_navigation", "modular_arithmetic", "stack_manipulation",
                "reverse_string", "modular_arithmetic_brackets", "solve_equation", "duplicate_string", "bucket_sort",
                "selective_copy", "associative_recall")
# the models that read a sequence in order (a bidirectional layer or attention pooling reads ahead): those that
# can run beyond their training lengths as a stream (zoo.streaming)
CAUSAL = "rnn,deep_rnn,lstm,deep_lstm,peephole_lstm,cifg_lstm,gru,deep_gru,indrnn,mingru,minlstm,lru"
LENGEN = Preset(
    "every causal model on the length-generalisation tasks (Delétang et al.'s regular and context-free tasks, "
    "duplicate string, bucket sort, selective copy, MQAR), 3 seeds, trained on lengths up to 40 (MQAR 64) and scored "
    "at each test length to 500; about an hour on 2 CPU cores (jax, --jobs 2, with JAX's compilation cache)",
    task_params={name: dict(n_train=10_000, n_val=500, n_test=128, buckets=2) for name in LENGTH_TASKS},
    seeds=3,
    models=CAUSAL,
    # 32 units train twice as fast as 64 here and solve parity; batch 32 gives 2,500 updates: LSTM and GRU
    # found parity and even pairs only after 1,900-2,500 of them (measured), so fewer epochs would miss it
    hparams=dict(units=32, embedding_dim=16),
    recipe={"*": dict(epochs=8, batch_size=32, learning_rate=3e-3, patience=8)},
)


PRESETS: dict[str, Preset] = {
    "smoke": Preset(
        "every model on every task at tiny sizes, 1 seed; a few minutes on 2 CPU cores (CI runs it)",
        task_params={
            "adding": dict(T=10, n_train=128, n_val=64, n_test=64),
            "copy": dict(T=5, n_train=128, n_val=64, n_test=64),
            "imdb": dict(limit=320, max_len=32, vocab_size=2000),
        },
        hparams=dict(units=8, embedding_dim=8),
        recipe={"*": dict(epochs=2, batch_size=32, patience=1)},
    ),
    "quick": QUICK,
    # quick's adding and copy; quick's 5,400 IMDB reviews leave LSTM vs GRU undecided after 10 seeds a
    # side (one LSTM seed at 0.771), 12,000 halve the spread and decided it in a 6-seed probe
    "zoo": replace(
        QUICK,
        description="every model on every task, 3 seeds: quick's adding and copy, IMDB on 12,000 reviews (bucketed, "
                    "early stopping); with `compare lstm gru --add-seeds` within an hour on 2 CPU cores (jax, --jobs 2)",
        task_params={**QUICK.task_params, "imdb": dict(limit=12_000, max_len=200, vocab_size=10_000, bucket=True)},
        recipe={**QUICK.recipe, "imdb": dict(epochs=4, patience=2)},
    ),
    "paper": Preset(
        "the literature's settings for a GPU: adding T=600 and copy T=1000 (Bai et al. 2018), "
        "IMDB with the Keras bidirectional-LSTM recipe (embedding 128, 64 units, max_len 200, 20k words)",
        task_params={
            "adding": dict(T=600, n_train=50_000, n_val=1_000, n_test=1_000),
            "copy": dict(T=1000, n_train=30_000, n_val=1_000, n_test=1_000),
            "imdb": dict(max_len=200, vocab_size=20_000),
        },
        seeds=3,
        hparams=dict(units=128),
        task_hparams={"imdb": dict(units=64, embedding_dim=128)},
        recipe={"adding": dict(epochs=50, batch_size=64, patience=10),
                "copy": dict(epochs=50, batch_size=64, patience=10),
                "imdb": dict(epochs=10, batch_size=32, patience=2)},
    ),
    "imdb": Preset(
        "the best IMDB recipe measured on 2 CPU cores: all 25,000 reviews, whole (up to 1,000 tokens, "
        "length-bucketed), 10,000 words, a 32-unit LSTM, early stopping; 3 seeds, about 3 minutes (jax)",
        task_params={"imdb": dict(max_len=1000, vocab_size=10_000, bucket=True)},
        seeds=3,
        models="lstm",
        hparams=dict(units=32, embedding_dim=32),
        # validation peaks after 2-3 epochs; patience 2 stops there and keeps the best epoch's weights
        recipe={"imdb": dict(epochs=6, patience=2)},
    ),
    # epochs measured here at 100k parameters (jax, 2 shared cores, after a first epoch of ~30 s compiling the
    # bucketed shapes): lstm jsb ~1 s (batches of 4), nottingham 4 s, musedata 6 s, piano_midi ~4 s (batches of 2)
    "music": Preset(
        "next-frame prediction on the four polyphonic music sets (frame NLL), every causal model (bidirectional "
        "ones are skipped) at 100k parameters, the tasks' recipes, 1 seed; about 2 hours on 2 CPU cores "
        "(jax, --jobs 2)",
        task_params={"jsb": {}, "nottingham": {}, "musedata": {}, "piano_midi": {}},
        hparams=dict(params=100_000),
    ),
    # pixel by pixel (784 steps) an LSTM takes ~12 minutes an epoch here: the CPU reads rows (28 steps of 28)
    "mnist": Preset(
        "row-wise sequential and permuted MNIST (28 steps of 28 pixels; pixel by pixel: mnist-pixel, or bai on a GPU), "
        "every model at 70k parameters, 20,000 training images, 1 seed; about an hour on 2 CPU cores (jax, --jobs 2)",
        task_params={"smnist": dict(pixels_per_step=28, limit=20_000),
                     "psmnist": dict(pixels_per_step=28, limit=20_000)},
        hparams=dict(params=70_000),
        recipe={"*": dict(epochs=8, patience=3)},
    ),
    # Bai et al.'s pixel-level tasks on the CPU, at their size and LSTM recipe (RMSprop 1e-3, clip 1, batches of
    # 64) but 3 epochs, not their tens. Measured with two workers: an LSTM (130 units) or GRU (150) epoch ~8.5
    # minutes a process, so their cells are ~30 minutes; at 70k parameters and one input feature the elementwise
    # scan models are ~5,000 units wide (indrnn 5,384, mingru 4,999, minlstm 4,374) and an IndRNN epoch took 62
    # minutes, ~3 hours a cell. The 42 cells are about 40 hours of two workers, most of it those three: run it
    # in chunks (--models, --tasks, --extend; each finished cell is kept), the RNN, LSTM and GRU first
    "mnist-pixel": Preset(
        "pixel-level sequential and permuted MNIST (784 steps of 1 pixel), all 55,000 training images, the RNN, LSTM, "
        "GRU and the scan models at 70k parameters, Bai et al.'s LSTM recipe for 3 epochs, 3 seeds; about 40 hours "
        "on 2 CPU cores (from measured epochs; jax, --jobs 2), in chunks with --extend",
        task_params={"smnist": {}, "psmnist": {}},
        seeds=3,
        models=BAI_MODELS,
        hparams=dict(params=70_000),
        recipe={"*": dict(epochs=3)},
    ),
    "bai": Preset(
        "Bai et al. 2018's LSTM/GRU/RNN comparison plus the scan models on one GPU, at their parameter budgets and "
        "LSTM settings (sMNIST, psMNIST 70k; adding T=600 70k; copy T=1000 16k; JSB 300k, 2 layers, dropout 0.2; "
        "Nottingham 1M, dropout 0.1), epochs cut to fit 8 minutes (estimated, not yet run): `RNN_ZOO_DATA=DIR "
        "rnn-zoo run --preset bai --backend torch --jobs 4`",
        task_params={
            "smnist": {}, "psmnist": {},
            "adding": dict(T=600, n_train=10_000, n_val=1_000, n_test=1_000),
            "copy": dict(T=1000, n_train=10_000, n_val=1_000, n_test=1_000),
            "jsb": {}, "nottingham": {},
        },
        models=BAI_MODELS,
        task_hparams={"smnist": dict(params=70_000), "psmnist": dict(params=70_000),
                      "adding": dict(params=70_000), "copy": dict(params=16_000),
                      "jsb": dict(params=300_000, num_layers=2, dropout=0.2),
                      "nottingham": dict(params=1_000_000, dropout=0.1)},
        # larger MNIST batches than Bai et al.'s 64 keep the GPU busy; every task a few epochs
        recipe={"smnist": dict(epochs=2, batch_size=256), "psmnist": dict(epochs=2, batch_size=256),
                "adding": dict(epochs=5, batch_size=128), "copy": dict(epochs=5, batch_size=128),
                "jsb": dict(epochs=20), "nottingham": dict(epochs=5)},
    ),
    "lengen": LENGEN,
}
