"""Masked LSTM/GRU on the fused-kernel path (zoo.packed_rnn): the same results as Keras's masked layers.

On JAX's CPU the packed path is off by default (PACK_WHERE), so these tests force it with
packing_everywhere(), the path a GPU takes; PyTorch takes it on every device.
"""
import itertools
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import zoo
from zoo import InputSpec, OutputSpec, Spec
from zoo.backends import gpu_name
from zoo.bench.speed.cudnn_check import kernel_paths
from zoo.bench.execution.metadata import cudnn_status
from zoo import packed_rnn
from zoo.packed_rnn import PackedRecurrent, masked_reference, packing_everywhere
from conftest import quick, quick_grid

PADDED = Spec(InputSpec(length=None, vocab_size=30, padded=True), OutputSpec("binary"))
MODELS = ["lstm", "gru", "bilstm", "bigru", "deep_lstm", "deep_gru", "attention_bilstm"]


def reviews(extra_padding: int = 0):
    """Six right-padded reviews of 9, 6, 3, 1, 7 and 9 tokens, padded to 9 + extra_padding steps."""
    rng = np.random.default_rng(0)
    lengths = [9, 6, 3, 1, 7, 9]
    x = np.zeros((len(lengths), 9 + extra_padding), "int32")
    for row, n in enumerate(lengths):
        x[row, :n] = rng.integers(1, 30, size=n)
    return x


def packed_layers(model):
    return [x for layer in model.layers
            for x in ([layer.forward_layer, layer.backward_layer] if isinstance(layer, keras.layers.Bidirectional)
                      else [layer]) if isinstance(x, PackedRecurrent)]


# the quick check: a bidirectional GRU; LSTM, two layers, mean pooling and training in the tests below
@pytest.mark.parametrize("model_name,pooling", quick_grid(MODELS, ["last", "max", "mean"], fast_rows=["bigru"]))
def test_packed_models_predict_as_the_masked_reference(model_name, pooling):
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, PADDED, units=5, embedding_dim=4, pooling=pooling)
    reference = masked_reference(model)
    assert packed_layers(model) and not packed_layers(reference)
    x = reviews()
    with packing_everywhere():
        packed = model.predict(x, verbose=0)
        padded_more = model.predict(reviews(extra_padding=5), verbose=0)
        # the layers hand Keras no mask: the fused kernel's condition on JAX and PyTorch
        assert set(kernel_paths(model, x)) <= {"cuDNN-eligible", "fused scan (JAX has no cuDNN GRU)"}
    expected = reference.predict(x, verbose=0)
    assert np.ptp(expected) > 1e-4  # the reviews differ, so a wrong step would show
    np.testing.assert_allclose(packed, expected, atol=1e-5)
    np.testing.assert_allclose(padded_more, expected, atol=1e-5)


MASKS = {  # rows of 7 steps: right-padded, full, one step, none, left-padded, with holes
    "right": [[1] * 4 + [0] * 3, [1] * 7, [1] + [0] * 6, [0] * 7],
    "any": [[0] * 3 + [1] * 4, [1, 0, 1, 1, 0, 0, 1], [0, 1, 1, 0, 1, 1, 1], [1] * 7],
}


LAYER_CASES = [(*classes, *options) for classes, *options in itertools.product(
    [(packed_rnn.LSTM, keras.layers.LSTM), (packed_rnn.GRU, keras.layers.GRU)], [False, True], [False, True],
    sorted(MASKS))]


# the quick check: the hardest case (backwards, zeroed outputs, holes in the mask); the models above the plain one
@pytest.mark.parametrize("packed_class,keras_class,go_backwards,zero_output_for_mask,mask_kind", quick(
    LAYER_CASES, [(packed_rnn.GRU, keras.layers.GRU, True, True, "any")]))
def test_packed_layer_gives_keras_masked_outputs_at_every_step(packed_class, keras_class, go_backwards,
                                                               zero_output_for_mask, mask_kind):
    """Every output step (padding included) and the last output match Keras's masked loop, for any mask."""
    mask = np.array(MASKS[mask_kind], bool)  # (batch, time)
    x = np.random.default_rng(1).normal(size=mask.shape + (3,)).astype("float32")
    options = dict(go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask)
    for sequences in (True, False):
        keras.utils.set_random_seed(0)
        ours = packed_class(4, return_sequences=sequences, **options)
        theirs = keras_class(4, return_sequences=sequences, **options)
        ours.build(x.shape)
        theirs.build(x.shape)
        theirs.set_weights(ours.get_weights())
        with packing_everywhere():
            got = keras.ops.convert_to_numpy(ours(x, mask=mask))
        np.testing.assert_allclose(got, keras.ops.convert_to_numpy(theirs(x, mask=mask)), atol=1e-6)


