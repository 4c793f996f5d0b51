"""Streaming: every causal model, fed one step per call through stateful keras.layers.RNN over its own cells
(zoo.streaming), predicts what it predicts on the whole sequence, on the length-generalisation tasks' inputs."""
import keras
import numpy as np
import pytest

import tasks
import zoo
from conftest import quick_grid
from zoo.bench.design.matrix import expand_models
from zoo.bench.design.presets import LENGTH_TASKS, PRESETS
from zoo.streaming import reset, streaming_twin

# Every causal model streams these four, which hold the output kinds: answers after the input, one answer,
# answers within it. The other length tasks differ from them only in vocabulary, classes and length (all are
# tokens, unpadded at these lengths), which the twin never looks at, so one model streams those.
KIND_TASKS = ["reverse_string", "solve_equation", "associative_recall", "selective_copy"]
OTHER_TASKS = [name for name in LENGTH_TASKS if name not in KIND_TASKS]
NOT_CAUSAL = ["attention_bilstm", "bigru", "bilstm", "birnn"]  # read steps that have not arrived yet
CAUSAL = [m for m in zoo.model_order() if m not in NOT_CAUSAL]


def stream(twin: keras.Model, x: np.ndarray) -> np.ndarray:
    """The twin's outputs, one step per call: (batch, steps, classes), a sequence-level head's after each step."""
    reset(twin)
    outputs = [keras.ops.convert_to_numpy(twin(x[:, t: t + 1])) for t in range(x.shape[1])]
    return np.concatenate(outputs, axis=1) if outputs[0].ndim == 3 else np.stack(outputs, axis=1)


@pytest.mark.parametrize("model_name,task_name", quick_grid(CAUSAL, KIND_TASKS) +
                         [pytest.param("rnn", task, marks=pytest.mark.slow) for task in OTHER_TASKS])
def test_streamed_one_step_at_a_time_is_the_whole_sequence(model_name, task_name):
    task = tasks.create_task(task_name)
    length = max(task.min_length, 5)
    x, _ = task.examples(2, length, np.random.default_rng(0))
    keras.utils.set_random_seed(0)
    model = zoo.create_model(model_name, task.spec, units=5, embedding_dim=4)
    whole = keras.ops.convert_to_numpy(model(x))  # (batch, steps, classes) or (batch, classes)
    steps = stream(streaming_twin(model, batch_size=2), x)
    if task.spec.output.per_step:
        np.testing.assert_allclose(steps, whole, atol=2e-5)
    else:  # the sequence's answer is the last step's; each earlier step answers its prefix
        np.testing.assert_allclose(steps[:, -1], whole, atol=2e-5)
        np.testing.assert_allclose(steps[:, 2], keras.ops.convert_to_numpy(model(x[:, :3])), atol=2e-5)
    np.testing.assert_allclose(stream(streaming_twin(model, batch_size=2), x), steps, atol=1e-6)  # reset works


@pytest.mark.parametrize("model_name", NOT_CAUSAL)
def test_a_model_that_reads_ahead_cannot_stream(model_name):
    model = zoo.create_model(model_name, tasks.create_task("parity_check").spec, units=3, embedding_dim=3)
    with pytest.raises(ValueError, match="cannot stream: its layer .* reads the whole sequence"):
        streaming_twin(model, batch_size=1)


def test_the_twin_shares_the_model_weights():
    task = tasks.create_task("reverse_string")
    model = zoo.create_model("lstm", task.spec, units=3, embedding_dim=3)
    twin = streaming_twin(model, batch_size=1)
    assert {id(v) for v in twin.weights} == {id(v) for v in model.weights}  # trained weights stream as they are


def test_the_length_preset_runs_every_causal_model_on_the_tasks_streamed_here():
    assert expand_models(PRESETS["lengen"].models) == CAUSAL
    assert sorted(PRESETS["lengen"].task_params) == sorted(KIND_TASKS + OTHER_TASKS)
