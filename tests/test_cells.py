"""Every zoo cell against a NumPy implementation of its paper's equations, step by step and in parallel."""
import keras
import numpy as np
import pytest

import zoo
from conftest import quick
from zoo.scan import METHODS


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_peephole(x, kernel, recurrent, bias, pi, pf, po):
    batch, steps, _ = x.shape
    h = np.zeros((batch, recurrent.shape[0]))
    c = np.zeros_like(h)
    outs = []
    for t in range(steps):
        zi, zf, zc, zo = np.split(x[:, t] @ kernel + h @ recurrent + bias, 4, axis=-1)
        i = sigmoid(zi + pi * c)
        f = sigmoid(zf + pf * c)
        c = f * c + i * np.tanh(zc)
        o = sigmoid(zo + po * c)
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


def numpy_cifg(x, kernel, recurrent, bias):
    batch, steps, _ = x.shape
    h = np.zeros((batch, recurrent.shape[0]))
    c = np.zeros_like(h)
    outs = []
    for t in range(steps):
        zf, zc, zo = np.split(x[:, t] @ kernel + h @ recurrent + bias, 3, axis=-1)
        f = sigmoid(zf)
        c = f * c + (1 - f) * np.tanh(zc)
        h = sigmoid(zo) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


def run_cell(cell, x):
    layer = keras.layers.RNN(cell, return_sequences=True)
    return np.asarray(layer(x)), {w.path.split("/")[-1]: w.numpy().astype("float64") for w in layer.weights}


@pytest.fixture
def x():
    return np.random.default_rng(3).normal(size=(4, 7, 3)).astype("float32")


def test_peephole_cell_matches_numpy(x):
    keras.utils.set_random_seed(0)
    cell = zoo.PeepholeLSTMCell(5, bias_initializer="random_normal", peephole_initializer="random_normal")
    out, w = run_cell(cell, x)
    assert np.abs(w["peephole_i"]).min() > 0  # the peepholes really take part
    expected = numpy_peephole(x.astype("float64"), w["kernel"], w["recurrent_kernel"], w["bias"],
                              w["peephole_i"], w["peephole_f"], w["peephole_o"])
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_cifg_cell_matches_numpy(x):
    keras.utils.set_random_seed(0)
    out, w = run_cell(zoo.CIFGLSTMCell(5, bias_initializer="random_normal"), x)
    assert w["kernel"].shape == (3, 15)
    expected = numpy_cifg(x.astype("float64"), w["kernel"], w["recurrent_kernel"], w["bias"])
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_peephole_with_zero_peepholes_equals_keras_lstm(x):
    keras.utils.set_random_seed(0)
    ref = keras.layers.RNN(keras.layers.LSTMCell(5, bias_initializer="random_normal"), return_sequences=True)
    expected = np.asarray(ref(x))
    layer = keras.layers.RNN(zoo.PeepholeLSTMCell(5, peephole_initializer="zeros"), return_sequences=True)
    layer(x)
    kernel, recurrent, bias = (w.numpy() for w in ref.weights)
    weights = {"kernel": kernel, "recurrent_kernel": recurrent, "bias": bias}
    for w in layer.weights:
        w.assign(weights.get(w.path.split("/")[-1], np.zeros(5, "float32")))
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-6)


def test_peephole_with_nonzero_peepholes_differs_from_lstm(x):
    keras.utils.set_random_seed(0)
    out_zero, _ = run_cell(zoo.PeepholeLSTMCell(5, peephole_initializer="zeros"), x)
    keras.utils.set_random_seed(0)
    out_peep, _ = run_cell(zoo.PeepholeLSTMCell(5, peephole_initializer="ones"), x)
    assert np.abs(out_zero - out_peep).max() > 1e-3


