"""Every registered model x every kind of Spec: builds, trains a step, right shapes and sizes."""
import subprocess
import sys

import keras
import numpy as np
import pytest

import zoo
from conftest import quick, quick_grid
from zoo import InputSpec, OutputSpec, Spec
from zoo.bench.design import ordering
from zoo.bench.cli import main as cli_main

SPECS = {
    "float-binary": Spec(InputSpec(length=6, features=3), OutputSpec("binary")),
    "tokens-classes": Spec(InputSpec(length=6, vocab_size=11, padded=True), OutputSpec("classes", 4)),
    "tokens-steps": Spec(InputSpec(length=6, vocab_size=10), OutputSpec("step_classes", 5)),
    "varlen-regression": Spec(InputSpec(length=None, features=2), OutputSpec("regression")),
    "varlen-multilabel": Spec(InputSpec(length=None, features=3), OutputSpec("step_multilabel", 3)),
}
LOSSES = {"binary": "binary_crossentropy", "classes": "sparse_categorical_crossentropy",
          "step_classes": "sparse_categorical_crossentropy", "step_multilabel": "binary_crossentropy",
          "regression": "mse"}

# Closed forms of trainable recurrent parameters for input size d and hidden size h.
CELL_PARAMS = {
    "simple_rnn": lambda d, h: h * (d + h + 1),
    "lstm": lambda d, h: 4 * h * (d + h + 1),
    "gru": lambda d, h: 3 * h * (d + h + 2),  # reset_after: two bias vectors
    "peephole_lstm": lambda d, h: 4 * h * (d + h + 1) + 3 * h,
    "cifg_lstm": lambda d, h: 3 * h * (d + h + 1),
    "mingru": lambda d, h: 2 * h * (d + 1),  # z and h~ from x only: no recurrent matrix
    "minlstm": lambda d, h: 3 * h * (d + 1),
    "indrnn": lambda d, h: h * (d + 2),  # W, u, b
    # nu, theta, gamma; complex B (N x d) and C (H x N); D diagonal when d == H, else a matrix
    "lru": lambda d, h: 3 * h + 2 * d * h + 2 * h * h + (h if d == h else d * h),
}
# Closed forms of a residual block's position-wise part, from width d to h.
MIXER_PARAMS = {"mlp": lambda d, h: (d + 1) * 4 * h + (4 * h + 1) * h, "glu": lambda d, h: 2 * (d + 1) * h}
# model -> (cell family, directions, layers, residual mixer or None, pooling) at its defaults;
# a new model must be added here.
MODEL_SHAPES = {
    "rnn": ("simple_rnn", 1, 1, None, "last"), "birnn": ("simple_rnn", 2, 1, None, "last"),
    "deep_rnn": ("simple_rnn", 1, 2, None, "last"),
    "lstm": ("lstm", 1, 1, None, "last"), "bilstm": ("lstm", 2, 1, None, "last"),
    "deep_lstm": ("lstm", 1, 2, None, "last"), "attention_bilstm": ("lstm", 2, 1, None, "attention"),
    "gru": ("gru", 1, 1, None, "last"), "bigru": ("gru", 2, 1, None, "last"), "deep_gru": ("gru", 1, 2, None, "last"),
    "peephole_lstm": ("peephole_lstm", 1, 1, None, "last"), "cifg_lstm": ("cifg_lstm", 1, 1, None, "last"),
    "indrnn": ("indrnn", 1, 1, None, "last"), "mingru": ("mingru", 1, 1, None, "last"),
    "minlstm": ("minlstm", 1, 1, None, "last"), "lru": ("lru", 1, 1, "glu", "last"),
}


