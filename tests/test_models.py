"""Every registered model x every kind of Spec: builds, trains a step, right shapes and sizes."""
import subprocess
import sys

import keras
import numpy as np
import pytest

import zoo
from zoo import InputSpec, OutputSpec, Spec

SPECS = {
    "float-binary": Spec(InputSpec(length=6, features=3), OutputSpec("binary")),
    "tokens-classes": Spec(InputSpec(length=6, vocab_size=11, padded=True), OutputSpec("classes", 4)),
    "tokens-steps": Spec(InputSpec(length=6, vocab_size=10), OutputSpec("step_classes", 5)),
    "varlen-regression": Spec(InputSpec(length=None, features=2), OutputSpec("regression")),
}
LOSSES = {"binary": "binary_crossentropy", "classes": "sparse_categorical_crossentropy",
          "step_classes": "sparse_categorical_crossentropy", "regression": "mse"}

# Closed forms of trainable recurrent parameters for input size d and hidden size h.
CELL_PARAMS = {
    "simple_rnn": lambda d, h: h * (d + h + 1),
    "lstm": lambda d, h: 4 * h * (d + h + 1),
    "gru": lambda d, h: 3 * h * (d + h + 2),  # reset_after: two bias vectors
    "peephole_lstm": lambda d, h: 4 * h * (d + h + 1) + 3 * h,
    "cifg_lstm": lambda d, h: 3 * h * (d + h + 1),
}
# model -> (cell family, directions, layers) at its defaults; a new model must be added here.
MODEL_SHAPES = {
    "rnn": ("simple_rnn", 1, 1), "birnn": ("simple_rnn", 2, 1), "deep_rnn": ("simple_rnn", 1, 2),
    "lstm": ("lstm", 1, 1), "bilstm": ("lstm", 2, 1), "deep_lstm": ("lstm", 1, 2),
    "gru": ("gru", 1, 1), "bigru": ("gru", 2, 1), "deep_gru": ("gru", 1, 2),
    "peephole_lstm": ("peephole_lstm", 1, 1), "cifg_lstm": ("cifg_lstm", 1, 1),
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
    else:
        y = rng.normal(size=(batch, 1)).astype("float32")
    return x, y


def test_lists_the_eleven_models():
    assert zoo.list_models() == sorted(MODEL_SHAPES)
    assert zoo.list_models("*lstm*") == ["bilstm", "cifg_lstm", "deep_lstm", "lstm", "peephole_lstm"]
    assert zoo.list_models("*lstm*", exclude=["bi*", "deep_*"]) == ["cifg_lstm", "lstm", "peephole_lstm"]
    assert zoo.list_models("gru") == ["gru"]


@pytest.mark.parametrize("model_name", zoo.list_models())
def test_every_builder_has_a_docstring(model_name):
    assert zoo.model_doc(model_name)


@pytest.mark.parametrize("spec_name", sorted(SPECS))
@pytest.mark.parametrize("model_name", zoo.list_models())
def test_builds_trains_one_step_and_shapes(model_name, spec_name):
    spec = SPECS[spec_name]
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, spec, units=5, embedding_dim=4)
    model.compile(optimizer="adam", loss=LOSSES[spec.output.kind])
    x, y = make_batch(spec)
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights())), "a train step changed nothing"
    pred = model.predict(x, verbose=0)
    t = x.shape[1]
    expected = {"binary": (4, 1), "classes": (4, 4), "step_classes": (4, t, 5), "regression": (4, 1)}
    assert pred.shape == expected[spec.output.kind]
    if spec.output.kind in ("classes", "step_classes"):
        np.testing.assert_allclose(pred.sum(-1), 1.0, atol=1e-5)
    if spec.output.kind == "binary":
        assert ((pred > 0) & (pred < 1)).all()


def expected_params(model_name: str, spec: Spec, h: int, layers: int | None = None, directions: int | None = None,
                    embedding_dim: int = 4) -> int:
    assert model_name in MODEL_SHAPES, f"add the closed form shape of new model {model_name!r} to MODEL_SHAPES"
    family, dirs, n = MODEL_SHAPES[model_name]
    dirs = directions or dirs
    n = layers or n
    total, d = 0, spec.input.features
    if spec.input.is_tokens:
        total += spec.input.vocab_size * embedding_dim
        d = embedding_dim
    for _ in range(n):
        total += dirs * CELL_PARAMS[family](d, h)
        d = dirs * h
    out_units = spec.output.num_classes if spec.output.kind in ("classes", "step_classes") else 1
    return total + (d + 1) * out_units


