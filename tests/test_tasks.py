"""Tasks: exact data layouts, baselines, determinism, the IMDB pipeline, every task x every model."""
import math
import os
import re
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import tasks
import zoo
from conftest import quick
from tasks.adding import generate_adding
from tasks.copy_memory import RecallAccuracy, generate_copy
from tasks.imdb import load_reviews
from tasks.text import Corpus, standardize, vocabulary_words


def test_registry_lists_and_rejects():
    assert tasks.list_tasks() == ["adding", "associative_recall", "bucket_sort", "copy", "cycle_navigation",
                                  "duplicate_string", "even_pairs", "imdb", "jsb", "modular_arithmetic",
                                  "modular_arithmetic_brackets", "musedata", "nottingham", "parity_check", "piano_midi",
                                  "psmnist", "reverse_string", "selective_copy", "smnist", "solve_equation",
                                  "stack_manipulation"]
    with pytest.raises(ValueError, match="unknown task 'addition'; known tasks: adding, associative_recall, "):
        tasks.create_task("addition")
    with pytest.raises(ValueError, match="unknown parameter 'length' for task 'adding'; valid: T, n_train"):
        tasks.create_task("adding", length=5)
    with pytest.raises(ValueError, match="adding.T must be an integer >= 1, got 0"):
        tasks.create_task("adding", T=0)
    with pytest.raises(ValueError, match=r"copy.T='abc' is not a valid int"):
        tasks.create_task("copy", T="abc")
    with pytest.raises(ValueError, match="imdb.val_fraction must be in"):
        tasks.create_task("imdb", val_fraction=1.5)
    assert tasks.create_task("copy", T="30").T == 30  # command-line strings are converted


def test_adding_markers_and_targets():
    x, y = generate_adding(500, 21, np.random.default_rng(0))
    assert x.shape == (500, 21, 2) and y.shape == (500, 1) and x.dtype == np.float32
    markers = x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(1), 2)
    np.testing.assert_array_equal(markers[:, :10].sum(1), 1)  # one in the first half [0, T//2)
    np.testing.assert_array_equal(markers[:, 10:].sum(1), 1)  # one in the second half
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(1), rtol=1e-6)
    assert 0 <= x[..., 0].min() and x[..., 0].max() < 1


def test_adding_baseline_is_predicting_one():
    task = tasks.create_task("adding")
    assert task.baseline == pytest.approx(1 / 6)
    _, y = generate_adding(200_000, 10, np.random.default_rng(1))
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=2e-3)  # no constant does better
    assert np.var(y) == pytest.approx(1 / 6, abs=2e-3)


def test_copy_layout():
    T = 7
    x, y = generate_copy(50, T, np.random.default_rng(0))
    assert x.shape == y.shape == (50, T + 20)
    data = x[:, :10]
    assert data.min() >= 1 and data.max() <= 8
    np.testing.assert_array_equal(x[:, 10:10 + T - 1], 0)  # T - 1 blanks
    np.testing.assert_array_equal(x[:, 10 + T - 1], 9)  # the delimiter
    np.testing.assert_array_equal(x[:, -10:], 0)
    np.testing.assert_array_equal(y[:, :T + 10], 0)
    np.testing.assert_array_equal(y[:, -10:], data)


@pytest.mark.parametrize("T", quick([5, 100], [5]))
def test_copy_memoryless_predictor_scores_the_baseline(T):
    task = tasks.create_task("copy", T=T)
    _, y = generate_copy(64, T, np.random.default_rng(2))
    pred = np.zeros(y.shape + (10,), dtype=np.float32)
    pred[:, :T + 10, 0] = 1.0  # blank, certainly
    pred[:, T + 10:, 1:9] = 1.0 / 8  # then uniform over the 8 data symbols
    loss = float(task.loss()(y, pred))
    assert loss == pytest.approx(10 * math.log(8) / (T + 20), rel=1e-5)  # float32 on every backend
    assert task.baseline == pytest.approx(10 * math.log(8) / (T + 20), abs=1e-12)
    metric = RecallAccuracy()
    metric.update_state(y, pred)
    # a uniform guess's argmax is the first of the tied symbols, 1: right exactly where the symbol is 1
    assert float(metric.result()) == pytest.approx(np.mean(y[:, -10:] == 1), abs=1e-7)
    perfect = RecallAccuracy()
    perfect.update_state(y, keras.ops.one_hot(y, 10))
    assert float(perfect.result()) == 1.0


