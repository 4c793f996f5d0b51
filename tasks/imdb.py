"""IMDB sentiment (Large Movie Review Dataset, Maas et al. 2011): 25,000 train / 25,000 test reviews."""
from __future__ import annotations

import functools
import os
import re
import string
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from tasks.base import Criterion, DataUnavailableError, Recipe, Splits, Task, cached_splits
from tasks.registry import register_task
from zoo.spec import InputSpec, OutputSpec, Spec

ENV_VAR = "RNN_ZOO_DATA"


@dataclass(frozen=True)
class Reviews:
    texts: np.ndarray  # (n,) str
    labels: np.ndarray  # (n,) int, 1 = positive
    ids: np.ndarray  # (n,) str: where each review came from, e.g. "train/pos/123_9"

    def take(self, index: np.ndarray) -> "Reviews":
        return Reviews(self.texts[index], self.labels[index], self.ids[index])

    def __len__(self) -> int:
        return len(self.labels)


def find_local_source(path: str | os.PathLike) -> Path | None:
    """An `aclImdb/` folder or `aclImdb*.tar.gz` at or inside `path`, or None."""
    path = Path(path).expanduser()
    if path.is_file() and path.name.startswith("aclImdb") and path.name.endswith(".tar.gz"):
        return path
    if path.is_dir():
        if (path / "train").is_dir() and (path / "test").is_dir():
            return path
        if (path / "aclImdb" / "train").is_dir():
            return path / "aclImdb"
        archives = sorted(path.glob("aclImdb*.tar.gz"))
        if archives:
            return archives[0]
    return None


def _sorted_reviews(items: list[tuple[str, str, int]]) -> Reviews:
    items.sort()  # by id: the order is the same whatever order the files were read in
    return Reviews(np.array([t for _, t, _ in items], dtype=object),
                   np.array([y for _, _, y in items], dtype=np.int32),
                   np.array([i for i, _, _ in items], dtype=object))


_FILE = re.compile(r"(?:^|/)(train|test)/(pos|neg)/([^/]+)\.txt$")


@functools.lru_cache(maxsize=2)
def read_aclimdb(source: Path) -> dict[str, Reviews]:
    """Read the labelled reviews from an aclImdb folder or tarball: {"train": ..., "test": ...}."""
    found: dict[str, list] = {"train": [], "test": []}

    def add(name: str, read) -> None:
        match = _FILE.search(name)
        if match:
            split, label, stem = match.groups()
            found[split].append((f"{split}/{label}/{stem}", read().decode("utf-8"), int(label == "pos")))

    if source.is_file():
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                if member.isfile():
                    add(member.name, archive.extractfile(member).read)
    else:
        for path in source.glob("*/*/*.txt"):
            add(path.relative_to(source).as_posix(), path.read_bytes)
    if not found["train"] or not found["test"]:
        raise DataUnavailableError(f"{source} holds no aclImdb train/{{pos,neg}} and test/{{pos,neg}} reviews")
    return {split: _sorted_reviews(items) for split, items in found.items()}


def read_tfds() -> dict[str, Reviews]:
    """The same corpus through TFDS `imdb_reviews` (downloads and caches on first use)."""
    import tensorflow_datasets as tfds  # heavy import, only on this path

    out = {}
    for split in ("train", "test"):
        texts, labels = tfds.as_numpy(tfds.load("imdb_reviews", split=split, as_supervised=True, batch_size=-1))
        ids = np.array([f"{split}/{i}" for i in range(len(labels))], dtype=object)
        out[split] = Reviews(np.array([t.decode("utf-8") for t in texts], dtype=object), labels.astype(np.int32), ids)
    return out


def load_reviews(data_dir: str | None = None) -> dict[str, Reviews]:
    """Reviews from `data_dir`, else $RNN_ZOO_DATA, else TFDS; one clear error if none works."""
    if data_dir:
        source = find_local_source(data_dir)
        if source is None:
            raise DataUnavailableError(f"imdb.data_dir={data_dir} holds no aclImdb/ folder or aclImdb*.tar.gz")
        return read_aclimdb(source)
    env = os.environ.get(ENV_VAR)
    if env and (source := find_local_source(env)) is not None:
        return read_aclimdb(source)
    try:
        return read_tfds()
    except Exception as err:  # TFDS raises many kinds (network, checksum, missing files)
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        tried = f"${ENV_VAR}={env} has none, " if env else ""
        raise DataUnavailableError(
            f"IMDB reviews not found ({tried}TFDS imdb_reviews failed: {reason}); pass imdb.data_dir=PATH "
            f"or set {ENV_VAR}=PATH to a folder holding aclImdb/ or aclImdb_v1.tar.gz, or allow TFDS to download it"
        ) from None


