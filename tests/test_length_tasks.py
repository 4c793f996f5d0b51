"""Length-generalisation tasks: each generator against a brute-force reference, the token layout, the mixed-length
training batches, per-length test sets, the per-sequence accuracy, and every model at lengths it was not built for."""
import keras
import numpy as np
import pytest

import tasks
import zoo
from conftest import quick
from tasks.batches import Batches
from tasks.context_free import END, POP, PUSH_0
from tasks.lengths import FIRST, IGNORE, PAD, QUERY, SequenceAccuracy, length_stream, sequence_accuracy
from tasks.recall import power_law_gaps

CHOMSKY = ["even_pairs", "parity_check", "cycle_navigation", "modular_arithmetic", "stack_manipulation",
           "reverse_string", "modular_arithmetic_brackets", "solve_equation", "duplicate_string", "bucket_sort"]
LENGTH_TASKS = CHOMSKY + ["selective_copy", "associative_recall"]
SMALL = dict(n_train=64, n_val=32, n_test=8)


def sample(name, n, length, seed=0, **params):
    return tasks.create_task(name, **params).sample(n, length, np.random.default_rng(seed))


def expression_text(symbols) -> str:
    """Symbols of the arithmetic tasks as Python source: digits, + - * ( ), x, =."""
    return "".join("0123456789"[s] if s < 5 else "+-*()x="[s - 5] for s in symbols)


@pytest.mark.parametrize("length", [1, 2, 7])
def test_regular_tasks_against_loops(length):
    strings, answers = sample("even_pairs", 50, length)
    np.testing.assert_array_equal(answers, [sum(a != b for a, b in zip(s, s[1:])) % 2 for s in strings])
    np.testing.assert_array_equal(answers, strings[:, 0] != strings[:, -1])  # the paper's shortcut
    strings, answers = sample("parity_check", 50, length)
    np.testing.assert_array_equal(answers, [sum(s) % 2 for s in strings])
    moves, answers = sample("cycle_navigation", 50, length)
    for row, answer in zip(moves, answers):
        position = 0
        for move in row:
            position = (position + {0: -1, 1: 0, 2: 1}[move]) % 5
        assert answer == position


@pytest.mark.parametrize("length", [1, 2, 3, 8, 13])
def test_modular_arithmetic_is_python_arithmetic_mod_5(length):
    expressions, answers = sample("modular_arithmetic", 300, length)
    assert expressions.shape[1] == length - (1 - length % 2)  # even lengths lose a symbol, as in their code
    for row, answer in zip(expressions, answers):
        text = expression_text(row)
        assert text[0::2].isdigit() and set(text[1::2]) <= set("+-*")
        assert answer == eval(text) % 5, text  # * before + and -
    assert set(answers) == {0, 1, 2, 3, 4} or length < 3


@pytest.mark.parametrize("length", [1, 2, 4, 5, 9, 23])
def test_bracketed_arithmetic_is_python_arithmetic_mod_5(length):
    expressions, answers = sample("modular_arithmetic_brackets", 200, length)
    assert expressions.shape == (200, length)
    for row, answer in zip(expressions, answers):
        text = expression_text(row)
        assert answer == eval(text) % 5, text
        depth = np.cumsum([{"(": 1, ")": -1}.get(c, 0) for c in text])
        assert depth.min() >= 0 and depth[-1] == 0
    if length >= 9:
        assert any("*" in expression_text(row) for row in expressions)  # mult=True, as the paper's runs


@pytest.mark.parametrize("length", [1, 2, 3, 6, 15])
def test_solve_equation_answer_is_the_one_solution(length):
    equations, answers = sample("solve_equation", 200, length)
    assert equations.shape == (200, length)
    if length < 3:  # their placeholder: zeros in, zero out
        assert not equations.any() and not answers.any()
        return
    for row, answer in zip(equations, answers):
        text = expression_text(row)
        left, right = text.split("=")
        assert text.count("x") == 1 and "*" not in text and right.isdigit()
        fits = [d for d in range(5) if eval(left.replace("x", str(d))) % 5 == int(right)]
        assert fits == [answer], text


def test_stack_manipulation_against_a_python_stack():
    for length in (1, 2, 9, 30):
        inputs, answers = sample("stack_manipulation", 100, length)
        assert answers.shape == (100, length + 1)
        for row, answer in zip(inputs, answers):
            size = next((i for i, s in enumerate(row) if s >= POP), length)  # actions come after the 0/1 stack
            assert size >= 1 and set(row[size:]) <= {2, 3, 4}
            stack = list(row[:size])
            for action in row[size:]:
                if action == POP:
                    stack = stack[:-1]
                else:
                    stack.append(action - PUSH_0)
            expected = stack[::-1] + [END]
            np.testing.assert_array_equal(answer[: len(expected)], expected)
            assert (answer[len(expected):] == IGNORE).all()  # nothing scored after the termination token