def make_batch(spec: Spec, batch: int = 4, length: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    inp, out = spec.input, spec.output
    t = inp.length or length
    if inp.is_tokens:
        x = rng.integers(1, inp.vocab_size, size=(batch, t)).astype("int32")
        if inp.padded:
            x[0, t // 2:] = 0  # right padding on one row
    else:
        x = rng.normal(size=(batch, t, inp.features)).astype("float32")
    if out.kind == "binary":
        y = rng.integers(0, 2, size=(batch, 1)).astype("float32")
    elif out.kind == "classes":
        y = rng.integers(0, out.num_classes, size=(batch,))
    elif out.kind == "step_classes":
        y = rng.integers(0, out.num_classes, size=(batch, t))
    elif out.kind == "step_multilabel":
        y = rng.integers(0, 2, size=(batch, t, out.num_classes)).astype("float32")
    else:
        y = rng.normal(size=(batch, 1)).astype("float32")
    return x, y


def test_every_registered_model_has_a_closed_form_and_wildcards_select():
    assert zoo.list_models() == sorted(MODEL_SHAPES)
    assert zoo.list_models("*lstm*") == ["attention_bilstm", "bilstm", "cifg_lstm", "deep_lstm", "lstm",
                                         "minlstm", "peephole_lstm"]
    assert zoo.list_models("*lstm*", exclude=["*bi*", "deep_*", "min*"]) == ["cifg_lstm", "lstm", "peephole_lstm"]
    assert zoo.list_models("gru") == ["gru"]


def test_model_order_comes_from_the_registry(monkeypatch):
    order = zoo.model_order()
    assert sorted(zoo.list_models(), key=ordering.model_key) == order == ordering.MODEL_ORDER
    assert order[:4] == ["rnn", "birnn", "deep_rnn", "lstm"] and order[-4:] == ["indrnn", "mingru", "minlstm", "lru"]
    # a model registered later joins the order with no list to edit; unknown names sort last
    monkeypatch.setitem(zoo.registry.MODELS._items, "zz_new", zoo.registry.MODELS.get("gru"))
    assert ordering.MODEL_ORDER[-1] == "zz_new"
    assert sorted(["unknown", "zz_new", "rnn"], key=ordering.model_key) == ["rnn", "zz_new", "unknown"]


@pytest.mark.parametrize("model_name", zoo.list_models())
def test_model_doc_is_the_builders_one_line_summary(model_name):
    doc = zoo.registry.MODELS.get(model_name).__doc__
    summary = zoo.model_doc(model_name)
    assert summary == doc.strip().splitlines()[0] and len(summary) > 20


def test_rnn_zoo_list_shows_every_model_with_its_summary(capsys):
    assert cli_main(["list", "models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in zoo.list_models():
        assert any(line.split() and line.split()[0] == name and line.rstrip().endswith(zoo.model_doc(name))
                   for line in lines), name


def embedding(spec) -> dict:
    """embedding_dim for a token input (a float input has no embedding to size)."""
    return {"embedding_dim": 4} if spec.input.is_tokens else {}


@pytest.mark.parametrize("model_name,spec_name", quick_grid(zoo.list_models(), sorted(SPECS)))
def test_builds_trains_one_step_and_shapes(model_name, spec_name):
    spec = SPECS[spec_name]
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, spec, units=5, **embedding(spec))
    model.compile(optimizer="adam", loss=LOSSES[spec.output.kind])
    x, y = make_batch(spec)
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights())), "a train step changed nothing"
    pred = model.predict(x, verbose=0)
    t = x.shape[1]
    expected = {"binary": (4, 1), "classes": (4, 4), "step_classes": (4, t, 5), "step_multilabel": (4, t, 3),
                "regression": (4, 1)}
    assert pred.shape == expected[spec.output.kind]
    if spec.output.kind in ("classes", "step_classes"):
        np.testing.assert_allclose(pred.sum(-1), 1.0, atol=1e-5)
    if spec.output.kind in ("binary", "step_multilabel"):
        assert ((pred > 0) & (pred < 1)).all()


def expected_params(model_name: str, spec: Spec, h: int, layers: int | None = None, directions: int | None = None,
                    embedding_dim: int = 4, mixer: str | None = "default", pooling: str | None = None) -> int:
    """Closed-form count; mixer: a residual block's "mlp"/"glu", None for a plain stack, "default" for the model's."""
    assert model_name in MODEL_SHAPES, f"add the closed form shape of new model {model_name!r} to MODEL_SHAPES"
    family, dirs, n, default_mixer, default_pooling = MODEL_SHAPES[model_name]
    dirs, n = directions or dirs, layers or n
    mixer = default_mixer if mixer == "default" else mixer
    pooling = pooling or default_pooling
    total, d = 0, spec.input.features
    if spec.input.is_tokens:
        total += spec.input.vocab_size * embedding_dim
        d = embedding_dim
    if mixer:  # encoder, then per block LayerNorm + RNN + mixer, then a final LayerNorm
        total += (d + 1) * h + n * (2 * h + dirs * CELL_PARAMS[family](h, h) + MIXER_PARAMS[mixer](dirs * h, h)) + 2 * h
        d = h
    else:
        for _ in range(n):
            total += dirs * CELL_PARAMS[family](d, h)
            d = dirs * h
    if pooling == "attention" and not spec.output.per_step:
        total += d * d + 2 * d  # W, b and the query of additive attention
    out_units = spec.output.num_classes if spec.output.kind in ("classes", "step_classes", "step_multilabel") else 1
    return total + (d + 1) * out_units


@pytest.mark.parametrize("model_name,spec_name", quick_grid(zoo.list_models(), ["float-binary", "tokens-steps",
                                                                              "varlen-multilabel"]))
def test_parameter_counts_match_closed_forms(model_name, spec_name):
    spec = SPECS[spec_name]
    model = zoo.create_model(model_name, spec, units=7, **embedding(spec))
    assert model.count_params() == expected_params(model_name, spec, 7)


@pytest.mark.parametrize("model_name", quick(["rnn", "lstm", "gru", "peephole_lstm", "cifg_lstm", "indrnn", "mingru",
                                              "minlstm", "lru"], ["gru", "mingru"]))  # a Keras and a ScanRNN layer
def test_parameter_counts_deep_and_bidirectional(model_name):
    spec = SPECS["float-binary"]
    model = zoo.create_model(model_name, spec, units=6, num_layers=3, bidirectional=True)
    assert model.count_params() == expected_params(model_name, spec, 6, layers=3, directions=2)


@pytest.mark.parametrize("model_name,hparams,expect", [
    ("mingru", dict(block="residual"), dict(mixer="mlp")),
    ("lstm", dict(block="residual", pooling="attention"), dict(mixer="mlp", pooling="attention")),
    ("lru", dict(block="none", num_layers=2), dict(mixer=None, layers=2)),
    ("minlstm", dict(pooling="attention", bidirectional=True), dict(pooling="attention", directions=2)),
    ("gru", dict(pooling="max"), {}),
])
def test_parameter_counts_with_blocks_and_pooling(model_name, hparams, expect):
    spec = SPECS["tokens-classes"]
    model = zoo.create_model(model_name, spec, units=6, embedding_dim=4, **hparams)
    assert model.count_params() == expected_params(model_name, spec, 6, **expect)


@pytest.mark.parametrize("model_name", ["lstm", "bilstm", "deep_lstm", "gru", "bigru", "deep_gru"])
def test_builtin_lstm_gru_keep_cudnn_conditions(model_name):
    model = zoo.create_model(model_name, SPECS["tokens-classes"], units=5, num_layers=2, dropout=0.2)
    recurrent = [layer for layer in sublayers(model) if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU))]
    assert recurrent
    for layer in recurrent:
        cfg = layer.get_config()
        assert cfg["activation"] == "tanh" and cfg["recurrent_activation"] == "sigmoid"
        assert cfg["recurrent_dropout"] == 0 and cfg["dropout"] == 0
        assert not cfg["unroll"] and cfg["use_bias"] and layer.use_cudnn == "auto"
        if isinstance(layer, keras.layers.GRU):
            assert cfg["reset_after"]


