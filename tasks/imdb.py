"""IMDB sentiment (Large Movie Review Dataset, Maas et al. 2011): 25,000 train / 25,000 test reviews."""
from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import tarfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np

from tasks.base import Criterion, DataUnavailableError, Recipe, Splits, Task, reading
from tasks.batches import Batches
from tasks.registry import register_task
from tasks.text import Corpus, vocabulary_words
from zoo.spec import InputSpec, OutputSpec, Spec

ENV_VAR = "RNN_ZOO_DATA"


@dataclass(frozen=True)
class Reviews:
    texts: np.ndarray  # (n,) str
    labels: np.ndarray  # (n,) int, 1 = positive
    ids: np.ndarray  # (n,) str: where each review came from, e.g. "train/pos/123_9"
    docs: np.ndarray  # (n,) int: each review's document number in its corpus

    def take(self, index: np.ndarray) -> "Reviews":
        return Reviews(self.texts[index], self.labels[index], self.ids[index], self.docs[index])

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Labelled:
    """The labelled reviews of one source, and their words tokenized once."""

    train: Reviews
    test: Reviews
    corpus: Corpus

    def __getitem__(self, split: str) -> Reviews:
        return {"train": self.train, "test": self.test}[split]

    @classmethod
    def of(cls, splits: dict[str, list[tuple[str, str, int]]]) -> "Labelled":
        """From (id, text, label) items per split; sorted by id, so the order never depends on reading order."""
        reviews, offset = {}, 0
        for split in ("train", "test"):
            items = sorted(splits[split])
            reviews[split] = Reviews(np.array([t for _, t, _ in items], dtype=object),
                                     np.array([y for _, _, y in items], dtype=np.int32),
                                     np.array([i for i, _, _ in items], dtype=object),
                                     np.arange(offset, offset + len(items)))
            offset += len(items)
        corpus = Corpus.of(list(reviews["train"].texts) + list(reviews["test"].texts))
        return cls(reviews["train"], reviews["test"], corpus)


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


_FILE = re.compile(r"(?:^|/)(train|test)/(pos|neg)/([^/]+)\.txt$")


@functools.lru_cache(maxsize=2)
def read_aclimdb(source: Path) -> Labelled:
    """Read the labelled reviews from an aclImdb folder or tarball: {"train": ..., "test": ...}."""
    found: dict[str, list] = {"train": [], "test": []}

    def add(name: str, read) -> None:
        match = _FILE.search(name)
        if match:
            split, label, stem = match.groups()
            found[split].append((f"{split}/{label}/{stem}", read().decode("utf-8"), int(label == "pos")))

    if source.is_file():
        with reading(source, "IMDB archive"), tarfile.open(source, "r:gz") as archive:
            for member in archive:
                if member.isfile():
                    add(member.name, archive.extractfile(member).read)
    else:
        for path in source.glob("*/*/*.txt"):
            with reading(path, "IMDB review"):
                add(path.relative_to(source).as_posix(), path.read_bytes)
    if not found["train"] or not found["test"]:
        raise DataUnavailableError(f"{source} holds no aclImdb train/{{pos,neg}} and test/{{pos,neg}} reviews")
    return Labelled.of(found)