def test_string_transductions():
    strings, answers = sample("reverse_string", 20, 7)
    np.testing.assert_array_equal(answers, strings[:, ::-1])
    strings, answers = sample("duplicate_string", 20, 7)
    np.testing.assert_array_equal(answers, np.hstack([strings, strings]))
    strings, answers = sample("bucket_sort", 20, 9)
    assert strings.max() == 4 and all(sorted(s) == list(a) for s, a in zip(strings, answers))


def test_selective_copy_keeps_the_data_symbols_in_order():
    inputs, answers = sample("selective_copy", 50, 30, tokens=5, alphabet=6)
    noise = 6
    for row, answer in zip(inputs, answers):
        np.testing.assert_array_equal(row[row != noise], answer)  # the 5 data symbols, in order
    assert answers.max() < 6 and len({tuple(np.flatnonzero(r != noise)) for r in inputs}) > 40  # positions vary


def test_associative_recall_asks_each_key_once_and_answers_its_value():
    task = tasks.create_task("associative_recall", pairs=3, vocab=20)
    x, y = task.examples(100, 24, np.random.default_rng(0))
    tokens = x - FIRST
    for row, target in zip(tokens, y):
        keys, values = row[0:6:2], row[1:6:2]
        assert len(set(keys)) == 3 and len(set(values)) == 3
        assert (1 <= keys).all() and (keys < 10).all() and (10 <= values).all() and (values < 20).all()
        asked = np.flatnonzero(target != IGNORE)
        assert len(asked) == 3 and (asked >= 6).all() and ((asked - 6) % 2 == 0).all()
        pair = dict(zip(keys, values))
        assert sorted(row[asked]) == sorted(keys) and all(target[t] == pair[row[t]] for t in asked)


def test_power_law_gaps_are_distinct_and_favour_short_gaps():
    gaps = power_law_gaps(2000, 50, 4, 0.01, np.random.default_rng(0))
    assert all(len(set(g)) == 4 for g in gaps) and gaps.min() >= 0 and gaps.max() < 50
    counts = np.bincount(gaps.ravel(), minlength=50)
    assert counts[0] > counts[10] > counts[49]  # p(i) ~ (i + 1)^-0.99
    uniform = power_law_gaps(4000, 10, 1, 1.0, np.random.default_rng(1))  # a = 1: uniform
    assert np.bincount(uniform.ravel()).min() > 300


@pytest.mark.parametrize("name", LENGTH_TASKS)
def test_layout_inputs_then_one_query_per_answer(name):
    task = tasks.create_task(name, **SMALL)
    length = max(task.min_length, 16)
    x, y = task.examples(5, length, np.random.default_rng(0))
    assert x.dtype == np.int32 and x.min() >= QUERY and x.max() < task.spec.input.vocab_size  # no padding
    assert y.max() < task.classes
    if name == "associative_recall":  # answers inside the input: no query steps
        assert x.shape == y.shape == (5, length) and x.min() >= FIRST
    elif task.answers == "one":
        assert y.shape == (5, 1) and (x[:, -1] == QUERY).all() and (x[:, :-1] >= FIRST).all()
    else:
        steps = x.shape[1] - (x[0] == QUERY).sum()
        assert (x[:, :steps] >= FIRST).all() and (x[:, steps:] == QUERY).all()
        assert (y[:, :steps] == IGNORE).all() and (y[:, steps:] != IGNORE).any(axis=1).all()