def sublayers(model):
    """Every layer of the model, looking inside Bidirectional, RNN and ScanRNN wrappers."""
    for layer in model.layers:
        inner = [layer.forward_layer, layer.backward_layer] if isinstance(layer, keras.layers.Bidirectional) else [layer]
        for x in inner:
            yield x
            if isinstance(x, (keras.layers.RNN, zoo.ScanRNN)):
                yield x.cell


def _bias(model, cls):
    return [w.numpy() for layer in sublayers(model) if isinstance(layer, cls) for w in layer.weights
            if w.path.endswith("bias")]


@pytest.mark.parametrize("model_name,cell,forget", [("lstm", keras.layers.LSTMCell, slice(8, 16)),
                                                    ("peephole_lstm", zoo.PeepholeLSTMCell, slice(8, 16)),
                                                    ("cifg_lstm", zoo.CIFGLSTMCell, slice(0, 8)),
                                                    ("minlstm", zoo.MinLSTMCell, slice(0, 8))])
def test_lstm_forget_bias_is_one_by_default(model_name, cell, forget):
    model = zoo.create_model(model_name, SPECS["float-binary"], units=8)
    (bias,) = _bias(model, cell)
    np.testing.assert_array_equal(bias[forget], 1.0)
    rest = np.delete(bias, np.arange(bias.size)[forget])
    np.testing.assert_array_equal(rest, 0.0)