@pytest.mark.parametrize("spec_name", ["float-binary", "tokens-steps"])
@pytest.mark.parametrize("model_name", zoo.list_models())
def test_parameter_counts_match_closed_forms(model_name, spec_name):
    spec = SPECS[spec_name]
    model = zoo.create_model(model_name, spec, units=7, embedding_dim=4)
    assert model.count_params() == expected_params(model_name, spec, 7)


@pytest.mark.parametrize("model_name", ["rnn", "lstm", "gru", "peephole_lstm", "cifg_lstm"])
def test_parameter_counts_deep_and_bidirectional(model_name):
    spec = SPECS["float-binary"]
    model = zoo.create_model(model_name, spec, units=6, num_layers=3, bidirectional=True)
    assert model.count_params() == expected_params(model_name, spec, 6, layers=3, directions=2)


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
    """Every layer of the model, looking inside Bidirectional and RNN wrappers."""
    for layer in model.layers:
        inner = [layer.forward_layer, layer.backward_layer] if isinstance(layer, keras.layers.Bidirectional) else [layer]
        for x in inner:
            yield x
            if isinstance(x, keras.layers.RNN):
                yield x.cell


def _bias(model, cls):
    return [w.numpy() for layer in sublayers(model) if isinstance(layer, cls) for w in layer.weights
            if w.path.endswith("bias")]


@pytest.mark.parametrize("model_name,cell,forget", [("lstm", keras.layers.LSTMCell, slice(8, 16)),
                                                    ("peephole_lstm", zoo.PeepholeLSTMCell, slice(8, 16)),
                                                    ("cifg_lstm", zoo.CIFGLSTMCell, slice(0, 8))])
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


@pytest.mark.parametrize("call,message", [
    (lambda s: zoo.create_model("lstmm", s), "unknown model 'lstmm'; known models: bigru, bilstm"),
    (lambda s: zoo.create_model("lstm", s, units=0), "units must be an integer >= 1, got 0"),
    (lambda s: zoo.create_model("gru", s, units=-3), "units must be an integer >= 1, got -3"),
    (lambda s: zoo.create_model("gru", s, num_layers=0), "num_layers must be an integer >= 1, got 0"),
    (lambda s: zoo.create_model("gru", s, unitz=4), "unknown hyperparameter 'unitz'; valid: units, num_layers"),
    (lambda s: zoo.create_model("lstm", s, dropout=1.5), "dropout must be in [0, 1), got 1.5"),
    (lambda s: zoo.create_model("lstm", s, gate_init="zeros"), "gate_init 'zeros' is not one of default, chrono"),
    (lambda s: zoo.create_model("rnn", s, gate_init="chrono"), "needs a gated cell"),
    (lambda s: zoo.create_model("peephole_lstm", s, use_cudnn=True), "use_cudnn applies to Keras LSTM/GRU"),
])
def test_bad_input_gives_clear_errors(call, message):
    with pytest.raises(ValueError) as err:
        call(SPECS["float-binary"])
    assert message in str(err.value)


def test_bad_specs_are_rejected():
    with pytest.raises(ValueError, match="exactly one of features"):
        InputSpec(length=5)
    with pytest.raises(ValueError, match="is not one of binary, classes"):
        OutputSpec("ranking")
    with pytest.raises(ValueError, match="num_classes >= 2"):
        OutputSpec("classes", 1)


LOAD_SCRIPT = """
import sys, numpy as np, keras, zoo
data = np.load(sys.argv[1] + '/inputs.npz')
out = {}
for name in zoo.list_models():
    model = keras.saving.load_model(f'{sys.argv[1]}/{name}.keras')
    out[name] = model.predict(data[name], verbose=0)
np.savez(sys.argv[1] + '/loaded.npz', **out)
"""


def test_keras_save_load_round_trip_in_fresh_process(tmp_path):
    spec = SPECS["tokens-steps"]
    inputs, preds = {}, {}
    for name in zoo.list_models():
        model = zoo.create_model(name, spec, units=5, embedding_dim=4, gate_init="default")
        x, y = make_batch(spec)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.train_on_batch(x, y)  # trained weights, not just initial ones
        model.save(tmp_path / f"{name}.keras")
        inputs[name], preds[name] = x, model.predict(x, verbose=0)
    np.savez(tmp_path / "inputs.npz", **inputs)
    subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(tmp_path)], check=True)
    loaded = np.load(tmp_path / "loaded.npz")
    for name in zoo.list_models():
        np.testing.assert_array_equal(loaded[name], preds[name], err_msg=name)
