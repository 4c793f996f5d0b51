"""Recomputed steps (zoo.recompute): on JAX's CPU, the same model and gradients with far less kept for the backward pass."""
import keras
import numpy as np
import pytest

import zoo
from zoo import InputSpec, OutputSpec, Spec
from zoo.bench.execution.metadata import recurrent_layers
from zoo.recompute import recomputes_here, recomputing
from conftest import quick

on_jax_cpu = pytest.mark.skipif(not recomputes_here(), reason="steps are recomputed on JAX's CPU only")

FLOAT = Spec(InputSpec(length=40, features=2), OutputSpec("regression"))
PADDED = Spec(InputSpec(length=None, vocab_size=30, padded=True), OutputSpec("binary"))
# every family whose layers are Keras RNNs over a cell; GRUs are left as Keras makes them (zoo/recompute.py)
MODELS = ["rnn", "lstm", "bilstm", "deep_lstm", "peephole_lstm", "cifg_lstm", "gru", "bigru"]


def data(spec: Spec):
    rng = np.random.default_rng(0)
    if spec.input.is_tokens:
        x = rng.integers(1, 30, size=(8, 12)).astype("int32")
        x[np.arange(12)[None, :] >= rng.integers(1, 13, size=8)[:, None]] = 0  # right padding
        return x, rng.integers(0, 2, size=(8, 1)).astype("float32")
    return rng.random((8, 40, 2)).astype("float32"), rng.random((8, 1)).astype("float32")


def twins(name: str, spec: Spec, **hparams):
    """The model built with and without recomputed steps, from the same seed (so the same weights)."""
    if spec.input.is_tokens:  # a float input has no embedding to size
        hparams = {"embedding_dim": 4, **hparams}
    keras.utils.set_random_seed(0)
    ours = zoo.create_model(name, spec, units=6, **hparams)
    keras.utils.set_random_seed(0)
    with recomputing(False):
        plain = zoo.create_model(name, spec, units=6, **hparams)
    return ours, plain


def gradients(model, x, y):
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]

    def loss(weights, x, y):
        out, _ = model.stateless_call(weights, fixed, x, training=True)
        return jnp.mean((out - y) ** 2)

    compiled = jax.jit(jax.value_and_grad(loss)).lower(trainable, x, y).compile()  # one compilation for both uses
    value, grads = compiled(trainable, x, y)
    return float(value), [np.asarray(g) for g in grads], compiled


def recomputed_cells(model) -> int:
    """How many of the model's recurrent cells step through an overridden (rematerialised) call."""
    return sum("call" in vars(layer.cell) for layer in recurrent_layers(model) if isinstance(layer, keras.layers.RNN))


@on_jax_cpu
@pytest.mark.parametrize("name", quick(MODELS, ["bilstm", "peephole_lstm"]))
@pytest.mark.parametrize("spec", [FLOAT, PADDED], ids=["float", "padded"])
def test_recomputed_steps_give_the_same_predictions_and_gradients(name, spec):
    ours, plain = twins(name, spec)
    expected_cells = {"gru": 0, "bigru": 0, "lstm": 1, "rnn": 1, "peephole_lstm": 1, "cifg_lstm": 1}.get(name, 2)
    assert recomputed_cells(ours) == expected_cells and recomputed_cells(plain) == 0
    x, y = data(spec)
    np.testing.assert_array_equal(ours.predict(x, verbose=0), plain.predict(x, verbose=0))
    loss, grads, _ = gradients(ours, x, y)
    plain_loss, plain_grads, _ = gradients(plain, x, y)
    assert loss == pytest.approx(plain_loss, rel=1e-6)
    assert any(np.abs(g).max() > 1e-4 for g in plain_grads)  # a gradient reaches the weights, so a wrong one would show
    for g, p in zip(grads, plain_grads):
        np.testing.assert_allclose(g, p, rtol=1e-4, atol=1e-6)


@on_jax_cpu
def test_the_backward_pass_keeps_a_fraction_of_the_memory():
    """What the speed comes from: the compiled gradient's temporary buffers (XLA's own accounting, no timing)."""
    ours, plain = twins("bilstm", FLOAT)
    x, y = data(FLOAT)
    sizes = [gradients(m, x, y)[2].memory_analysis().temp_size_in_bytes for m in (ours, plain)]
    assert sizes[0] < 0.5 * sizes[1], sizes


@on_jax_cpu
def test_a_recomputed_model_trains_with_dropout_and_saves(tmp_path):
    """fit passes training=True through the rematerialised step (a traced flag would fail); a .keras file loads."""
    ours, _ = twins("deep_lstm", FLOAT, dropout=0.2)
    x, y = data(FLOAT)
    ours.compile(keras.optimizers.Adam(1e-2), "mse")
    before = [w.copy() for w in ours.get_weights()]
    history = ours.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, ours.get_weights()))
    ours.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert recomputed_cells(loaded) == 0  # the override is not saved; Keras's own stepping gives the same outputs
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6)
