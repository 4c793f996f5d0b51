"""Polyphonic music: the shared piano rolls, next-frame batches, and the frame-level NLL as Bai et al. compute it."""
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import tasks
import zoo
from tasks.batches import PAD_TARGET, NextStepBatches
from tasks.music import FILES, FrameNLL, FrameNLLLoss, load_pieces, memoryless_nll

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# the shared data's README: pieces and frames of train / valid / test
SIZES = {"jsb": ((229, 76, 77), (13_807, 4_602, 4_725)),
         "nottingham": ((694, 173, 170), (176_561, 45_513, 44_463)),
         "musedata": ((524, 135, 124), (245_202, 82_755, 64_339)),
         "piano_midi": ((87, 12, 25), (75_911, 8_540, 19_036))}


@pytest.fixture(scope="module")
def music_dir() -> str:
    if not (SHARED / "polyphonic" / "JSB_Chorales.mat").exists():
        pytest.skip(f"the shared piano rolls are not in {SHARED / 'polyphonic'}")
    return str(SHARED)


def nll_numpy(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Bai et al.'s per-frame NLL: (frames, 88) targets and probabilities -> (frames,)."""
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(-1)


def memoryless_model(p: np.ndarray) -> keras.Model:
    """Predicts the key probabilities `p` at every step, whatever it reads."""
    inputs = keras.Input((None, 88))
    head = keras.layers.Dense(88, activation="sigmoid", kernel_initializer="zeros",
                              bias_initializer=keras.initializers.Constant(np.log(p / (1 - p))))
    model = keras.Model(inputs, head(inputs))
    model.compile("adam", FrameNLLLoss(), metrics=[FrameNLL()])
    return model


def test_the_shared_piano_rolls_are_the_published_splits(music_dir):
    assert sorted(FILES) == ["jsb", "musedata", "nottingham", "piano_midi"]
    assert set(FILES) <= set(tasks.list_tasks())
    for name, (pieces, frames) in SIZES.items():
        raw = load_pieces(name, music_dir)
        assert tuple(len(raw[s]) for s in ("train", "val", "test")) == pieces
        assert tuple(sum(len(p) for p in raw[s]) for s in ("train", "val", "test")) == frames
        assert all(p.shape[1] == 88 and p.dtype == np.uint8 and p.max() <= 1 for p in raw["test"])
    task = tasks.create_task("jsb", data_dir=music_dir)
    assert task.spec == zoo.Spec(zoo.InputSpec(length=None, features=88), zoo.OutputSpec("step_multilabel", 88))
    assert task.causal and not tasks.create_task("smnist").causal
    assert task.data(0).test.steps == 4_725 - 77  # every frame but each piece's first is predicted


def test_next_step_batches_shift_pad_and_cover_every_frame():
    rng = np.random.default_rng(0)
    pieces = [rng.integers(0, 2, size=(n, 5)).astype(np.uint8) for n in (3, 9, 17, 4, 40, 6, 10)]
    batches = NextStepBatches(pieces, batch_size=3, seed=1)
    seen = []
    for i in range(len(batches)):
        x, y = batches[i]
        assert x.dtype == y.dtype == np.float32 and x.shape == y.shape and x.shape[1] in (2, 3, 5, 8, 10, 16, 40)
        for xr, yr in zip(x, y):
            real = yr[:, 0] != PAD_TARGET
            n = int(real.sum())
            assert real[:n].all() and (yr[n:] == PAD_TARGET).all() and (xr[n:] == 0).all()  # right padding
            piece = next(p for p in pieces if len(p) == n + 1)
            np.testing.assert_array_equal(xr[:n], piece[:-1])
            np.testing.assert_array_equal(yr[:n], piece[1:])
            seen.append(n + 1)
    assert sorted(seen) == sorted(len(p) for p in pieces) and batches.steps == sum(len(p) - 1 for p in pieces)
    again = batches.fresh()
    np.testing.assert_array_equal(again[0][0], batches.fresh()[0][0])  # the same order from the same seed


def test_padded_lengths_take_four_values_an_octave():
    lengths = np.arange(1, 70)
    padded = NextStepBatches([np.zeros((2, 1))], 1)._padded_length(lengths)
    assert (padded >= lengths).all() and (padded <= np.maximum(lengths * 1.25, lengths + 1)).all()
    assert sorted(set(padded[lengths >= 16])) == [16, 20, 24, 28, 32, 40, 48, 56, 64, 80]


def test_evaluate_is_the_frame_average_of_the_memoryless_baseline_at_any_batch_size(music_dir):
    task = tasks.create_task("jsb", data_dir=music_dir)
    raw = load_pieces("jsb", music_dir)
    frames = np.concatenate([p[1:] for p in raw["train"]])
    p = (frames.sum(0) + 0.5) / (len(frames) + 1)
    target = np.concatenate([q[1:] for q in raw["test"]])
    expected = nll_numpy(target, np.broadcast_to(p, target.shape)).mean()  # over frames, not pieces
    assert task.baseline == pytest.approx(expected, rel=1e-9) == memoryless_nll(raw["train"], raw["test"])
    per_piece = np.mean([nll_numpy(q[1:], np.broadcast_to(p, q[1:].shape)).mean() for q in raw["test"]])
    assert abs(per_piece - expected) > 0.01  # a mean over pieces would be another number
    model = memoryless_model(p)
    for batch_size in (1, 8, 77):
        scores = model.evaluate(task.data(0, batch_size=batch_size).test, verbose=0, return_dict=True)
        assert scores["nll"] == pytest.approx(expected, rel=1e-5), batch_size


def test_padding_changes_no_score(music_dir):
    pieces = [p for p in load_pieces("jsb", music_dir)["val"]][:6]
    keras.utils.set_random_seed(0)
    model = zoo.create_model("gru", tasks.create_task("jsb").spec, units=8, num_layers=2)
    model.compile("adam", FrameNLLLoss(), metrics=[FrameNLL()])
    # each piece alone, unpadded, scored in NumPy
    nll = np.concatenate([nll_numpy(p[1:], model.predict_on_batch(p[None, :-1].astype(np.float32))[0])
                          for p in pieces])
    batched = NextStepBatches(pieces, batch_size=6)  # one batch: every piece but the longest padded
    x, y = batched[0]
    assert (y == PAD_TARGET).any()
    assert model.evaluate(batched, verbose=0, return_dict=True)["nll"] == pytest.approx(nll.mean(), rel=1e-5)
    loss = float(FrameNLLLoss()(y, model.predict_on_batch(x)))  # the training loss: this batch's frame mean
    assert loss == pytest.approx(nll.mean(), rel=1e-5)


def test_limit_and_a_training_step(music_dir):
    task = tasks.create_task("nottingham", data_dir=music_dir, limit=5)
    splits = task.data(0, batch_size=5)
    assert splits.sizes == {"train": 5, "val": 173, "test": 170}
    assert task.baseline == pytest.approx(memoryless_nll(load_pieces("nottingham", music_dir)["train"][:5],
                                                         load_pieces("nottingham", music_dir)["test"]))
    assert task.solved.describe() == "nll <= 3.29"
    muse = tasks.create_task("musedata", data_dir=music_dir)
    assert muse.solved.describe() == f"nll <= {round(muse.baseline, 4):g}"  # no published figure: the baseline
    model = zoo.create_model("mingru", task.spec, units=4)
    model.compile("adam", task.loss(), metrics=task.metrics())
    logs = model.train_on_batch(*splits.train[0], return_dict=True)
    assert np.isfinite(logs["loss"]) and logs["nll"] > 0


def test_every_tasks_reference_is_a_reference():
    """A task's reference is what a record stores and the report prints: a Reference or None, for every task
    (a property where it depends on the task's parameters, as MNIST's does)."""
    from tasks.reference import Reference
    for name in tasks.list_tasks():
        reference = tasks.create_task(name).reference
        assert reference is None or isinstance(reference, Reference), name
    assert tasks.create_task("jsb").reference.scores == {"lstm": 8.45, "gru": 8.43, "rnn": 8.91}


@pytest.mark.slow  # a CLI run (about 15 s)
def test_a_music_trial_is_written_read_back_and_shown_beside_bai(music_dir, tmp_path):
    from zoo.bench.execution import store
    proc = subprocess.run([sys.executable, "-m", "zoo", "run", "--preset", "smoke", "--models", "gru", "--tasks", "jsb",
                           "--set", "jsb.limit=4", "--seeds", "1", "--out", str(tmp_path)],
                          env={**os.environ, "RNN_ZOO_DATA": music_dir}, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (record,) = store.load_cells(tmp_path)
    assert record.status == "completed" and record.reference.scores["lstm"] == 8.45
    assert "Published: Bai et al. 2018, Table 1" in (tmp_path / "results.md").read_text()
