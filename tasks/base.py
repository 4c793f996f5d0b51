"""What every task provides: parameters, the Spec, data per seed, loss, metrics, baseline, recipe."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

import numpy as np

from tasks.batches import Batches
from tasks.criterion import Criterion  # noqa: F401  (tasks.Criterion: a task's `solved`)
from tasks.reference import Reference
from zoo.spec import Spec


class DataUnavailableError(RuntimeError):
    """A task's data cannot be found or fetched; the message says which sources were tried."""


# What a damaged data file raises as it is read: a file that is not what its name says (tarfile.ReadError,
# zlib.error, gzip.BadGzipFile, an OSError), one cut short by an interrupted download (EOFError), or bytes
# that do not decode.
DAMAGED = (tarfile.TarError, zlib.error, EOFError, OSError, UnicodeDecodeError, ValueError)


@contextlib.contextmanager
def reading(path: str | os.PathLike, what: str = "data file"):
    """Turn a damaged file's error, raised while reading `path` in the block, into one DataUnavailableError
    line naming the file and what is wrong, instead of a traceback."""
    try:
        yield
    except DataUnavailableError:
        raise
    except DAMAGED as err:
        if isinstance(err, EOFError) or "unexpected end" in str(err):
            problem = f"truncated, as an interrupted download leaves it ({err})"
        else:
            problem = f"unreadable ({type(err).__name__}: {err})"
        raise DataUnavailableError(f"{what} {path} is {problem}; replace it with a complete copy") from None


@dataclass(frozen=True)
class Recipe:
    """How a task is trained by default: Adam-style optimizer, early stopping on validation."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 64
    epochs: int = 10
    clipnorm: float | None = 1.0
    patience: int = 3  # epochs without validation improvement before stopping


@dataclass
class Splits:
    """Train/validation/test batches; only train is shuffled, every epoch, from the data seed.

    A task tested at several lengths has `by_length`, a test set of each length, instead of `test`.
    """

    train: Batches
    val: Batches
    test: Batches | None
    by_length: dict[int, Batches] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[str, int]:
        tests = [self.test] if self.test is not None else self.by_length.values()
        return {"train": self.train.size, "val": self.val.size, "test": sum(b.size for b in tests)}

    def fresh(self) -> "Splits":
        """The same data with the training shuffle restarted from its seed.

        A shuffle advances its state with every epoch, so a model trained second on shared
        batches would see other epoch orders than the same model trained first.
        """
        return dataclasses.replace(self, train=self.train.fresh())


@dataclass(frozen=True)
class Task:
    """Base class. Subclasses are frozen dataclasses whose fields are the task's parameters."""

    name: ClassVar[str]
    metric: ClassVar[str]  # the headline metric, as named in model.evaluate(return_dict=True)
    higher_is_better: ClassVar[bool]
    recipe: ClassVar[Recipe] = Recipe()
    # next-step prediction: the target at step t is the input at t + 1, so a model that reads later
    # steps (bidirectional) sees the answer; the runner refuses those models (zoo.RecurrentConfig.causal)
    causal: ClassVar[bool] = False
    monitor: ClassVar[str | None] = None  # a lower-is-better metric early stopping watches instead of `metric`
    reference: ClassVar[Reference | None] = None  # a paper's scores on this task, shown beside a run's

    @property
    def train_lengths(self) -> tuple[int, int] | None:
        """The shortest and longest input trained on, for a task tested at other lengths too (Splits.by_length)."""
        return None

    @property
    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def spec(self) -> Spec:
        raise NotImplementedError

    @property
    def baseline(self) -> float:
        """Score of the best trivial predictor on `metric`."""
        raise NotImplementedError

    @property
    def solved(self) -> Criterion:
        raise NotImplementedError

    def loss(self):
        raise NotImplementedError

    def metrics(self) -> list:
        raise NotImplementedError

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        raise NotImplementedError

    def check_data(self) -> None:
        """Raise DataUnavailableError now, before any training, if the data cannot be had."""

    headline_params: ClassVar[tuple[str, ...]] = ()  # the parameters worth showing in a label

    def describe(self, also: Iterable[str] = ()) -> str:
        """A short label such as "adding(T=100)": the name, its headline parameters and those in `also`."""
        keys = list(self.headline_params) + [k for k in also if k not in self.headline_params]
        shown = ", ".join(f"{k}={self.params[k]}" for k in keys)
        return f"{self.name}({shown})" if shown else self.name

    def check_positive(self, *fields: str, allow_none: bool = False) -> None:
        """ValueError naming the task, field and value unless each field is an int >= 1."""
        for field in fields:
            value = getattr(self, field)
            if value is None and allow_none:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{self.name}.{field} must be an integer >= 1, got {value!r}")


def seed_streams(seed: int, n: int = 3) -> list[np.random.Generator]:
    """Independent generators (train, validation, test) from one seed."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def array_splits(arrays: dict[str, tuple[np.ndarray, np.ndarray]], batch_size: int, seed: int) -> Splits:
    """Splits from {"train": (x, y), "val": ..., "test": ...}."""
    return Splits(train=Batches(*arrays["train"], batch_size, seed=seed), val=Batches(*arrays["val"], batch_size),
                  test=Batches(*arrays["test"], batch_size))


@dataclass(frozen=True)
class SyntheticTask(Task):
    """A generated task: sequences of length parameter T, sizes of the three splits."""

    T: int = 100
    n_train: int = 10_000
    n_val: int = 1_000
    n_test: int = 1_000

    headline_params: ClassVar[tuple[str, ...]] = ("T",)

    def __post_init__(self) -> None:
        self.check_positive("T", "n_train", "n_val", "n_test")

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """n (x, y) examples drawn from rng."""
        raise NotImplementedError

    def arrays(self, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """train / val / test arrays, each from its own stream of the seed."""
        sizes = {"train": self.n_train, "val": self.n_val, "test": self.n_test}
        return {split: self.generate(n, rng) for (split, n), rng in zip(sizes.items(), seed_streams(seed))}

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        return array_splits(self.arrays(seed), batch_size or self.recipe.batch_size, seed)