@pytest.mark.parametrize("name", ["adding", "copy"])
def test_synthetic_determinism_and_independent_streams(name):
    task = tasks.create_task(name, T=12, n_train=64, n_val=64, n_test=64)
    a, b, c = task.arrays(0), task.arrays(0), task.arrays(1)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(a[split][0], b[split][0])
        assert not np.array_equal(a[split][0], c[split][0])
    assert not np.array_equal(a["train"][0], a["val"][0])
    assert not np.array_equal(a["val"][0], a["test"][0])


def epoch(batches) -> np.ndarray:
    """The targets of one pass over `batches`, then the end-of-epoch reshuffle Keras triggers."""
    ys = np.concatenate([batches[i][1][:, 0] for i in range(len(batches))])
    batches.on_epoch_end()
    return ys


def test_batches_cover_the_data_and_shuffle_reproducibly():
    task = tasks.create_task("adding", T=8, n_train=100, n_val=30, n_test=30)
    first = task.data(3, batch_size=32)
    assert first.sizes == {"train": 100, "val": 30, "test": 30}
    assert [first.train[i][0].shape[0] for i in range(len(first.train))] == [32, 32, 32, 4]
    epoch1 = epoch(first.train)
    np.testing.assert_array_equal(np.sort(epoch1), np.sort(task.arrays(3)["train"][1][:, 0]))  # each example once
    assert not np.array_equal(epoch1, epoch(first.train))  # every epoch reshuffles
    np.testing.assert_array_equal(epoch1, epoch(task.data(3, batch_size=32).train))  # same seed, same order
    np.testing.assert_array_equal(epoch1, epoch(first.fresh().train))  # fresh() restarts the shuffle
    assert not np.array_equal(epoch1, epoch(task.data(4, batch_size=32).train))
    np.testing.assert_array_equal(epoch(first.test), epoch(first.test))  # evaluation data keeps its order


def write_tiny_aclimdb(root):
    reviews = {
        "train/pos": ["A wonderful film.<br /><br />Loved it", "great acting, great story", "brilliant and moving"],
        "train/neg": ["Awful. Boring plot", "terrible, a waste of time", "bad bad bad"],
        "test/pos": ["great film", "wonderful story"],
        "test/neg": ["boring and awful", "a terrible waste"],
    }
    for folder, texts in reviews.items():
        (root / "aclImdb" / folder).mkdir(parents=True)
        for i, text in enumerate(texts):
            (root / "aclImdb" / folder / f"{i}_{8 if 'pos' in folder else 2}.txt").write_text(text)


