"""Parameter budgets: each model's units chosen so its count lands at the budget, and runs that ask for one."""
import json

import numpy as np
import pytest

import tasks
import zoo
from zoo import budget
from zoo.bench.cli import main as cli_main
from zoo.bench.design.matrix import MatrixSpec, UsageError, build_trials, parse_sets
from zoo.bench.design.presets import merge_hparams
from zoo.budget import count_params, parse_params, units_for_params

MNIST = tasks.create_task("smnist").spec  # 784 steps of 1 pixel, 10 classes
MUSIC = tasks.create_task("jsb").spec  # 88 keys in, 88 out


@pytest.mark.parametrize("text,value", [("70000", 70_000), (70_000, 70_000), ("300k", 300_000), ("1.5M", 1_500_000),
                                        (" 16K ", 16_000), ("2.5k", 2_500)])
def test_parse_params(text, value):
    assert parse_params(text) == value


@pytest.mark.parametrize("text", ["abc", "0", "-5", "1.2345k", "3x", "", True])
def test_parse_params_rejects(text):
    with pytest.raises(ValueError, match="a parameter count"):
        parse_params(text)


@pytest.mark.parametrize("model_name,spec,budget_,hparams", [
    ("lstm", MNIST, 70_000, {}), ("gru", MNIST, 70_000, {}), ("rnn", MNIST, 70_000, {}),
    ("lstm", MUSIC, 300_000, {"num_layers": 2}), ("mingru", MUSIC, 30_000, {}), ("lru", MUSIC, 20_000, {}),
])
def test_the_units_land_closest_to_the_budget(model_name, spec, budget_, hparams):
    units = units_for_params(model_name, spec, budget_, **hparams)
    miss = {u: abs(count_params(model_name, spec, u, **hparams) - budget_) for u in (units - 1, units, units + 1)}
    assert miss[units] == min(miss.values()) and miss[units] <= 0.02 * budget_
    model = zoo.create_model(model_name, spec, params=budget_, **hparams)  # built at those units
    assert model.count_params() == count_params(model_name, spec, units, **hparams)


def test_bai_et_al_s_lstm_is_the_70k_budget_and_a_gru_gets_more_units():
    assert units_for_params("lstm", MNIST, 70_000) == 130  # Bai et al. 2018, Table 3: 1 layer x 130
    assert units_for_params("gru", MNIST, 70_000) > 130


def test_a_count_that_is_no_quadratic_is_bisected(monkeypatch):
    monkeypatch.setattr(budget, "count_params", lambda name, spec, units, **hparams: units ** 3 + 7)
    assert units_for_params("lstm", MNIST, 1_000_000) == 100
    assert units_for_params("lstm", MNIST, 3) == 1  # below the smallest model: the smallest


def test_params_and_units_together_is_an_error_and_a_later_size_replaces_an_earlier_one():
    with pytest.raises(ValueError, match="give params or units, not both"):
        zoo.check_model("gru", MUSIC, params=10_000, units=4)
    assert zoo.check_model("gru", MUSIC, params=10_000).params == 10_000
    assert merge_hparams({"units": 64, "dropout": 0.1}, {"params": 1_000}) == {"dropout": 0.1, "params": 1_000}
    assert merge_hparams({"params": 1_000}, {"units": 8}) == {"units": 8}
    assert merge_hparams({"units": 64}, {"dropout": 0.2}) == {"units": 64, "dropout": 0.2}


def test_set_model_params_parses_a_budget():
    assert parse_sets(["model.params=300k"])[1] == {"params": 300_000}
    with pytest.raises(UsageError, match=r"--set 'model.params=3x': expected a parameter count such as 70000"):
        parse_sets(["model.params=3x"])
    cells = build_trials(MatrixSpec(["lstm", "gru"], {"jsb": {}}, [0], {"params": 300_000, "num_layers": 2}))
    assert [c.hparams for c in cells] == [{"params": 300_000, "num_layers": 2}] * 2  # the budget is the config


def test_a_run_with_both_sizes_set_is_one_line(capsys):
    assert cli_main(["run", "--tasks", "adding", "--set", "model.params=5k", "--set", "model.units=4"]) == 2
    err = capsys.readouterr().err
    assert "give params or units, not both" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_run_records_the_budget_the_units_and_the_count(tmp_path):
    out = tmp_path / "run"
    code = cli_main(["run", "--preset", "smoke", "--models", "lstm,gru", "--tasks", "adding", "--seeds", "1",
                     "--set", "model.params=2k", "--out", str(out)])  # smoke's units=8 gives way to the budget
    assert code == 0
    records = {json.loads(p.read_text())["model"]: json.loads(p.read_text()) for p in (out / "cells").glob("*.json")}
    spec = tasks.create_task("adding").spec
    for model, record in records.items():
        assert record["config"]["hparams"] == {"params": 2_000}  # smoke's embedding_dim: token tasks only
        assert record["units"] == units_for_params(model, spec, 2_000)
        assert record["params"] == count_params(model, spec, record["units"]) and abs(record["params"] - 2_000) < 100
    assert records["gru"]["units"] > records["lstm"]["units"]


def test_a_seeded_model_has_the_same_weights_whether_its_size_was_counted_before_or_not():
    """Sizing a model by its budget builds models to count them (cached). If counting drew from the global
    random state, a seeded run first in its process (counts not cached) would start from other weights than the
    same run after it: the same seed would not give the same result."""
    import keras

    spec = zoo.Spec(zoo.InputSpec(length=5, features=3), zoo.OutputSpec("regression"))

    def weights():
        keras.utils.set_random_seed(1)
        return [w.copy() for w in zoo.create_model("deep_lstm", spec, params=2_000).get_weights()]

    budget._count.cache_clear()
    cold = weights()  # counts the candidate sizes after seeding
    warm = weights()  # every count cached
    assert len(cold) == len(warm) and all(np.array_equal(a, b) for a, b in zip(cold, warm))
