"""Sequential and permuted MNIST on the shared copy of the published files."""
from pathlib import Path

import keras
import numpy as np
import pytest

import tasks
import zoo
from tasks.mnist import load_mnist, permutation

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # the shared data's README
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_dir() -> str:
    if not (SHARED / "mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"the shared MNIST copy is not in {SHARED / 'mnist'}")
    return str(SHARED)


def small(name: str, data_dir: str, **params):
    return tasks.create_task(name, data_dir=data_dir, n_val=300, limit=500, test_limit=200, **params)


def test_the_shared_copy_is_the_published_set(mnist_dir):
    raw = load_mnist(mnist_dir)
    assert raw["train_images"].shape == (60_000, 28, 28) and raw["test_images"].shape == (10_000, 28, 28)
    assert np.bincount(raw["train_labels"]).tolist() == TRAIN_COUNTS
    assert np.bincount(raw["test_labels"]).tolist() == TEST_COUNTS
    assert tasks.create_task("smnist", data_dir=mnist_dir).baseline == pytest.approx(0.1135)  # always "1"


def test_smnist_reads_pixels_in_order_with_validation_from_train_by_seed(mnist_dir):
    task = small("smnist", mnist_dir)
    assert task.spec == zoo.Spec(zoo.InputSpec(length=784, features=1), zoo.OutputSpec("classes", 10))
    a, b, other = task.arrays(0), task.arrays(0), task.arrays(1)
    assert {k: v[0].shape for k, v in a.items()} == {"train": (500, 784, 1), "val": (300, 784, 1),
                                                     "test": (200, 784, 1)}
    x, y = a["train"]
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0 and y.dtype == np.int32
    raw = load_mnist(mnist_dir)
    np.testing.assert_array_equal(a["test"][0][:, :, 0] * 255, raw["test_images"][:200].reshape(200, 784))
    for split in a:
        np.testing.assert_array_equal(a[split][0], b[split][0])
    assert not np.array_equal(a["val"][0], other["val"][0])  # another seed, another validation set
    np.testing.assert_array_equal(a["test"][0], other["test"][0])  # the same test images for every seed
    train_rows = {row.tobytes() for row in a["train"][0]}
    assert not any(row.tobytes() in train_rows for row in a["val"][0])
    every_train_image = {row.tobytes() for row in raw["train_images"].reshape(-1, 784)}
    assert all((row[:, 0] * 255).astype(np.uint8).tobytes() in every_train_image for row in a["val"][0])


def test_psmnist_is_one_fixed_permutation_of_smnist(mnist_dir):
    assert permutation()[:6].tolist() == [318, 2, 606, 446, 758, 13]  # np.random.default_rng(0).permutation(784)
    for seed in (0, 1):
        plain, permuted = small("smnist", mnist_dir).arrays(seed), small("psmnist", mnist_dir).arrays(seed)
        for split in plain:
            np.testing.assert_array_equal(permuted[split][0][:, :, 0], plain[split][0][:, permutation(), 0])
            np.testing.assert_array_equal(permuted[split][1], plain[split][1])


def test_rows_as_steps(mnist_dir):
    task = small("smnist", mnist_dir, pixels_per_step=28)
    assert task.spec.input == zoo.InputSpec(length=28, features=28)
    x, _ = task.arrays(0)["test"]
    np.testing.assert_array_equal(x * 255, load_mnist(mnist_dir)["test_images"][:200])
    with pytest.raises(ValueError, match="smnist.pixels_per_step must divide 784"):
        tasks.create_task("smnist", pixels_per_step=5)
    with pytest.raises(ValueError, match="psmnist.limit must be an integer >= 1"):
        tasks.create_task("psmnist", limit=0)


def test_an_lstm_trains_a_step_on_smnist(mnist_dir):
    task = small("psmnist", mnist_dir, pixels_per_step=16)
    splits = task.data(0, batch_size=32)
    model = zoo.create_model("lstm", task.spec, units=4)
    model.compile(keras.optimizers.RMSprop(1e-3), task.loss(), metrics=task.metrics())
    logs = model.train_on_batch(*splits.train[0], return_dict=True)
    assert np.isfinite(logs["loss"]) and 0 <= logs["accuracy"] <= 1


def test_bai_s_scores_ride_only_with_the_pixel_task_on_every_image():
    # Table 1 of Bai et al. 2018, as fractions (the task's metric); rows or a subset are not the task they scored
    assert tasks.create_task("smnist").reference.scores == {"lstm": 0.872, "gru": 0.962, "rnn": 0.215}
    assert tasks.create_task("psmnist").reference.scores == {"lstm": 0.857, "gru": 0.873, "rnn": 0.253}
    for params in (dict(pixels_per_step=28), dict(limit=20_000), dict(test_limit=100)):
        assert tasks.create_task("smnist", **params).reference is None
