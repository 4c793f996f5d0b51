"""Tasks: exact data layouts, baselines, determinism, the IMDB pipeline, every task x every model."""
import math

import keras
import numpy as np
import pytest

import tasks
import zoo
from tasks.adding import generate_adding
from tasks.copy_memory import RecallAccuracy, generate_copy
from tasks.imdb import load_reviews


def test_registry_lists_and_rejects():
    assert tasks.list_tasks() == ["adding", "copy", "imdb"]
    with pytest.raises(ValueError, match="unknown task 'addition'; known tasks: adding, copy, imdb"):
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


@pytest.mark.parametrize("T", [5, 100])
def test_copy_memoryless_predictor_scores_the_baseline(T):
    task = tasks.create_task("copy", T=T)
    _, y = generate_copy(64, T, np.random.default_rng(2))
    pred = np.zeros(y.shape + (10,), dtype=np.float32)
    pred[:, :T + 10, 0] = 1.0  # blank, certainly
    pred[:, T + 10:, 1:9] = 1.0 / 8  # then uniform over the 8 data symbols
    loss = float(task.loss()(y, pred))
    assert abs(loss - 10 * math.log(8) / (T + 20)) < 1e-6
    assert task.baseline == pytest.approx(10 * math.log(8) / (T + 20), abs=1e-12)
    metric = RecallAccuracy()
    metric.update_state(y, pred)
    assert float(metric.result()) < 0.5  # argmax of a uniform guess is one symbol in 8 on average
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


def test_pipelines_are_batched_and_shuffle_reproducibly():
    task = tasks.create_task("adding", T=8, n_train=100, n_val=30, n_test=30)
    first = task.data(3, batch_size=32)
    assert first.sizes == {"train": 100, "val": 30, "test": 30}
    epoch = lambda ds: np.concatenate([y.numpy()[:, 0] for _, y in ds])  # noqa: E731
    epoch1 = epoch(first.train)
    assert [x.shape[0] for x, _ in first.train] == [32, 32, 32, 4]
    assert not np.array_equal(epoch1, epoch(first.train))  # every epoch reshuffles
    np.testing.assert_array_equal(epoch1, epoch(task.data(3, batch_size=32).train))  # same seed, same order
    assert not np.array_equal(epoch1, epoch(task.data(4, batch_size=32).train))


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
    vec = task.vectorizer(reviews["train"].texts)
    vocab = vec.get_vocabulary()
    assert "br" not in vocab and "<br" not in vocab  # HTML line breaks are stripped
    assert "great" in vocab or "bad" in vocab  # words of the training reviews
    assert not set(vocab) & {"film.", "Awful."}  # lower-cased, punctuation stripped
    splits = task.data(seed=0, batch_size=2)
    x, y = next(iter(splits.test))
    assert x.shape == (2, 6) and x.dtype == "int64" and y.shape == (2, 1)
    assert (x.numpy()[:, -1] == 0).any()  # short reviews are right-padded with 0
    model = zoo.create_model("lstm", task.spec, units=4, embedding_dim=3)
    model.compile("adam", task.loss(), metrics=task.metrics())
    history = model.fit(splits.train, validation_data=splits.val, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert 0.0 <= model.evaluate(splits.test, verbose=0, return_dict=True)["accuracy"] <= 1.0


def test_imdb_bucketing_gives_variable_length_batches(tmp_path):
    write_tiny_aclimdb(tmp_path)
    task = tasks.create_task("imdb", data_dir=str(tmp_path), vocab_size=50, max_len=4, bucket=True)
    assert task.spec.input.length is None
    lengths = {x.shape[1] for x, _ in task.data(seed=0, batch_size=2).train}
    assert max(lengths) <= 4


def test_imdb_missing_data_is_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(tasks.DataUnavailableError, match="holds no aclImdb/ folder or aclImdb"):
        load_reviews(str(tmp_path))


def test_imdb_shared_copy_is_the_full_corpus(shared_imdb):
    raw = load_reviews(str(shared_imdb.parent))
    assert len(raw["train"]) == 25_000 and len(raw["test"]) == 25_000
    for split in raw.values():
        assert split.labels.sum() == 12_500  # balanced
    task = tasks.create_task("imdb", data_dir=str(shared_imdb.parent))
    reviews = task.reviews(seed=0)
    assert len(reviews["train"]) == 22_500 and len(reviews["val"]) == 2_500
    assert not set(reviews["train"].ids) & set(reviews["val"].ids)
    assert all(i.startswith("train/") for i in reviews["val"].ids)  # validation never comes from test
    assert not np.array_equal(reviews["val"].ids, task.reviews(seed=1)["val"].ids)


TINY = {"adding": dict(T=6, n_train=8, n_val=8, n_test=8), "copy": dict(T=3, n_train=8, n_val=8, n_test=8)}


@pytest.mark.parametrize("task_name", ["adding", "copy"])
@pytest.mark.parametrize("model_name", zoo.list_models())
def test_every_task_trains_every_model_one_step(task_name, model_name):
    task = tasks.create_task(task_name, **TINY[task_name])
    model = zoo.create_model(model_name, task.spec, units=4, embedding_dim=3)
    model.compile(keras.optimizers.Adam(1e-3), task.loss(), metrics=task.metrics())
    x, y = task.arrays(0)["train"]
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"]) and task.metric in logs
