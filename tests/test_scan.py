"""zoo.scan's recurrences against plain loops, and the scan models on every Keras backend."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from keras import ops

from conftest import quick
from zoo import scan

REPO = Path(__file__).resolve().parents[1]


def loop(a, b, h0):
    h, out = h0, []
    for t in range(len(b)):
        h = a[t] * h + b[t]
        out.append(h)
    return np.stack(out)


def as_numpy(x):
    return ops.convert_to_numpy(x).astype("float64")


# the quick check: each step count once; associative at 40 steps compiles for seconds, and blocked is sequential here
@pytest.mark.parametrize("method,steps", quick([(m, n) for m in scan.METHODS for n in [1, 7, 40]],
                                               [("sequential", 1), ("chunked", 40), ("associative", 7)]))
def test_linear_scan_real_per_step_and_constant(method, steps):
    rng = np.random.default_rng(steps)
    a = rng.uniform(0.2, 1.0, (steps, 3, 4)).astype("float32")
    b = rng.normal(size=(steps, 3, 4)).astype("float32")
    h0 = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(as_numpy(scan.linear_scan(a, b, h0, method=method)), loop(a, b, h0), atol=1e-5)
    const = a[0]  # (batch, units): the same a at every step
    np.testing.assert_allclose(as_numpy(scan.linear_scan(const, b, method=method)),
                               loop(np.broadcast_to(const, b.shape), b, np.zeros((3, 4))), atol=1e-5)


# the quick check: sequential above; associative in test_cells (lru) and blocked is sequential here
@pytest.mark.parametrize("method", quick(scan.METHODS, ["chunked"]))
def test_linear_scan_complex(method):
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 1.0, (9, 2, 3)) * np.exp(1j * rng.uniform(0, 6.3, (9, 2, 3)))
    b = rng.normal(size=(9, 2, 3)) + 1j * rng.normal(size=(9, 2, 3))
    f32 = lambda z: (z.real.astype("float32"), z.imag.astype("float32"))  # noqa: E731
    re, im = scan.linear_scan(f32(a), f32(b), method=method)
    np.testing.assert_allclose(as_numpy(re) + 1j * as_numpy(im), loop(a, b, np.zeros((2, 3))), atol=1e-5)


# the quick check: associative in test_cells (indrnn); relu_scan runs chunked and blocked as sequential
@pytest.mark.parametrize("method", quick(scan.METHODS, ["sequential"]))
def test_relu_scan_any_sign_with_masks(method):
    rng = np.random.default_rng(2)
    u = rng.uniform(-1.3, 1.3, 6).astype("float32")
    w = rng.normal(size=(12, 3, 6)).astype("float32")
    mask = rng.random((12, 3)) > 0.3
    h, expected = np.zeros((3, 6)), []
    for t in range(12):
        h = np.where(mask[t, :, None], np.maximum(0, u * h + w[t]), h)
        expected.append(h)
    np.testing.assert_allclose(as_numpy(scan.relu_scan(u, w, mask, method=method)), np.stack(expected), atol=1e-5)


def test_a_long_chunked_scan_neither_overflows_nor_drifts():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.0, 1.0, (1000, 2, 3)).astype("float32")  # gates that close fully as well as stay open
    a[:, 0] = 0.9999
    b = rng.normal(size=(1000, 2, 3)).astype("float32")
    out = as_numpy(scan.linear_scan(a, b, method="chunked"))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, loop(a.astype("float64"), b, np.zeros((2, 3))), atol=1e-3)


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="scan method 'fast' is not one of sequential, chunked, associative"):
        scan.linear_scan(np.ones((2, 1, 1), "float32"), np.ones((2, 1, 1), "float32"), method="fast")


BACKEND_SCRIPT = """
import numpy as np, keras, zoo
from zoo import InputSpec, OutputSpec, Spec
from zoo.scan import METHODS
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(3, 117, 4)).astype("float32")  # 117 steps: three blocks of the blocked method, one padded
mask = np.ones((3, 117), bool); mask[0, 80:] = False
cells = [zoo.MinGRUCell(5), zoo.MinLSTMCell(5), zoo.IndRNNCell(5), zoo.LRUCell(5)]
for cell in cells:
    step = keras.ops.convert_to_numpy(keras.layers.RNN(cell, return_sequences=True)(x, mask=mask))
    for method in METHODS:  # the same cell, so the same weights
        par = keras.ops.convert_to_numpy(zoo.ScanRNN(cell, return_sequences=True, method=method)(x, mask=mask))
        err = np.abs((par - step) * mask[..., None]).max()
        assert err < 1e-5, (type(cell).__name__, method, err)