def test_chrono_initialisation_lstm_and_gru():
    spec = Spec(InputSpec(length=50, features=2), OutputSpec("regression"))
    keras.utils.set_random_seed(1)
    (b,) = _bias(zoo.create_model("lstm", spec, units=16, gate_init="chrono"), keras.layers.LSTMCell)
    i, f, c, o = np.split(b, 4)
    assert np.all(f >= 0) and np.all(f <= np.log(49) + 1e-6) and f.std() > 0.1
    np.testing.assert_allclose(i, -f)
    np.testing.assert_array_equal(np.concatenate([c, o]), 0.0)
    (gb,) = _bias(zoo.create_model("gru", spec, units=16, gate_init="chrono", chrono_tmax=10), keras.layers.GRUCell)
    assert gb.shape == (2, 48)
    z = gb[0, :16]
    assert np.all(z >= 0) and np.all(z <= np.log(9) + 1e-6) and z.std() > 0.05
    np.testing.assert_array_equal(gb[0, 16:], 0.0)
    np.testing.assert_array_equal(gb[1], 0.0)


def test_chrono_initialisation_mingru_and_minlstm():
    spec = Spec(InputSpec(length=50, features=2), OutputSpec("regression"))
    keras.utils.set_random_seed(1)
    (b,) = _bias(zoo.create_model("mingru", spec, units=16, gate_init="chrono"), zoo.MinGRUCell)
    z, candidate = np.split(b, 2)  # z weighs the candidate: its bias is -log(u), so 1 - z keeps the state
    assert np.all(z <= 0) and np.all(z >= -np.log(49) - 1e-6) and z.std() > 0.1
    np.testing.assert_array_equal(candidate, 0.0)
    (b,) = _bias(zoo.create_model("minlstm", spec, units=16, gate_init="chrono"), zoo.MinLSTMCell)
    f, i, candidate = np.split(b, 3)
    assert np.all(f >= 0) and np.all(f <= np.log(49) + 1e-6) and f.std() > 0.1
    np.testing.assert_allclose(i, -f)
    np.testing.assert_array_equal(candidate, 0.0)