def test_imdb_pipeline_on_a_tiny_aclimdb_folder(tmp_path):
    write_tiny_aclimdb(tmp_path)
    task = tasks.create_task("imdb", data_dir=str(tmp_path), vocab_size=50, max_len=6, val_fraction=0.34)
    reviews = task.reviews(seed=0)
    assert {k: len(v) for k, v in reviews.items()} == {"train": 4, "val": 2, "test": 4}
    assert not set(reviews["train"].ids) & set(reviews["val"].ids)
    vocab = task.vocabulary(seed=0)
    assert vocab[:2] == ["", "[UNK]"]
    train_words = {w for t in reviews["train"].texts for w in standardize(t).split()}
    assert set(vocab[2:]) == train_words  # the training split's words, and only those
    assert "br" not in vocab and "<br" not in vocab  # HTML line breaks are stripped
    splits = task.data(seed=0, batch_size=2)
    x, y = splits.test[0]
    assert x.shape == (2, 6) and x.dtype == np.int32 and y.shape == (2, 1)
    assert (x[:, -1] == 0).any()  # short reviews are right-padded with 0
    model = zoo.create_model("lstm", task.spec, units=4, embedding_dim=3)
    model.compile("adam", task.loss(), metrics=task.metrics())
    history = model.fit(splits.train, validation_data=splits.val, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pred = model.predict(splits.test, verbose=0)
    labels = np.concatenate([splits.test[i][1] for i in range(len(splits.test))])
    accuracy = model.evaluate(splits.test, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(np.mean((pred > 0.5) == labels))


def test_tokenizer_follows_text_vectorization_conventions():
    assert standardize("A wonderful film.<br /><br />Loved it!") == "a wonderful film  loved it"
    corpus = Corpus.of(["b a a", "c b a", "d", "z z z z"])
    mapping = corpus.vocabulary(np.array([0, 1, 2]), size=5)  # docs 0-2 only: z is never seen
    # 0 padding, 1 out of vocabulary, then by count (a 3, b 2), ties alphabetical (c before d), cut at size
    assert vocabulary_words(corpus, mapping) == ["", "[UNK]", "a", "b", "c"]
    tokens, lengths = corpus.encode(np.array([1, 2, 3]), mapping, max_len=3)
    np.testing.assert_array_equal(tokens, [[4, 3, 2], [1, 0, 0], [1, 1, 1]])  # d and z are OOV; cut at 3
    np.testing.assert_array_equal(lengths, [3, 1, 3])


TOKENS_SCRIPT = """
import sys, hashlib, numpy as np, tasks
task = tasks.create_task("imdb", data_dir=sys.argv[1], vocab_size=30, max_len=5)
split = task.data(seed=1, batch_size=3)
tokens = np.concatenate([split.train[i][0] for i in range(len(split.train))])
import keras
print(keras.backend.backend(), hashlib.sha256(tokens.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_imdb_token_ids_are_the_same_on_every_backend(tmp_path):
    write_tiny_aclimdb(tmp_path)
    digests = {}
    for backend in ("tensorflow", "jax", "torch"):
        env = {**os.environ, "KERAS_BACKEND": backend}
        out = subprocess.run([sys.executable, "-c", TOKENS_SCRIPT, str(tmp_path)], env=env, capture_output=True,
                             text=True, timeout=300, check=True).stdout.split()
        assert out[0] == backend
        digests[backend] = out[1]
    assert len(set(digests.values())) == 1, digests


def test_imdb_bucketing_batches_similar_lengths(tmp_path):
    write_tiny_aclimdb(tmp_path)
    task = tasks.create_task("imdb", data_dir=str(tmp_path), vocab_size=50, max_len=4, bucket=True)
    assert task.spec.input.length is None
    train = task.data(seed=0, batch_size=1).train
    expected = sorted(min(4, len(standardize(t).split())) for t in task.reviews(0)["train"].texts)
    assert sorted(train.lengths) == expected and len(set(expected)) > 1
    # one review a batch: each batch is exactly as wide as its review, not one padded width for all
    assert sorted(train[i][0].shape[1] for i in range(len(train))) == expected
    pairs = task.data(seed=0, batch_size=2).train
    widths = sorted(pairs[i][0].shape[1] for i in range(len(pairs)))
    assert widths == sorted(max(expected[i: i + 2]) for i in range(0, len(expected), 2))  # sorted by length, then batched


def test_imdb_missing_data_is_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(tasks.DataUnavailableError, match="holds no aclImdb/ folder or aclImdb"):
        load_reviews(str(tmp_path))
    monkeypatch.setenv("RNN_ZOO_DATA", str(tmp_path / "nonexistent"))
    start = time.perf_counter()
    with pytest.raises(tasks.DataUnavailableError, match=r"\$RNN_ZOO_DATA=.*nonexistent holds no aclImdb"):
        load_reviews()  # an explicit path with no reviews never falls back to a download
    assert time.perf_counter() - start < 5


def tiny_archive(tmp_path) -> bytes:
    import tarfile

    write_tiny_aclimdb(tmp_path / "src")
    with tarfile.open(tmp_path / "tiny.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "src" / "aclImdb", arcname="aclImdb")
    return (tmp_path / "tiny.tar.gz").read_bytes()


@pytest.mark.parametrize("damage,problem", [
    (lambda good: b"<html>404 not found</html>" * 40, "is unreadable (ReadError: "),
    (lambda good: good[: len(good) // 2], "is truncated, as an interrupted download leaves it"),
])
def test_a_damaged_imdb_archive_is_one_line_and_exit_2_before_anything_is_made(damage, problem, tmp_path, capsys):
    from zoo.bench.cli import main

    data = tmp_path / "data"
    data.mkdir()
    archive = data / "aclImdb_v1.tar.gz"
    archive.write_bytes(damage(tiny_archive(tmp_path)))
    with pytest.raises(tasks.DataUnavailableError, match=f"IMDB archive {archive} {re.escape(problem)}"):
        load_reviews(str(data))
    out = tmp_path / "run"
    assert main(["run", "--preset", "smoke", "--tasks", "imdb", "--models", "rnn", "--set", f"imdb.data_dir={data}",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"IMDB archive {archive} " in err and "Traceback" not in err
    assert not out.exists()


def test_an_unreachable_download_fails_fast_with_the_whole_message():
    from tasks.imdb import _check_reachable

    start = time.perf_counter()
    with pytest.raises(tasks.DataUnavailableError) as err:
        _check_reachable("http://127.0.0.1:9/aclImdb_v1.tar.gz", timeout=5)  # the discard port: nothing listens
    assert time.perf_counter() - start < 10
    message = str(err.value)
    assert "127.0.0.1 cannot be reached" in message and message.endswith("or let TFDS download imdb_reviews once")
    assert "\n" not in message


@pytest.mark.slow
def test_imdb_shared_copy_is_the_full_corpus(shared_imdb):
    raw = load_reviews(str(shared_imdb.parent))
    assert len(raw["train"]) == 25_000 and len(raw["test"]) == 25_000
    for split in (raw.train, raw.test):
        assert split.labels.sum() == 12_500  # balanced
    task = tasks.create_task("imdb", data_dir=str(shared_imdb.parent))
    reviews = task.reviews(seed=0)
    assert len(reviews["train"]) == 22_500 and len(reviews["val"]) == 2_500
    assert not set(reviews["train"].ids) & set(reviews["val"].ids)
    assert all(i.startswith("train/") for i in reviews["val"].ids)  # validation never comes from test
    assert not np.array_equal(reviews["val"].ids, task.reviews(seed=1)["val"].ids)


TINY = {"adding": dict(T=6, n_train=8, n_val=8, n_test=8), "copy": dict(T=3, n_train=8, n_val=8, n_test=8)}


# the quick check trains the other models in test_models, and adding in test_runner
@pytest.mark.parametrize("model_name,task_name", quick([(m, t) for m in zoo.list_models() for t in ["adding", "copy"]],
                                                       [("gru", "copy")]))
def test_every_task_trains_every_model_one_step(task_name, model_name):
    task = tasks.create_task(task_name, **TINY[task_name])
    embedding = {"embedding_dim": 3} if task.spec.input.is_tokens else {}  # a float input has none to size
    model = zoo.create_model(model_name, task.spec, units=4, **embedding)
    model.compile(keras.optimizers.Adam(1e-3), task.loss(), metrics=task.metrics())
    x, y = task.arrays(0)["train"]
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"]) and task.metric in logs
