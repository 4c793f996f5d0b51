"""rnn-zoo tune: the search space, exact trial counts, dead trials retried, resumes, shared studies, errors."""
import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import tasks
import zoo
from zoo.bench.experiment import compare, tune, tune_final
from zoo.bench.design import search_space
from zoo.bench.execution import store
from zoo.bench.cli import main
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.train import base_record

PARAMS = {"T": 4, "n_train": 32, "n_val": 16, "n_test": 16}
CELL = Trial("lstm", "adding", PARAMS, 0, {"params": 120}, {"batch_size": 16, "epochs": 3, "patience": 3,
            "optimizer": "adam", "learning_rate": 3e-3, "clipnorm": None}, "adding(T=4)", "jax 0.0")


def fake_train_one(cell, settings, data, stop_requested=lambda: False, callbacks=()):
    """Stands in for training: a validation mse per epoch that is best at learning rate 3e-3, told to the
    callbacks as Keras would, and a scored record."""
    class Model:
        stop_training = False

    score = 0.01 + abs(math.log10(cell.recipe["learning_rate"] / 3e-3)) / 10
    history = []
    for cb in callbacks:
        cb.set_model(Model())
    for epoch in range(cell.recipe["epochs"]):
        history.append(score * (1 + 1 / (epoch + 1)))
        for cb in callbacks:
            cb.on_epoch_end(epoch, {"val_mse": history[-1]})
        if any(cb.model.stop_training for cb in callbacks):
            break
    return base_record(
        cell, "completed", error=None, wall_seconds=0.01, metric="mse", higher_is_better=False,
        test={"mse": history[-1]}, test_metric=history[-1], best_val_metric=min(history), baseline=1 / 6,
        solved_rule="mse <= 0.01", solved=False, epochs_to_solve=None, history={"val_mse": history},
        epochs=len(history), params=100, epoch_seconds=[0.01] * len(history), seconds_per_epoch=0.01,
        train_sequences_per_second=None, n_train=32, cudnn="not eligible")


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(tune, "train_one", fake_train_one)


def load(out: Path, cell: Trial = CELL) -> optuna.Study:
    return optuna.load_study(study_name=tune.study_name(cell), storage=tune.storage_for(out, None))


def states(study: optuna.Study) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in study.trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return counts


def test_the_search_space_follows_what_each_model_takes_and_never_its_units():
    spec = tasks.create_task("adding", T=4).spec
    assert "gate_init" in search_space.space("lstm", spec) and "gate_init" not in search_space.space("rnn", spec)
    assert {"r_max", "r_min_fraction"} <= set(search_space.space("lru", spec))
    assert not {"units", "params"} & set(search_space.space("lru", spec))
    hparams, recipe = search_space.suggest(optuna.trial.FixedTrial(
        {"learning_rate": 1e-3, "optimizer": "sgd", "batch_size": 16, "clipnorm": 0.0, "dropout": 0.1,
         "num_layers": 2, "r_max": 0.99, "r_min_fraction": 0.5}), search_space.space("lru", spec), 32)
    assert recipe["clipnorm"] is None and hparams["r_min"] < hparams["r_max"] and "units" not in hparams
    # batch sizes around the run's own: JSB's batches of 4 are not searched at 64 or 128
    assert search_space.batch_sizes(4) == [2, 4, 8, 16] and search_space.batch_sizes(32) == [16, 32, 64, 128]
    assert search_space.batch_sizes(1) == [1, 2, 4]


def unnamed(config):
    """A model's config without its layers' automatic names (lru_cell_11 in one build, lru_cell_16 in the next)."""
    if isinstance(config, dict):
        return {k: unnamed(v) for k, v in config.items() if k != "name"}
    return [unnamed(v) for v in config] if isinstance(config, (list, tuple)) else config


@pytest.mark.parametrize("model", ["lstm", "deep_gru", "lru", "rnn"])
def test_the_default_draws_replay_the_default_recipe_and_its_model(model):
    spec = tasks.create_task("adding", T=4).spec
    draws = search_space.default_draws(model, spec, {"params": 120}, CELL.recipe)
    hparams, recipe = search_space.suggest(optuna.trial.FixedTrial(draws), search_space.space(model, spec), 16)
    assert {k: recipe[k] for k in ("learning_rate", "optimizer", "batch_size", "clipnorm")} == \
        {k: CELL.recipe[k] for k in ("learning_rate", "optimizer", "batch_size", "clipnorm")}
    built, default = (zoo.create_model(model, spec, **{"params": 120, **h}).get_config() for h in (hparams, {}))
    assert unnamed(built) == unnamed(default)
    with pytest.raises(ValueError, match=r"outside the search space \(learning_rate 0.5\)"):
        search_space.default_draws(model, spec, {"params": 120}, {**CELL.recipe, "learning_rate": 0.5})