spec = Spec(InputSpec(length=None, vocab_size=9, padded=True), OutputSpec("binary"))
tokens = np.array([[3, 1, 4, 0], [2, 7, 1, 8]], "int32")
padded = np.concatenate([tokens, np.zeros((2, 3), "int32")], axis=1)
for name in ["mingru", "minlstm", "indrnn", "lru", "attention_bilstm"]:
    model = zoo.create_model(name, spec, units=4, embedding_dim=3)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    loss = model.train_on_batch(tokens, np.array([[0.0], [1.0]], "float32"))
    assert np.isfinite(loss), name
    short, long = model.predict(tokens, verbose=0), model.predict(padded, verbose=0)
    assert np.abs(short - long).max() < 1e-6, (name, short, long)
for name in ["mingru", "indrnn", "lru"]:  # every scan method inside a compiled training step
    for method in METHODS:
        model = zoo.create_model(name, spec, units=4, embedding_dim=3)
        for layer in model.layers:
            if isinstance(layer, zoo.ScanRNN):
                layer.method = method
        model.compile(optimizer="adam", loss="binary_crossentropy")
        assert np.isfinite(model.train_on_batch(padded, np.array([[0.0], [1.0]], "float32"))), (name, method)
print("ok", keras.backend.backend())
"""


@pytest.mark.slow  # the quick check has the default backend's scans in test_cells and test_models
@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_scan_models_on_every_backend(backend):
    """Step and parallel paths agree for every method; each model trains a step and ignores padding."""
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", BACKEND_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"ok {backend}" in result.stdout


GRADIENT_SCRIPT = """
import jax, jax.numpy as jnp, numpy as np, zoo
from zoo.scan import METHODS
x = np.random.default_rng(0).normal(size=(3, 130, 4)).astype("float32")  # 130 steps: blocked runs in blocks
mask = np.ones((3, 130), bool); mask[1, 70:] = False
for cell in [zoo.MinGRUCell(5), zoo.MinLSTMCell(5), zoo.LRUCell(5), zoo.IndRNNCell(5)]:
    layer = zoo.ScanRNN(cell, return_sequences=True)
    layer(x)
    weights = [v.value for v in layer.trainable_variables]
    def loss(weights, method):
        layer.method = method
        return jnp.sum(layer.stateless_call(weights, [], x, mask=mask)[0] ** 2)
    reference = jax.grad(loss)(weights, "sequential")
    for method in METHODS:
        for r, g in zip(reference, jax.grad(loss)(weights, method)):
            assert float(jnp.max(jnp.abs(r - g))) <= 1e-4 * float(jnp.max(jnp.abs(r))) + 1e-6, (cell, method)
print("ok")
"""


@pytest.mark.slow
def test_every_method_gives_the_same_gradients():
    """The training path's gradients, blocked (rematerialised) included, on JAX."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", GRADIENT_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]


def test_scan_bench_parses_configs_and_builds_its_floor():
    from zoo.bench.speed import scan_bench

    assert scan_bench.parse_config("lru:block=none+units=8@chunked") == ("lru", {"block": "none", "units": 8}, "chunked")
    plain, block = scan_bench.build("floor", 6, 4), scan_bench.build("floor:norm=1+mix=glu", 6, 4)
    assert plain.count_params() == (2 * 4 + 4) + (4 + 1)  # input Dense, head
    assert block.count_params() == plain.count_params() + 2 * 4 + 2 * (4 * 4 + 4)  # LayerNorm, GLU value and gate
    with pytest.raises(ValueError, match="mix 'gru' is not one of none, mlp, glu"):
        scan_bench.build("floor:mix=gru", 6, 4)