def test_indrnn_bounds_its_recurrent_weights_by_the_length():
    spec = Spec(InputSpec(length=50, features=2), OutputSpec("regression"))
    (cell,) = [x for x in sublayers(zoo.create_model("indrnn", spec, units=4)) if isinstance(x, zoo.IndRNNCell)]
    assert cell.recurrent_max == pytest.approx(2 ** (1 / 50))
    cell.recurrent_kernel.assign(np.array([3.0, -3.0, 0.5, -0.5], "float32"))
    np.testing.assert_allclose(cell.recurrent_kernel.constraint(cell.recurrent_kernel), [2 ** 0.02, -2 ** 0.02, 0.5, -0.5],
                               rtol=1e-6)


def test_scan_rnn_points_stepping_options_to_keras_rnn():
    with pytest.raises(TypeError, match=r"ScanRNN scans whole sequences and has no stateful; to step through time "
                                        r"with the same cell use keras.layers.RNN\(MinGRUCell\(...\), stateful=True\)"):
        zoo.ScanRNN(zoo.MinGRUCell(4), stateful=True)
    assert zoo.ScanRNN(zoo.MinGRUCell(4), stateful=False).cell.units == 4


def test_output_spec_says_num_classes_is_missing():
    with pytest.raises(ValueError, match=r"kind 'classes' needs num_classes >= 2, e.g. OutputSpec\('classes', 10\); "
                                         "none was given"):
        zoo.OutputSpec("classes")
    with pytest.raises(ValueError, match="kind 'step_classes' needs num_classes >= 2, got 1"):
        zoo.OutputSpec("step_classes", 1)
    assert zoo.OutputSpec("binary") == zoo.OutputSpec("binary", 1)


@pytest.mark.parametrize("call,message", [
    (lambda s: zoo.create_model("lstmm", s), "unknown model 'lstmm'; known models: attention_bilstm, bigru, bilstm"),
    (lambda s: zoo.create_model("lstm", s, units=0), "units must be an integer >= 1, got 0"),
    (lambda s: zoo.create_model("gru", s, units=-3), "units must be an integer >= 1, got -3"),
    (lambda s: zoo.create_model("gru", s, num_layers=0), "num_layers must be an integer >= 1, got 0"),
    (lambda s: zoo.create_model("gru", s, unitz=4), "unknown hyperparameter 'unitz'; valid: units, num_layers"),
    (lambda s: zoo.create_model("lstm", s, dropout=1.5), "dropout must be in [0, 1), got 1.5"),
    (lambda s: zoo.create_model("lstm", s, gate_init="zeros"), "gate_init 'zeros' is not one of default, chrono"),
    (lambda s: zoo.create_model("rnn", s, gate_init="chrono"), "model 'rnn' does not support gate_init='chrono'"),
    (lambda s: zoo.create_model("indrnn", s, gate_init="chrono"), "model 'indrnn' does not support gate_init='chrono'"),
    (lambda s: zoo.create_model("lru", s, gate_init="chrono"), "model 'lru' does not support gate_init='chrono'"),
    (lambda s: zoo.create_model("peephole_lstm", s, use_cudnn=True), "model 'peephole_lstm' does not support use_cudnn"),
    (lambda s: zoo.create_model("mingru", s, use_cudnn=False), "model 'mingru' does not support use_cudnn"),
    (lambda s: zoo.create_model("gru", s, pooling="sum"), "pooling 'sum' is not one of last, max, mean, attention"),
    (lambda s: zoo.create_model("gru", s, block="dense"), "block 'dense' is not one of none, residual"),
    (lambda s: zoo.create_model("lstm", s, embedding_dim=8), "model 'lstm': embedding_dim does not apply to float "
     "inputs (3 features a step); it sizes the embedding of token inputs (InputSpec(vocab_size=...))"),
    (lambda s: zoo.create_model("gru", s, r_min=0.99), "unknown hyperparameter 'r_min'; valid: units"),
    (lambda s: zoo.create_model("lru", s, rmin=0.99), "valid: units, num_layers, bidirectional, dropout, embedding_dim, "
     "gate_init, chrono_tmax, use_cudnn, pooling, block, params, r_min, r_max, max_phase"),
    (lambda s: zoo.create_model("gru", s, params=0), "params must be an integer >= 1, got 0"),
    (lambda s: zoo.check_model("gru", s, params=5_000, units=8), "give params or units, not both"),
    (lambda s: zoo.check_model("lru", s, r_min=0.99, r_max=0.9), "LRU needs 0 <= r_min < r_max < 1, got r_min=0.99"),
    (lambda s: zoo.check_model("lru", s, max_phase="pi"), "LRU's max_phase must be a number, got 'pi'"),
])
def test_bad_input_gives_clear_errors(call, message):
    with pytest.raises(ValueError) as err:
        call(SPECS["float-binary"])
    assert message in str(err.value)