@pytest.mark.parametrize("model_name", quick(["bilstm", "deep_gru"]))
def test_a_training_step_moves_the_weights_as_the_masked_reference(model_name):
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, PADDED, units=5, embedding_dim=4, pooling="mean")
    reference = masked_reference(model)
    assert packed_layers(model)
    x, y = reviews(), np.array([[1], [0], [1], [0], [0], [1]], "float32")
    for m in (model, reference):
        m.compile(keras.optimizers.SGD(1.0), "binary_crossentropy")
    start = model.get_weights()
    with packing_everywhere():
        model.train_on_batch(x, y)
    reference.train_on_batch(x, y)
    assert max(np.abs(a - b).max() for a, b in zip(model.get_weights(), start)) > 1e-3  # the step moved them
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_packed_models_keep_keras_names_and_weights():
    """Only the padded models change class; names and weights are Keras's, so weights saved before load."""
    keras.utils.set_random_seed(0)
    model = zoo.create_model("bigru", PADDED, units=5, embedding_dim=4)
    before = masked_reference(model)  # what the builder made before zoo.packed_rnn
    assert [w.path for w in model.weights] == [w.path for w in before.weights]
    assert [layer.name for layer in model.layers] == [layer.name for layer in before.layers]
    unpadded = zoo.create_model("bigru", Spec(InputSpec(length=6, vocab_size=30), OutputSpec("binary")), units=5)
    assert not packed_layers(unpadded)  # no mask, nothing to pack: Keras's own layers
    assert not packed_layers(zoo.create_model("peephole_lstm", PADDED, units=5))


def test_use_cudnn_reaches_every_packed_layer():
    """use_cudnn=False keeps Keras's masked loop; True insists on the fused kernel, which a CPU lacks."""
    model = zoo.create_model("bilstm", PADDED, units=5, embedding_dim=4, use_cudnn=False)
    assert [layer.use_cudnn for layer in packed_layers(model)] == [False, False]
    assert set(kernel_paths(model, reviews(), as_on_gpu=True)) == {"scan"}
    assert [layer.use_cudnn for layer in packed_layers(keras.models.clone_model(model))] == [False, False]
    if keras.backend.backend() == "jax" and not gpu_name():
        with pytest.raises(ValueError, match="use_cudnn=True"):
            zoo.create_model("lstm", PADDED, units=5, embedding_dim=4, use_cudnn=True)(reviews())


def test_weights_saved_by_the_masked_model_load_into_the_packed_one(tmp_path):
    keras.utils.set_random_seed(0)
    old = masked_reference(zoo.create_model("deep_lstm", PADDED, units=5, embedding_dim=4))
    old.save_weights(tmp_path / "old.weights.h5")
    keras.utils.set_random_seed(1)
    new = zoo.create_model("deep_lstm", PADDED, units=5, embedding_dim=4)
    new.load_weights(tmp_path / "old.weights.h5")
    assert packed_layers(new) and not packed_layers(old)
    with packing_everywhere():
        got = new.predict(reviews(), verbose=0)
    np.testing.assert_allclose(got, old.predict(reviews(), verbose=0), atol=1e-5)


def test_jax_cpu_keeps_the_masked_loop_and_a_gpu_gets_the_fused_kernel():
    """PACK_WHERE: on JAX's CPU the masked loop trained faster; as on a GPU, no mask reaches Keras."""
    if keras.backend.backend() != "jax" or gpu_name():
        pytest.skip("JAX on a CPU only")
    model = zoo.create_model("bilstm", PADDED, units=5, embedding_dim=4)
    assert set(kernel_paths(model, reviews())) == {"scan"}
    assert set(kernel_paths(model, reviews(), as_on_gpu=True)) == {"cuDNN-eligible"}
    assert set(kernel_paths(masked_reference(model), reviews(), as_on_gpu=True)) == {"scan"}
    assert cudnn_status(model) == "eligible (no GPU)"
    assert cudnn_status(masked_reference(model)).startswith("eligible, but masked inputs take the generic loop")


TORCH_CHECK = """
import json, sys, keras, numpy as np, zoo
sys.path.insert(0, sys.argv[1])
from test_masked import PADDED, reviews, packed_layers
from zoo.packed_rnn import masked_reference
out = {}
for name, pooling in [("lstm", "last"), ("bigru", "max"), ("deep_lstm", "mean")]:
    keras.utils.set_random_seed(0)
    model = zoo.create_model(name, PADDED, units=5, embedding_dim=4, pooling=pooling)
    expected = masked_reference(model).predict(reviews(), verbose=0)
    out[name] = dict(packed=len(packed_layers(model)), spread=float(np.ptp(expected)),
                     diff=float(np.abs(model.predict(reviews(), verbose=0) - expected).max()),
                     padded=float(np.abs(model.predict(reviews(5), verbose=0) - expected).max()))
print(json.dumps(out))
"""


@pytest.mark.slow
def test_torch_packs_by_default_and_predicts_as_the_masked_reference():
    pytest.importorskip("torch")
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    proc = subprocess.run([sys.executable, "-c", TORCH_CHECK, os.path.dirname(__file__)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name, row in json.loads(proc.stdout.splitlines()[-1]).items():
        assert row["packed"] > 0 and row["spread"] > 1e-4, (name, row)
        assert row["diff"] < 1e-5 and row["padded"] < 1e-5, (name, row)