def test_a_new_study_starts_from_the_default_recipe_once(tmp_path, fake):
    tune.work([CELL], tmp_path, 4, None, "tpe", "median", 0, lambda: False, None, default_first=True)
    tune.work([CELL], tmp_path, 6, None, "tpe", "median", 1, lambda: False, None, default_first=True)
    trials = load(tmp_path).get_trials(states=tune.FINISHED)
    assert len(trials) == 6 and [t.number for t in trials if t.user_attrs.get("default_recipe")] == [0]
    assert trials[0].params["learning_rate"] == CELL.recipe["learning_rate"] and trials[0].params["clipnorm"] == 0.0


def test_a_study_ends_with_exactly_its_trials_each_a_record(tmp_path, fake):
    tune.work([CELL], tmp_path, 8, None, "tpe", "median", 0, lambda: False, None)
    study = load(tmp_path)
    finished = study.get_trials(states=tune.FINISHED)
    assert len(finished) == 8 and "RUNNING" not in states(study)
    records = {r.tuning["trial"]: r for r in store.load_cells(tmp_path)}
    assert sorted(records) == [t.number for t in finished]
    assert {r.tuning["state"] for r in records.values()} <= {"complete", "pruned"}
    assert all(r.config.hparams["params"] == 120 and r.seed == tune.TUNING_SEED for r in records.values())
    tune.work([CELL], tmp_path, 8, None, "tpe", "median", 0, lambda: False, None)  # the same command again
    assert len(load(tmp_path).trials) == 8  # nothing more
    tune.work([CELL], tmp_path, 10, None, "random", "median", 1, lambda: False, None)  # a bigger budget adds
    assert len(load(tmp_path).get_trials(states=tune.FINISHED)) == 10


def test_a_trial_left_running_by_a_dead_process_is_failed_and_its_parameters_tried_again(tmp_path, fake):
    study = tune.open_study(tune.storage_for(tmp_path, None), CELL, False, "tpe", "median", 0)
    dead = tune.ask(study, tmp_path, 3)
    dead.suggest_float("learning_rate", *search_space.LEARNING_RATE, log=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    study._storage.set_trial_system_attr(dead._trial_id, "pid", gone.pid)  # a process that has ended
    tune.work([CELL], tmp_path, 3, None, "tpe", "median", 0, lambda: False, None)
    study = load(tmp_path)
    assert states(study) == {"FAIL": 1, "COMPLETE": 3}
    (retry,) = [t for t in study.trials if t.user_attrs.get("retry_of") == dead.number]
    assert retry.params["learning_rate"] == study.trials[dead.number].params["learning_rate"]


def test_fresh_seeds_replay_the_best_trial_and_the_report_ranks_importance(tmp_path, fake):
    tune.work([CELL], tmp_path, 6, None, "random", "none", 0, lambda: False, None)
    tuned, default = tune_final.final_trials([CELL], tmp_path, None, 3)
    best = load(tmp_path).best_trial
    assert [c.seed for c in tuned] == [1, 2, 3] == [c.seed for c in default]  # never the tuning seed
    assert tuned[0].recipe["learning_rate"] == best.params["learning_rate"]
    assert default[0].recipe == CELL.recipe and default[0].hparams["params"] == 120
    paths = tune_final.report(tmp_path)
    text = (tmp_path / "tuning.md").read_text()
    assert "6 finished trials" in text and "| learning_rate |" in text
    (summary,) = json.loads((tmp_path / store.TUNE_SUMMARY).read_text())  # the same, for the results index
    assert summary["finished"] == 6 and summary["best_trial"] == best.number and summary["model"] == CELL.model
    assert summary["best_params"] == best.params and f"Best: {best.value:.4g} (trial {best.number})" in text
    assert all(f"| {k} | {v:.3f} |" in text for k, v in summary["importance"].items())
    assert any(p.name.endswith("importance.png") for p in paths)


def test_compare_names_tuned_verdicts_beside_the_default_recipe():
    rows = [{"label": "adding(T=4)", "verdict": "GRU better: ..."}, {"label": "copy(T=4)", "verdict": "equivalent"}]
    assert compare.tuned_lines(rows, [{"label": "adding(T=4)", "verdict": "LSTM better: ..."}]) == [
        "adding(T=4): tuned: GRU better: ...; default recipe: LSTM better: ...",
        "copy(T=4): tuned: equivalent; no default-recipe run"]


def test_the_default_recipe_verdict_beside_a_tuned_one_is_tested_at_its_own_runs_level(capsys):
    """results/tune-imdb/default took --add-seeds rounds to 30 seeds a side: its last look is tested at the
    group-sequential level (Welch p 0.021 > 0.017), so beside the tuned verdict it is undecided, as alone."""
    run = Path(__file__).resolve().parents[1] / "results" / "tune-imdb"
    assert main(["compare", "lstm", "gru", "--run", str(run / "default")]) == 0
    alone = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["compare", "lstm", "gru", "--run", str(run / "final")]) == 0
    beside = capsys.readouterr().out.strip().splitlines()[-1].split("; default recipe: ", 1)[1]
    assert beside.startswith("undecided") and "tested at 0.017" in beside
    assert alone.split(": ", 1)[1] == beside


