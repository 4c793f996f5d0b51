"""The LSTM variant cells against NumPy implementations of their equations."""
import keras
import numpy as np
import pytest

import zoo


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


def test_cells_round_trip_their_config():
    for cls in (zoo.PeepholeLSTMCell, zoo.CIFGLSTMCell):
        cell = cls(6, unit_forget_bias=False)
        clone = cls.from_config(cell.get_config())
        assert clone.units == 6 and clone.unit_forget_bias is False