def standardize(text: tf.Tensor) -> tf.Tensor:
    """Lower-case, drop the corpus's <br /> tags and punctuation."""
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    return tf.strings.regex_replace(text, f"[{re.escape(string.punctuation)}]", "")


@register_task
@dataclass(frozen=True)
class IMDB(Task):
    """Binary sentiment of real movie reviews (tokens, right-padded to max_len).

    Baseline: the labels are balanced (12,500 positive / 12,500 negative in test), so a constant
    prediction scores accuracy 0.5. Solved: test accuracy >= 0.85 (the Keras bidirectional-LSTM
    example reaches about 0.85-0.87).
    """

    data_dir: str | None = None
    vocab_size: int = 20_000
    max_len: int = 200
    val_fraction: float = 0.1
    bucket: bool = False  # batch reviews of similar length together (variable-length batches)
    limit: int | None = None  # use at most this many reviews of train and of test (quick runs)

    name: ClassVar[str] = "imdb"
    metric: ClassVar[str] = "accuracy"
    higher_is_better: ClassVar[bool] = True
    recipe: ClassVar[Recipe] = Recipe(learning_rate=1e-3, batch_size=64, epochs=5, clipnorm=1.0, patience=2)
    headline_params: ClassVar[tuple[str, ...]] = ("max_len",)

    def __post_init__(self) -> None:
        self.check_positive("max_len")
        self.check_positive("limit", allow_none=True)
        if not isinstance(self.vocab_size, int) or self.vocab_size < 3:
            raise ValueError(f"imdb.vocab_size must be an integer >= 3, got {self.vocab_size!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"imdb.val_fraction must be in (0, 1), got {self.val_fraction!r}")

    @property
    def spec(self) -> Spec:
        length = None if self.bucket else self.max_len
        return Spec(InputSpec(length=length, vocab_size=self.vocab_size, padded=True), OutputSpec("binary"))

    @property
    def baseline(self) -> float:
        return 0.5

    @property
    def solved(self) -> Criterion:
        return Criterion("accuracy", 0.85, higher_is_better=True)

    def loss(self):
        return "binary_crossentropy"

    def metrics(self) -> list:
        return [keras.metrics.BinaryAccuracy(name="accuracy")]

    def check_data(self) -> None:
        load_reviews(self.data_dir)

    def reviews(self, seed: int) -> dict[str, Reviews]:
        """train / val / test reviews; validation is carved from train with `seed`, never from test."""
        raw = load_reviews(self.data_dir)
        rng = np.random.default_rng(seed)
        train, test = raw["train"], raw["test"]
        if self.limit is not None:
            train = train.take(rng.permutation(len(train))[: self.limit])
            test = test.take(rng.permutation(len(test))[: self.limit])
        order = rng.permutation(len(train))
        n_val = max(1, int(round(self.val_fraction * len(train))))
        return {"train": train.take(order[n_val:]), "val": train.take(order[:n_val]), "test": test}

    def vectorizer(self, train_texts: np.ndarray) -> keras.layers.TextVectorization:
        """TextVectorization adapted on the training split only."""
        vec = keras.layers.TextVectorization(
            max_tokens=self.vocab_size,
            standardize=standardize,
            output_sequence_length=None if self.bucket else self.max_len,  # pads right, truncates the tail
            ragged=self.bucket,
        )
        vec.adapt(tf.data.Dataset.from_tensor_slices(train_texts.astype(str)).batch(1024))
        return vec

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        batch_size = batch_size or self.recipe.batch_size
        splits = self.reviews(seed)
        vec = self.vectorizer(splits["train"].texts)
        cached = {name: self._cached(vec, r) for name, r in splits.items()}
        sizes = {name: len(r) for name, r in splits.items()}
        return cached_splits(cached, sizes, seed, lambda ds: self._batched(ds, batch_size))

    def _cached(self, vec, reviews: Reviews) -> tf.data.Dataset:
        """(tokens, label) per review, vectorized once and cached."""
        texts = tf.data.Dataset.from_tensor_slices(reviews.texts.astype(str)).batch(1024)
        tokens = texts.map(vec, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
        if self.bucket:
            tokens = tokens.map(lambda t: t[: self.max_len])
        labels = tf.data.Dataset.from_tensor_slices(reviews.labels.astype("float32")[:, None])
        # unbatch() forgets the length; restoring it lets Keras count steps per epoch
        return tf.data.Dataset.zip((tokens, labels)).apply(tf.data.experimental.assert_cardinality(len(reviews))).cache()

    def _batched(self, ds: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
        if self.bucket:
            bounds = list(range(25, self.max_len, 25))
            ds = ds.bucket_by_sequence_length(
                lambda t, y: tf.shape(t)[0], bounds, [batch_size] * (len(bounds) + 1), drop_remainder=False
            )
        else:
            ds = ds.batch(batch_size)
        return ds.prefetch(tf.data.AUTOTUNE)