def test_lru_ring_options_reach_every_layer_and_its_initial_eigenvalues():
    model = zoo.create_model("lru", SPECS["float-binary"], num_layers=2, r_min=0.99, r_max=0.9999, max_phase=0.3)
    cells = [layer.cell for layer in model.layers if isinstance(layer, zoo.ScanRNN)]
    assert len(cells) == 2
    for cell in cells:
        re, im = (keras.ops.convert_to_numpy(x) for x in cell.eigenvalues())
        modulus, phase = np.hypot(re, im), np.arctan2(im, re)
        assert 0.99 <= modulus.min() and modulus.max() <= 0.9999
        assert 0 < phase.min() and phase.max() <= 0.3
    assert model.count_params() == zoo.create_model("lru", SPECS["float-binary"], num_layers=2).count_params()


def test_check_model_validates_without_building(monkeypatch):
    spec = SPECS["float-binary"]
    monkeypatch.setattr(keras, "Model", None)  # building anything would fail
    cfg = zoo.check_model("mingru", spec, units=3, gate_init="chrono")
    assert cfg.units == 3 and cfg.gate_init == "chrono" and cfg.causal  # what it would build
    assert not zoo.check_model("bigru", spec).causal
    with pytest.raises(ValueError, match="model 'indrnn' does not support gate_init='chrono'"):
        zoo.check_model("indrnn", spec, gate_init="chrono")
    with pytest.raises(ValueError, match="unknown model 'lstmm'"):
        zoo.check_model("lstmm", spec)


def test_run_refuses_an_option_a_model_lacks_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli_main(["run", "--models", "mingru,indrnn", "--tasks", "adding", "--seeds", "1",
                     "--set", "model.gate_init=chrono", "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "model 'indrnn' does not support gate_init='chrono'" in capsys.readouterr().err


def test_bad_specs_are_rejected():
    with pytest.raises(ValueError, match="exactly one of features"):
        InputSpec(length=5)
    with pytest.raises(ValueError, match="is not one of binary, classes"):
        OutputSpec("ranking")
    with pytest.raises(ValueError, match="num_classes >= 2"):
        OutputSpec("classes", 1)


@pytest.mark.parametrize("make,message", [
    (lambda: Spec(OutputSpec("binary"), InputSpec(length=3, features=2)), "Spec.input must be an InputSpec"),
    (lambda: Spec(InputSpec(length=3, features=2), "binary"), "Spec.output must be an OutputSpec"),
    (lambda: InputSpec(length="5", features=2), "InputSpec.length must be an int or None, got str '5'"),
    (lambda: InputSpec(length=True, features=2), "InputSpec.length must be an int or None, got bool"),
    (lambda: InputSpec(vocab_size=5.0), "InputSpec.vocab_size must be an int or None, got float"),
    (lambda: InputSpec(vocab_size=5, padded="yes"), "InputSpec.padded must be True or False"),
    (lambda: OutputSpec(2), "OutputSpec.kind must be a str, got int"),
    (lambda: OutputSpec("classes", 2.0), "OutputSpec.num_classes must be an int, got float"),
])
def test_spec_fields_are_type_checked_at_construction(make, message):
    with pytest.raises(TypeError) as err:
        make()
    assert message in str(err.value)


LOAD_SCRIPT = """
import sys, numpy as np, keras, zoo
data = np.load(sys.argv[1] + '/inputs.npz')
out = {}
for name in zoo.list_models():
    model = keras.saving.load_model(f'{sys.argv[1]}/{name}.keras')
    out[name] = model.predict(data[name], verbose=0)
np.savez(sys.argv[1] + '/loaded.npz', **out)
"""


@pytest.mark.slow
def test_keras_save_load_round_trip_in_fresh_process(tmp_path):
    spec = SPECS["tokens-classes"]  # padded tokens and a pooled head: masks, pooling and every layer kind
    inputs, preds = {}, {}
    for name in zoo.list_models():
        model = zoo.create_model(name, spec, units=5, embedding_dim=4, gate_init="default")
        x, y = make_batch(spec)
        model.compile(optimizer="adam", loss=LOSSES[spec.output.kind])
        model.train_on_batch(x, y)  # trained weights, not just initial ones
        model.save(tmp_path / f"{name}.keras")
        inputs[name], preds[name] = x, model.predict(x, verbose=0)
    np.savez(tmp_path / "inputs.npz", **inputs)
    subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(tmp_path)], check=True)
    loaded = np.load(tmp_path / "loaded.npz")
    for name in zoo.list_models():
        np.testing.assert_array_equal(loaded[name], preds[name], err_msg=name)