def test_mixed_lengths_are_padded_and_batched_in_buckets():
    task = tasks.create_task("reverse_string", max_length=12, buckets=3, **SMALL)
    x, y, widths = task.mixed(400, np.random.default_rng(0))
    np.testing.assert_array_equal((x != PAD).sum(1), widths)  # all padding at the end
    assert set((widths - 1) // 2 + 1) == set(range(1, 13))  # width = input + as many queries
    assert ((y == IGNORE) | (x != PAD)).all()
    batches = Batches(x, y, 32, seed=0, lengths=widths, bucket_width=8)  # widths 8, 16, 24 (and 24 = x's width)
    seen = set()
    for i in range(len(batches)):
        bx, by = batches[i]
        assert bx.shape == by.shape and bx.shape[1] in (8, 16, 24) and bx.shape[1] >= (bx != PAD).sum(1).max()
        seen.add(bx.shape[1])
    assert seen == {8, 16, 24}
    gx, gy = task.generate(10, np.random.default_rng(0))  # one padded array, for `rnn-zoo bench`
    assert gx.shape == gy.shape and gx.shape[0] == 10 and (gx[:, 0] >= FIRST).all()


def test_splits_test_each_length_apart_and_reproducibly():
    task = tasks.create_task("bucket_sort", max_length=10, test_lengths="5 10 30", **SMALL)
    splits = task.data(seed=3, batch_size=16)
    assert splits.test is None and sorted(splits.by_length) == [5, 10, 30]
    assert splits.sizes == {"train": 64, "val": 32, "test": 24}
    for length, batches in splits.by_length.items():
        x, y = batches[0]
        assert x.shape == (8, 2 * length)
    again = task.data(seed=3, batch_size=16)
    np.testing.assert_array_equal(again.by_length[30].x, splits.by_length[30].x)
    np.testing.assert_array_equal(again.train.x, splits.train.x)
    other = tasks.create_task("bucket_sort", max_length=10, test_lengths="30 60", **SMALL).data(seed=3)
    np.testing.assert_array_equal(other.by_length[30].x, splits.by_length[30].x)  # whichever lengths beside it
    assert not np.array_equal(task.data(seed=4).by_length[30].x, splits.by_length[30].x)
    np.testing.assert_array_equal(task.examples(8, 30, length_stream(3, 30))[0], splits.by_length[30].x)


def test_sequence_accuracy_is_per_sequence_then_averaged():
    y = np.array([[IGNORE, 1, 0, 1], [IGNORE, IGNORE, IGNORE, 2]])
    guess = np.array([[0, 1, 1, 1], [2, 2, 2, 0]])  # 2 of 3, then 0 of 1
    np.testing.assert_allclose(sequence_accuracy(y, guess), [2 / 3, 0.0])
    metric = SequenceAccuracy()
    metric.update_state(y, keras.ops.one_hot(guess, 3))
    assert float(metric.result()) == pytest.approx(1 / 3)  # not 2/4, the share of all scored tokens
    one = SequenceAccuracy()
    one.update_state(np.array([[1], [0], [2]]), np.eye(3)[[1, 1, 2]])  # classes: one answer each
    assert float(one.result()) == pytest.approx(2 / 3)


@pytest.mark.parametrize("name,chance", [("parity_check", 0.5), ("even_pairs", 0.5), ("reverse_string", 0.5),
                                         ("bucket_sort", 0.2), ("cycle_navigation", 0.2)])
def test_baseline_is_the_best_single_class(name, chance):
    assert tasks.create_task(name).baseline == pytest.approx(chance, abs=0.02)


@pytest.mark.parametrize("params,message", [
    (dict(test_lengths="10 20"), "must reach beyond max_length=40"),
    (dict(test_lengths="50,100"), "integers separated by spaces"),
    (dict(test_lengths="0 50"), "distinct lengths >= 1"),
    (dict(min_length=50), "need 1 <= min_length <= max_length"),
])
def test_bad_lengths_are_rejected(params, message):
    with pytest.raises(ValueError, match=message):
        tasks.create_task("parity_check", **params)
    with pytest.raises(ValueError, match="need 16 <= min_length"):
        tasks.create_task("associative_recall", min_length=8)


# every model, built once for any length, predicts at two lengths and ignores right padding
@pytest.mark.parametrize("model_name,task_name", quick(
    [(m, t) for m in zoo.list_models() for t in ("parity_check", "reverse_string")],
    [("gru", "parity_check"), ("mingru", "reverse_string"), ("peephole_lstm", "reverse_string")]))
def test_every_model_runs_at_any_length(model_name, task_name):
    task = tasks.create_task(task_name, **SMALL)
    assert task.spec.input.length is None
    model = zoo.create_model(model_name, task.spec, units=4, embedding_dim=3)
    for length in (3, 11):
        x, _ = task.examples(2, length, np.random.default_rng(length))
        whole = model.predict(x, verbose=0)
        padded = model.predict(np.pad(x, ((0, 0), (0, 5))), verbose=0)
        np.testing.assert_allclose(padded[:, : x.shape[1]] if whole.ndim == 3 else padded, whole, atol=1e-5)


@pytest.mark.parametrize("name", quick(LENGTH_TASKS, ["reverse_string", "associative_recall"]))
def test_every_length_task_trains_a_model_one_step(name):
    task = tasks.create_task(name, **SMALL)
    model = zoo.create_model("mingru", task.spec, units=4, embedding_dim=3)
    model.compile(keras.optimizers.Adam(1e-3), task.loss(), metrics=task.metrics())
    splits = task.data(seed=0, batch_size=32)
    logs = model.train_on_batch(*splits.train[0], return_dict=True)
    assert np.isfinite(logs["loss"]) and 0 <= logs["accuracy"] <= 1