@functools.lru_cache(maxsize=1)
def read_tfds() -> Labelled:
    """The same corpus through TFDS `imdb_reviews`: downloaded and prepared once, then read from its cache."""
    try:
        import tensorflow_datasets as tfds
        from tensorflow_datasets.datasets.imdb_reviews import imdb_reviews_dataset_builder as source
    except ImportError:
        raise DataUnavailableError(
            "TensorFlow Datasets is not installed (pip install tensorflow tensorflow-datasets); " + HOW_TO) from None
    builder = tfds.builder("imdb_reviews")
    if not builder.is_prepared():
        _check_reachable(source._DOWNLOAD_URL)
        data_dir = Path(str(builder.data_dir))  # ROOT/imdb_reviews/plain_text/VERSION
        made = [_first_missing(p) for p in (data_dir, data_dir.parents[2] / "downloads") if not p.exists()]
        try:
            builder.download_and_prepare()
        except Exception as err:  # TFDS raises many kinds (network, checksum, disk)
            for path in made:  # leave no half-made dataset folders behind
                shutil.rmtree(path, ignore_errors=True)
            raise DataUnavailableError(f"TFDS imdb_reviews could not be prepared ({type(err).__name__}: "
                                       f"{' '.join(str(err).split())}); " + HOW_TO) from None
    found: dict[str, list] = {}
    for split in ("train", "test"):
        texts, labels = tfds.as_numpy(builder.as_dataset(split=split, as_supervised=True, batch_size=-1))
        found[split] = [(f"{split}/{i:05d}", t.decode("utf-8"), int(y)) for i, (t, y) in enumerate(zip(texts, labels))]
    return Labelled.of(found)


def _first_missing(path: Path) -> Path:
    """The outermost folder of `path` that does not exist yet (what preparing it would create)."""
    while not path.parent.exists():
        path = path.parent
    return path


HOW_TO = (f"set {ENV_VAR}=PATH (or imdb.data_dir=PATH) to a folder holding aclImdb/ or aclImdb_v1.tar.gz, "
          f"or let TFDS download imdb_reviews once")


def _check_reachable(url: str, timeout: float = 10.0) -> None:
    """Fail in seconds when offline: a TFDS download retries for minutes before it gives up."""
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout).close()
    except OSError as err:
        raise DataUnavailableError(f"IMDB reviews: no local copy is configured and {parts.hostname} cannot be "
                                   f"reached to download them ({err}); " + HOW_TO) from None


def load_reviews(data_dir: str | None = None) -> Labelled:
    """Reviews from `data_dir`, else $RNN_ZOO_DATA, else TFDS. A path that holds no reviews is an error
    at once: TFDS is only for when no path was configured."""
    for name, path in ((f"imdb.data_dir={data_dir}", data_dir), (f"${ENV_VAR}={os.environ.get(ENV_VAR)}",
                                                                os.environ.get(ENV_VAR))):
        if path:
            source = find_local_source(path)
            if source is None:
                raise DataUnavailableError(f"{name} holds no aclImdb/ folder or aclImdb*.tar.gz")
            return read_aclimdb(source)
    return read_tfds()


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
        train, test = raw.train, raw.test
        if self.limit is not None:
            train = train.take(rng.permutation(len(train))[: self.limit])
            test = test.take(rng.permutation(len(test))[: self.limit])
        order = rng.permutation(len(train))
        n_val = max(1, int(round(self.val_fraction * len(train))))
        return {"train": train.take(order[n_val:]), "val": train.take(order[:n_val]), "test": test}

    def vocabulary(self, seed: int) -> list[str]:
        """The words behind the token ids (index = id), from the training split of `seed` alone."""
        corpus = load_reviews(self.data_dir).corpus
        return vocabulary_words(corpus, corpus.vocabulary(self.reviews(seed)["train"].docs, self.vocab_size))

    def data(self, seed: int, batch_size: int | None = None) -> Splits:
        batch_size = batch_size or self.recipe.batch_size
        corpus = load_reviews(self.data_dir).corpus
        splits = self.reviews(seed)
        mapping = corpus.vocabulary(splits["train"].docs, self.vocab_size)  # fitted on the training split only

        def batches(name: str, shuffle: bool) -> Batches:
            reviews = splits[name]
            tokens, lengths = corpus.encode(reviews.docs, mapping, self.max_len)  # (n, max_len), (n,)
            labels = reviews.labels.astype("float32")[:, None]  # (n, 1)
            bucket = dict(lengths=lengths, bucket_width=max(1, self.max_len // 8)) if self.bucket else {}
            return Batches(tokens, labels, batch_size, seed=seed if shuffle else None, **bucket)

        return Splits(train=batches("train", True), val=batches("val", False), test=batches("test", False))
