"""Mini-batches of NumPy arrays as a keras.utils.PyDataset: one input pipeline for every Keras backend."""
from __future__ import annotations

import keras
import numpy as np

PAD_TARGET = -1.0  # a padding step's target in NextStepBatches: scores skip it


class Batches(keras.utils.PyDataset):
    """(x, y) in batches of `batch_size` for `fit`, `evaluate` and `predict` on TensorFlow, JAX or PyTorch.

    seed: reshuffle before every epoch; the k-th epoch's order depends on the seed alone, so a
    model sees the same batches whatever trained before it and whichever backend runs it.
    lengths: tokens per example (right-padded token inputs). Batches then hold examples of
    similar length and are cut to the longest of them, rounded up to a multiple of
    `bucket_width`, so a compiled backend sees few distinct shapes; per-step targets (y as wide
    as x) are cut with them.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None = None,
                 lengths: np.ndarray | None = None, bucket_width: int | None = None):
        super().__init__()
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
        self.x, self.y, self.batch_size = x, y, int(batch_size)
        self.seed, self.lengths, self.bucket_width = seed, lengths, bucket_width
        self._rng = None if seed is None else np.random.default_rng(seed)
        self._plan = self._make_plan()

    def fresh(self) -> "Batches":
        """The same data with the shuffle restarted from its seed."""
        return Batches(self.x, self.y, self.batch_size, self.seed, self.lengths, self.bucket_width)

    @property
    def size(self) -> int:
        return len(self.x)

    def __len__(self) -> int:
        return len(self._plan)

    def __getitem__(self, i: int):
        index = self._plan[i]
        x, y = self.x[index], self.y[index]
        if self.lengths is not None:
            width = int(self._padded_length(self.lengths[index].max()))
            x = x[:, :width]  # (batch, longest in batch)
            if y.ndim > 1 and y.shape[1] == self.x.shape[1]:
                y = y[:, :width]
        return x, y

    def on_epoch_end(self) -> None:
        if self._rng is not None:
            self._plan = self._make_plan()

    def _padded_length(self, lengths):
        """Lengths rounded up to a multiple of the bucket width, between one width and the array's width."""
        width = self.bucket_width or 1
        return np.minimum(self.x.shape[1], np.maximum(width, -(-np.asarray(lengths) // width) * width))

    def _make_plan(self) -> list[np.ndarray]:
        n = len(self.x)
        order = np.arange(n) if self._rng is None else self._rng.permutation(n)
        if self.lengths is not None:
            # stable sort by padded length: shuffled within a length, and the batch order shuffled below
            keys = self._padded_length(self.lengths[order])
            order = order[np.argsort(keys, kind="stable")]
        plan = [order[i: i + self.batch_size] for i in range(0, n, self.batch_size)]
        if self.lengths is not None and self._rng is not None:
            plan = [plan[i] for i in self._rng.permutation(len(plan))]
        return plan


class NextStepBatches(Batches):
    """Pieces of frames for next-frame prediction: x = frames 0..T-2 of each piece, y = frames 1..T-1,
    zero-padded after the piece's end to the batch's length.

    The targets on padding are PAD_TARGET, which the losses and metrics of such tasks skip, so no
    score reads padding whatever computes it (`fit`, `evaluate`, a bench). The padding comes after
    every real step, so a causal model's outputs there (never scored) are the only ones it reaches.
    Batches hold pieces of similar length (shuffled within a length and in batch order from `seed`),
    padded to the longest rounded up to one of four lengths per octave: at most a quarter padding,
    and few shapes for a compiled backend.
    """

    def __init__(self, pieces: list[np.ndarray], batch_size: int, seed: int | None = None):
        self.pieces = pieces  # each (T_i, features), T_i >= 2
        index = np.arange(len(pieces))
        super().__init__(index, index, batch_size, seed, lengths=np.array([len(p) - 1 for p in pieces]))

    def fresh(self) -> "NextStepBatches":
        return NextStepBatches(self.pieces, self.batch_size, self.seed)

    @property
    def steps(self) -> int:
        """Scored steps (frames predicted) in the split."""
        return int(self.lengths.sum())

    def __getitem__(self, i: int):
        index = self._plan[i]
        length = int(self._padded_length(self.lengths[index].max()))
        features = self.pieces[index[0]].shape[1]
        x = np.zeros((len(index), length, features), np.float32)  # (batch, time, features)
        y = np.full_like(x, PAD_TARGET)
        for row, k in enumerate(index):
            n = self.lengths[k]
            x[row, :n], y[row, :n] = self.pieces[k][:-1], self.pieces[k][1:]
        return x, y

    def _padded_length(self, lengths):
        """Up to the next of 2^k + j 2^(k-2), j = 0..3 (16, 20, 24, 28, 32, 40, ...)."""
        lengths = np.maximum(np.asarray(lengths), 1)
        step = 2 ** np.maximum(0, np.floor(np.log2(lengths)).astype(np.int64) - 2)
        return -(-lengths // step) * step
