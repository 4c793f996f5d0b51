"""Next-step tasks get causal models only: no prediction at step t reads a later step."""
import keras
import numpy as np
import pytest

import tasks
import zoo
from tasks.base import Recipe
from zoo.bench.cli import main as cli_main
from zoo.bench.design.matrix import MatrixSpec, build_trials, expand_models
from zoo.bench.execution.train import compile_for

NEXT_STEP = zoo.Spec(zoo.InputSpec(length=None, features=3), zoo.OutputSpec("step_multilabel", 3))
TINY_ADDING = dict(T=6, n_train=8, n_val=8, n_test=8)


@pytest.mark.parametrize("model_name", zoo.list_models())  # every one: a second or less each
def test_no_causal_model_reads_a_later_step_and_the_others_do(model_name):
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, NEXT_STEP, units=4)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 12, 3)).astype("float32")
    later = x.copy()
    t = 5
    later[:, t + 1:] = rng.normal(size=later[:, t + 1:].shape)  # frames after t change
    before, after = model.predict_on_batch(x), model.predict_on_batch(later)
    unchanged = np.allclose(before[:, : t + 1], after[:, : t + 1], rtol=0, atol=1e-6)
    assert unchanged == zoo.check_model(model_name, NEXT_STEP).causal
    assert not np.allclose(before[:, t + 1:], after[:, t + 1:])  # the change reaches the steps after it


def test_causality_is_the_config_s(monkeypatch):
    assert not zoo.check_model("lstm", NEXT_STEP, bidirectional=True).causal
    assert zoo.check_model("attention_bilstm", NEXT_STEP, bidirectional=False).causal  # pooling: sequence heads only
    assert [m for m in zoo.list_models() if not zoo.check_model(m, NEXT_STEP).causal] == [
        "attention_bilstm", "bigru", "bilstm", "birnn"]


def test_a_matrix_skips_future_readers_with_the_reason_and_keeps_them_elsewhere():
    lines = []
    spec = MatrixSpec(expand_models("*"), {"jsb": {}, "adding": TINY_ADDING}, [0], {"units": 4})
    cells = build_trials(spec, say=lines.append)
    on = {task: {c.model for c in cells if c.task == task} for task in ("jsb", "adding")}
    assert on["adding"] == set(zoo.list_models())
    assert on["jsb"] == set(zoo.list_models()) - {"attention_bilstm", "bigru", "bilstm", "birnn"}
    assert lines == ["jsb: skipping attention_bilstm, bigru, bilstm, birnn: bidirectional, so the output at step t "
                     "reads later steps, and jsb is next-step prediction"]
    hparams = MatrixSpec(["lstm", "gru"], {"jsb": {}}, [0], {"bidirectional": True})
    with pytest.raises(ValueError, match=r"jsb: none of the models can run on it \(lstm, gru: bidirectional"):
        build_trials(hparams, say=lines.append)


def test_a_future_reader_named_explicitly_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli_main(["run", "--models", "lstm,bi*,bigru", "--tasks", "jsb,adding", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.strip() == ("rnn-zoo: error: jsb: model 'bigru' is bidirectional, so the output at step t reads later "
                           "steps, and jsb is next-step prediction; choose a unidirectional model")


def test_training_refuses_a_future_reader_whatever_built_the_cell():
    with pytest.raises(ValueError, match="model 'bilstm' may not train on nottingham: it is bidirectional"):
        compile_for(tasks.create_task("nottingham"), "bilstm", {"units": 4}, Recipe())
    assert compile_for(tasks.create_task("copy", T=3), "bilstm", {"units": 4}, Recipe()).count_params() > 0