def numpy_mingru(x, kernel, bias, mask):
    """Feng et al. 2024: z = s(x Wz + bz), h~ = x Wh + bh, h = (1 - z) h + z h~; masked steps keep h."""
    h, outs = np.zeros((x.shape[0], kernel.shape[1] // 2)), []
    for t in range(x.shape[1]):
        zz, cand = np.split(x[:, t] @ kernel + bias, 2, axis=-1)
        z = sigmoid(zz)
        h = np.where(mask[:, t, None], (1 - z) * h + z * cand, h)
        outs.append(h)
    return np.stack(outs, 1)


def numpy_minlstm(x, kernel, bias, mask):
    """f, i = s(.), h~ = x Wh + bh, f' = f / (f + i), i' = i / (f + i), h = f' h + i' h~."""
    h, outs = np.zeros((x.shape[0], kernel.shape[1] // 3)), []
    for t in range(x.shape[1]):
        zf, zi, cand = np.split(x[:, t] @ kernel + bias, 3, axis=-1)
        f, i = sigmoid(zf), sigmoid(zi)
        h = np.where(mask[:, t, None], f / (f + i) * h + i / (f + i) * cand, h)
        outs.append(h)
    return np.stack(outs, 1)


def numpy_indrnn(x, kernel, recurrent_kernel, bias, mask):
    """Li et al. 2018: h = relu(x W + u * h + b)."""
    h, outs = np.zeros((x.shape[0], kernel.shape[1])), []
    for t in range(x.shape[1]):
        h = np.where(mask[:, t, None], np.maximum(0, x[:, t] @ kernel + recurrent_kernel * h + bias), h)
        outs.append(h)
    return np.stack(outs, 1)


def numpy_lru(x, w, mask):
    """Orvieto et al. 2023 in complex arithmetic: lambda = exp(-exp(nu) + i exp(theta)),
    h = lambda h + exp(gamma_log) (B u), y = Re(C h) + D u (outputs at masked steps: zeros)."""
    lam = np.exp(-np.exp(w["nu_log"]) + 1j * np.exp(w["theta_log"]))
    b = (w["B_re"] + 1j * w["B_im"]) * np.exp(w["gamma_log"])  # (d, N)
    c = w["C_re"] + 1j * w["C_im"]  # (N, H): row-vector form of C
    h, outs = np.zeros((x.shape[0], lam.size), complex), []
    for t in range(x.shape[1]):
        u = x[:, t]
        h = np.where(mask[:, t, None], lam * h + u @ b, h)
        skip = u * w["D"] if w["D"].ndim == 1 else u @ w["D"]
        outs.append((h @ c).real + skip)
    return np.stack(outs, 1)


def cell_weights(cell):
    return {w.path.split("/")[-1]: w.numpy().astype("float64") for w in cell.weights}


def reference(cell, x, mask):
    w = cell_weights(cell)
    if isinstance(cell, zoo.MinGRUCell):
        return numpy_mingru(x, w["kernel"], w["bias"], mask)
    if isinstance(cell, zoo.MinLSTMCell):
        return numpy_minlstm(x, w["kernel"], w["bias"], mask)
    if isinstance(cell, zoo.IndRNNCell):
        return numpy_indrnn(x, w["kernel"], w["recurrent_kernel"], w["bias"], mask)
    return numpy_lru(x, w, mask)


SCAN_CELLS = {
    "mingru": lambda: zoo.MinGRUCell(5, bias_initializer="random_normal"),
    "minlstm": lambda: zoo.MinLSTMCell(5, bias_initializer="random_normal"),
    "indrnn": lambda: zoo.IndRNNCell(5, recurrent_initializer=keras.initializers.RandomUniform(-1.0, 1.0),
                                     bias_initializer="random_normal"),
    "lru": lambda: zoo.LRUCell(5, r_min=0.4, r_max=0.95),
    "lru-square": lambda: zoo.LRUCell(3),  # input width == units: D is diagonal
}


@pytest.mark.parametrize("name", sorted(SCAN_CELLS))
def test_scan_cell_step_path_matches_numpy(name, x):
    keras.utils.set_random_seed(0)
    cell = SCAN_CELLS[name]()
    out = np.asarray(keras.layers.RNN(cell, return_sequences=True)(x))
    np.testing.assert_allclose(out, reference(cell, x.astype("float64"), np.ones(x.shape[:2], bool)), atol=1e-5)


# the quick check: every cell and every method once, indrnn's relu_scan and lru's complex scan associative
@pytest.mark.parametrize("name,method", quick([(name, m) for name in sorted(SCAN_CELLS) for m in METHODS], [
    ("indrnn", "associative"), ("lru", "blocked"), ("lru-square", "associative"), ("mingru", "chunked"),
    ("minlstm", "sequential")]))
def test_scan_cell_parallel_path_matches_numpy_with_masks(name, method, x):
    keras.utils.set_random_seed(0)
    cell = SCAN_CELLS[name]()
    mask = np.ones(x.shape[:2], bool)
    mask[0, 4:] = False  # right padding
    mask[1, 2] = False  # a hole: the state carries over it
    mask[2, :3] = False  # left padding, as a backward layer sees right padding
    layer = zoo.ScanRNN(cell, return_sequences=True, method=method)
    out = np.asarray(layer(x, mask=mask))
    expected = reference(cell, x.astype("float64"), mask) * mask[..., None]
    np.testing.assert_allclose(out, expected, atol=1e-5)
    last = np.asarray(zoo.ScanRNN(cell, method=method)(x, mask=mask))  # (batch, units) at the last valid step
    valid_last = [np.flatnonzero(row)[-1] for row in mask]
    np.testing.assert_allclose(last, expected[np.arange(len(mask)), valid_last], atol=1e-5)


@pytest.mark.parametrize("name", quick(sorted(SCAN_CELLS), ["lru", "mingru"]))  # ScanRNN reverses for every cell alike
def test_scan_and_step_paths_agree_backwards_in_bidirectional(name, x):
    keras.utils.set_random_seed(0)
    scan = keras.layers.Bidirectional(zoo.ScanRNN(SCAN_CELLS[name](), return_sequences=True))
    step = keras.layers.Bidirectional(keras.layers.RNN(SCAN_CELLS[name](), return_sequences=True))
    mask = np.ones(x.shape[:2], bool)
    mask[0, 3:] = False
    expected = np.asarray(step(x, mask=mask))
    scan(x, mask=mask)
    scan.set_weights(step.get_weights())
    np.testing.assert_allclose(np.asarray(scan(x, mask=mask)) * mask[..., None], expected * mask[..., None], atol=1e-5)


ALL_CELLS = {
    "peephole": lambda: zoo.PeepholeLSTMCell(6, unit_forget_bias=False, peephole_initializer="ones"),
    "cifg": lambda: zoo.CIFGLSTMCell(6, unit_forget_bias=False, kernel_initializer="orthogonal"),
    "mingru": lambda: zoo.MinGRUCell(6, bias_initializer=zoo.ChronoBias(20, "mingru")),
    "minlstm": lambda: zoo.MinLSTMCell(6, unit_forget_bias=False),
    "indrnn": lambda: zoo.IndRNNCell(6, recurrent_max=1.5),
    "lru": lambda: zoo.LRUCell(6, r_min=0.5, r_max=0.9, max_phase=3.0),
}


@pytest.mark.parametrize("name", quick(sorted(ALL_CELLS), ["lru", "mingru", "peephole"]))
def test_cells_round_trip_their_config_and_outputs(name, x):
    cell = ALL_CELLS[name]()
    config = cell.get_config()
    clone = type(cell).from_config(config)
    assert clone.get_config() == config
    layer, twin = keras.layers.RNN(cell, return_sequences=True), keras.layers.RNN(clone, return_sequences=True)
    expected = np.asarray(layer(x))
    twin(x)
    twin.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(twin(x)), expected)
    serialized = keras.saving.serialize_keras_object(cell)
    assert serialized["registered_name"] == f"zoo>{type(cell).__name__}"
