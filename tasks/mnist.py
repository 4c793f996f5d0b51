"""Sequential and permuted-sequential MNIST (Le et al. 2015; Bai et al. 2018): a digit read pixel by pixel."""
from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from typing import ClassVar

import keras
import numpy as np

from tasks.base import Criterion, Recipe, Splits, Task, array_splits
from tasks.datafiles import DataFile, locate
from tasks.reference import Reference, bai2018
from tasks.registry import register_task
from zoo.spec import InputSpec, OutputSpec, Spec

PIXELS, CLASSES = 784, 10
# TFDS's source of MNIST (its url_checksums/mnist.txt gives these sha256s), then torchvision's mirror:
# byte for byte the files of LeCun's MNIST page
MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/")
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
DATA_FILES = {key: DataFile(name, sha, "mnist", tuple(m + name for m in MIRRORS)) for key, (name, sha) in FILES.items()}
# psmnist's one permutation of the 784 pixels, the same for every model and seed
PERMUTATION_SEED = 0
MAJORITY_DIGIT = 1  # the most frequent digit of the 60,000 training images (6,742 of them)
PIXEL_ACCURACY = "test accuracy, pixel by pixel"  # what Bai et al.'s Table 1 scored


def permutation() -> np.ndarray:
    """The fixed pixel order of psmnist: np.random.default_rng(0).permutation(784)."""
    return np.random.default_rng(PERMUTATION_SEED).permutation(PIXELS)


def read_idx(path) -> np.ndarray:
    """An IDX file (gzipped): big-endian int32 magic (0x801 labels, 0x803 images) and sizes, then uint8 data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = tuple(int(n) for n in np.frombuffer(raw, ">i4", count=dims, offset=4))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


@functools.lru_cache(maxsize=2)
def load_mnist(data_dir: str | None = None) -> dict[str, np.ndarray]:
    """{"train_images": (60000, 28, 28) uint8, "train_labels": (60000,), "test_images", "test_labels"}."""
    return {key: read_idx(locate(file, data_dir, "data_dir")) for key, file in DATA_FILES.items()}


@register_task
@dataclass(frozen=True)
class SequentialMNIST(Task):
    """Classify a handwritten digit read `pixels_per_step` pixels a step (784 steps of 1 by default; 28 = rows).

    Pixels scaled to [0, 1], in row-major order (psmnist: one fixed permutation first). Validation:
    `n_val` training images drawn with the seed, never test images. Baseline: the training set's
    most frequent digit (1) scores 0.1135 on the 10,000 test images. Solved: test accuracy >= 0.95.
    """

    data_dir: str | None = None
    pixels_per_step: int = 1
    n_val: int = 5_000
    limit: int | None = None  # train on at most this many images (quick runs)
    test_limit: int | None = None  # test on the first this many test images (quick runs)

    name: ClassVar[str] = "smnist"
    permuted: ClassVar[bool] = False
    metric: ClassVar[str] = "accuracy"
    higher_is_better: ClassVar[bool] = True
    # Bai et al. 2018, Table 3 (LSTM): RMSprop 1e-3, gradient clip 1
    recipe: ClassVar[Recipe] = Recipe(optimizer="rmsprop", learning_rate=1e-3, batch_size=64, epochs=20,
                                      clipnorm=1.0, patience=5)
    headline_params: ClassVar[tuple[str, ...]] = ()
    published: ClassVar[Reference] = bai2018(PIXEL_ACCURACY, "70k", lstm=0.872, gru=0.962, rnn=0.215)

    def __post_init__(self) -> None:
        self.check_positive("pixels_per_step", "n_val")
        self.check_positive("limit", "test_limit", allow_none=True)
        if PIXELS % self.pixels_per_step:
            raise ValueError(f"{self.name}.pixels_per_step must divide 784 (1, 2, 4, 7, 14, 28, ...), "
                             f"got {self.pixels_per_step}")
        if self.n_val >= 60_000:
            raise ValueError(f"{self.name}.n_val must leave training images (< 60000), got {self.n_val}")

    @property
    def spec(self) -> Spec:
        step = self.pixels_per_step
        return Spec(InputSpec(length=PIXELS // step, features=step), OutputSpec("classes", CLASSES))

    @property
    def reference(self) -> Reference | None:
        """The paper's scores, only for the task it scored: one pixel a step, every training and test image."""
        full = self.pixels_per_step == 1 and self.limit is None and self.test_limit is None
        return self.published if full else None

    @property
    def baseline(self) -> float:
        labels = load_mnist(self.data_dir)["test_labels"][: self.test_limit]
        return float(np.mean(labels == MAJORITY_DIGIT))

    @property
    def solved(self) -> Criterion:
        return Criterion("accuracy", 0.95, higher_is_better=True)

    def loss(self):
        return "sparse_categorical_crossentropy"

    def metrics(self) -> list:
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def check_data(self) -> None:
        load_mnist(self.data_dir)

    def sequences(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) uint8 -> (n, 784 / pixels_per_step, pixels_per_step) float32 in [0, 1]."""
        pixels = images.reshape(len(images), PIXELS)
        if self.permuted:
            pixels = pixels[:, permutation()]
        return (pixels.astype(np.float32) / 255.0).reshape(len(images), -1, self.pixels_per_step)

    def arrays(self, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        raw = load_mnist(self.data_dir)
        order = np.random.default_rng(seed).permutation(len(raw["train_labels"]))
        picks = {"train": order[self.n_val:][: self.limit], "val": order[: self.n_val]}
        out = {split: (self.sequences(raw["train_images"][i]), raw["train_labels"][i].astype(np.int32))
               for split, i in picks.items()}
        test = slice(self.test_limit)
        out["test"] = (self.sequences(raw["test_images"][test]), raw["test_labels"][test].astype(np.int32))
        return out

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        return array_splits(self.arrays(seed), batch_size or self.recipe.batch_size, seed)


@register_task
@dataclass(frozen=True)
class PermutedMNIST(SequentialMNIST):
    """Sequential MNIST with the pixels in one fixed random order (tasks.mnist.permutation(): seed 0).

    The permutation spreads each stroke over the whole sequence, so memory spans hundreds of steps.
    Baseline 0.1135 and solved (accuracy >= 0.95) as for smnist.
    """

    name: ClassVar[str] = "psmnist"
    published: ClassVar[Reference] = bai2018(PIXEL_ACCURACY, "70k", lstm=0.857, gru=0.873, rnn=0.253)
    permuted: ClassVar[bool] = True