@pytest.mark.parametrize("argv, message", [
    (["--trials", "0"], "--trials 0: expected an integer >= 1"),
    (["--seeds", "-1"], "--seeds -1: expected a count >= 0"),
    (["--storage", "tune.db"], "--storage 'tune.db': expected a database URL"),
    (["--jobs", "0"], "--jobs 0: expected an integer >= 1"),
    (["--address", "h:1"], "--address needs --executor ray"),
    (["--preset", "nope"], "--preset 'nope' is unknown"),
    (["--models", "nope"], "--models: 'nope' matches no model"),
    (["--sampler", "grid"], "argument --sampler: invalid choice"),
])
def test_bad_values_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    try:
        code = main(["tune", "--preset", "smoke", "--tasks", "adding", "--out", str(tmp_path / "t"), *argv])
    except SystemExit as exit_:  # argparse's own refusals
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_report_of_a_folder_without_a_study_is_one_line(tmp_path, capsys):
    assert main(["tune", "--report", str(tmp_path)]) == 2
    assert "holds no study" in capsys.readouterr().err


def test_a_trial_never_evaluates_the_test_split_and_report_points_a_tune_folder_elsewhere(tmp_path, monkeypatch,
                                                                                           capsys):
    """Real training, two trials: each is scored on validation alone; evaluating any split after training
    (the test split, or a length task's test lengths) would raise here."""
    from zoo.bench.execution import train

    def no_test(*_):
        raise AssertionError("a tuning trial evaluated the test split")

    monkeypatch.setattr(train, "evaluate", no_test)
    cell = dataclasses.replace(CELL, backend=None)  # CELL's backend is a stand-in's
    tune.work([cell], tmp_path, 2, None, "random", "none", 0, lambda: False, None)
    records = store.load_cells(tmp_path)
    assert len(records) == 2 and all(r.status == "completed" for r in records)
    for r in records:
        assert r.test == {} and r.test_metric is None and r.solved is None and r.test_by_length is None
        assert math.isfinite(r.best_val_metric) and r.tuning["value"] == r.best_val_metric
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a tune folder, whose trials are never tested" in err and len(err.strip().splitlines()) == 1


TINY = ["tune", "--preset", "smoke", "--models", "lstm", "--tasks", "adding", "--set", "adding.T=4",
        "--set", "adding.n_train=32", "--set", "adding.n_val=16", "--set", "adding.n_test=16",
        "--set", "model.params=120", "--set", "recipe.epochs=1", "--set", "recipe.batch_size=16"]


def _tune(out: Path, *more: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.Popen([sys.executable, "-m", "zoo", *TINY, "--out", str(out), *more], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _tiny_cell() -> Trial:
    return Trial("lstm", "adding", {**tasks.create_task("adding", T=4, n_train=32, n_val=16, n_test=16).params},
                0, {}, {}, "adding(T=4)")


@pytest.mark.slow
def test_kill_9_mid_study_then_the_same_command_ends_with_exactly_its_trials(tmp_path):
    proc = _tune(tmp_path, "--trials", "4")
    deadline = time.time() + 300

    def running() -> list:  # a trial after the first one, mid-training
        if not (tmp_path / tune.JOURNAL).is_file() or not list(store.cells_dir(tmp_path).glob("*.json")):
            return []
        try:
            return [t for t in load(tmp_path, _tiny_cell()).get_trials(states=(TrialState.RUNNING,)) if t.number]
        except KeyError:  # the study is not created yet
            return []

    while time.time() < deadline and not running():
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (killed,) = running()
    again = _tune(tmp_path, "--trials", "4")
    assert again.wait(timeout=600) == 0, again.stderr.read()
    study = load(tmp_path, _tiny_cell())
    assert len(study.get_trials(states=tune.FINISHED)) == 4
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    assert study.trials[killed.number].state == TrialState.FAIL  # failed at once: its pid is gone
    assert [t.user_attrs["retry_of"] for t in study.trials if "retry_of" in t.user_attrs] == [killed.number]
    numbers = {r.tuning["trial"] for r in store.load_cells(tmp_path)}
    assert {t.number for t in study.get_trials(states=tune.FINISHED)} <= numbers


@pytest.mark.slow
def test_two_processes_share_a_study(tmp_path):
    proc = _tune(tmp_path, "--trials", "4", "--jobs", "2")
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    study = load(tmp_path, _tiny_cell())
    assert len(study.get_trials(states=tune.FINISHED)) == 4 and len(study.trials) == 4
    assert len({t.system_attrs["pid"] for t in study.trials}) == 2  # both worked on it