PADDED = Spec(InputSpec(length=None, vocab_size=11, padded=True), OutputSpec("binary"))


def _pad_invariance(model):
    """Predictions for reviews of 3 and 5 tokens, right-padded to 5 and to 9 steps."""
    x = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]], "int32")
    padded = np.concatenate([x, np.zeros((2, 4), "int32")], axis=1)
    return model.predict(x, verbose=0), model.predict(padded, verbose=0)


@pytest.mark.parametrize("model_name", quick(zoo.list_models()))
def test_right_padding_changes_no_prediction(model_name):
    keras.utils.set_random_seed(0)
    short, long = _pad_invariance(zoo.create_model(model_name, PADDED, units=5, embedding_dim=4))
    np.testing.assert_allclose(long, short, atol=1e-6)


POOLED = [("gru", {}), ("mingru", dict(bidirectional=True)), ("indrnn", dict(num_layers=2)),
          ("lstm", dict(block="residual"))]


@pytest.mark.parametrize("model_name,hparams,pooling", quick_grid(POOLED, ["last", "max", "mean", "attention"],
                                                                  fast_rows=POOLED))
def test_right_padding_changes_no_pooled_output(model_name, hparams, pooling):
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, PADDED, units=5, embedding_dim=4, pooling=pooling, **hparams)
    short, long = _pad_invariance(model)
    np.testing.assert_allclose(long, short, atol=1e-6)


def test_pooling_applies_to_sequence_heads_only():
    pooled = zoo.create_model("mingru", SPECS["tokens-classes"], units=5, embedding_dim=4, pooling="attention")
    assert any(isinstance(layer, zoo.SequencePooling) for layer in pooled.layers)
    per_step = zoo.create_model("mingru", SPECS["tokens-steps"], units=5, embedding_dim=4, pooling="attention")
    assert not any(isinstance(layer, zoo.SequencePooling) for layer in per_step.layers)


def test_run_takes_a_cell_option_for_the_model_that_has_it_and_names_the_one_that_lacks_it(tmp_path, capsys):
    from zoo.bench.design.matrix import parse_sets

    assert parse_sets(["model.r_min=0.99"])[1] == {"r_min": 0.99}
    out = tmp_path / "run"
    code = cli_main(["run", "--models", "lru,gru", "--tasks", "adding", "--seeds", "1",
                     "--set", "model.r_min=0.99", "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "model 'gru': unknown hyperparameter 'r_min'" in capsys.readouterr().err
