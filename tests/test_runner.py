"""The benchmark runner: smoke matrix end to end, resume after SIGKILL, divergence, failures, CLI errors."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zoo.bench import report, store
from zoo.bench.cli import main
from zoo.bench.matrix import MatrixSpec, build_cells
from zoo.bench.runner import run_matrix

CLI = [sys.executable, "-m", "zoo.bench.cli"]
TINY_ADDING = {"adding": dict(T=6, n_train=64, n_val=32, n_test=32)}
TINY_RECIPE = {"*": dict(epochs=2, batch_size=32, patience=1)}


def cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, **kwargs)


def tables(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("results.md", "results.csv", "results.json")}


def test_smoke_preset_end_to_end_and_report_rebuilds_byte_for_byte(tmp_path):
    import tasks
    import zoo

    have_imdb = bool(os.environ.get("RNN_ZOO_DATA"))
    task_names = ["adding", "copy", "imdb"] if have_imdb else ["adding", "copy"]
    out = tmp_path / "smoke"
    proc = cli("run", "--preset", "smoke", "--tasks", ",".join(task_names), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = store.load_cells(out)
    assert len(records) == len(zoo.list_models()) * len(task_names)
    assert {r["status"] for r in records} == {"completed"}
    assert {(r["model"], r["task"]) for r in records} == {(m, t) for m in zoo.list_models() for t in task_names}
    for r in records:
        assert r["epochs"] >= 1 and r["params"] > 0 and r["train_sequences_per_second"] > 0
        assert r["baseline"] == pytest.approx(tasks.create_task(r["task"], **r["config"]["task_params"]).baseline)
        assert r["environment"]["tensorflow"] and r["config_hash"]
    md = (out / "results.md").read_text()
    for t in task_names:
        assert f"## {t}" in md
    assert "| gru |" in md and "| peephole_lstm |" in md
    before = tables(out)
    for name in before:
        (out / name).unlink()
    assert cli("report", str(out)).returncode == 0
    assert tables(out) == before


def test_kill_9_loses_no_finished_cell_and_resume_skips_them(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--preset", "smoke", "--tasks", "adding", "--models", "rnn,gru,lstm,cifg_lstm,birnn,deep_rnn",
            "--out", str(out)]
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while len(list((out / "cells").glob("*.json"))) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.read_text() for p in (out / "cells").glob("*.json")}
    assert 2 <= len(finished) < 6, "kill came too late to test anything"
    for text in finished.values():
        assert json.loads(text)["status"] == "completed"  # no half-written cell file
    resumed = cli(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming: {len(finished)} of 6 cells already finished" in resumed.stderr
    after = {p.name: p.read_text() for p in (out / "cells").glob("*.json")}
    assert len(after) == 6
    for name, text in finished.items():
        assert after[name] == text  # not re-run
    assert not list(out.rglob(f"*{store.TMP_SUFFIX}"))
    assert (out / "results.md").read_text().count("| 1/1 |") + (out / "results.md").read_text().count("| 0/1 |") == 6


def test_ctrl_c_marks_the_running_cell_interrupted_and_exits_130(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--preset", "smoke", "--tasks", "adding", "--models", "rnn,lstm", "--set", "adding.n_train=20000",
            "--set", "recipe.epochs=50", "--set", "recipe.patience=50", "--out", str(out)]
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (out / "run.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(8)  # well into the first cell's training
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    statuses = {r["model"]: r["status"] for r in store.load_cells(out)}
    assert "interrupted" in statuses.values()
    assert "resume" in err


def tiny_cells(models, recipe=None, hparams=None):
    spec = MatrixSpec(models, TINY_ADDING, [0], hparams or {"units": 4}, {}, recipe or TINY_RECIPE)
    return build_cells(spec)


def test_diverging_cell_is_marked_and_the_matrix_goes_on(tmp_path):
    cells = tiny_cells(["rnn", "gru"])
    bad = tiny_cells(["lstm"], recipe={"*": dict(epochs=2, batch_size=32, optimizer="sgd", learning_rate=1e30,
                                                 clipnorm=None)})
    code = run_matrix(cells + bad, tmp_path, stream=open(os.devnull, "w"))
    assert code == 0
    status = {r["model"]: r for r in store.load_cells(tmp_path)}
    assert status["lstm"]["status"] == "diverged" and "non-finite" in status["lstm"]["error"]
    assert status["rnn"]["status"] == status["gru"]["status"] == "completed"
    assert "1 diverged" in (tmp_path / "results.md").read_text()


def test_failing_builder_is_marked_failed_and_the_matrix_goes_on(tmp_path):
    cells = tiny_cells(["rnn"]) + tiny_cells(["gru"], hparams={"units": 0}) + tiny_cells(["lstm"])
    code = run_matrix(cells, tmp_path, stream=open(os.devnull, "w"))
    assert code == 1
    status = {r["model"]: r for r in store.load_cells(tmp_path)}
    assert status["gru"]["status"] == "failed"
    assert "units must be an integer >= 1, got 0" in status["gru"]["error"]
    assert "Traceback" in status["gru"]["traceback"]
    assert status["rnn"]["status"] == status["lstm"]["status"] == "completed"
    # a resumed run retries the failed cell, keeps the others
    kept = (tmp_path / "cells" / f"{cells[0].cell_id}.json").read_text()
    assert run_matrix(cells, tmp_path, stream=open(os.devnull, "w")) == 1
    assert (tmp_path / "cells" / f"{cells[0].cell_id}.json").read_text() == kept


def test_resume_refuses_cells_from_a_different_config(tmp_path):
    assert run_matrix(tiny_cells(["rnn"]), tmp_path, stream=open(os.devnull, "w")) == 0
    other = tiny_cells(["rnn"], hparams={"units": 5})
    with pytest.raises(ValueError, match="from a different config"):
        run_matrix(other, tmp_path, stream=open(os.devnull, "w"))


def test_same_seed_same_result_on_cpu(tmp_path):
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run_matrix(tiny_cells(["gru", "peephole_lstm"]), out, stream=open(os.devnull, "w")) == 0
    for ra, rb in zip(store.load_cells(a), store.load_cells(b)):
        assert ra["test"] == rb["test"] and ra["history"] == rb["history"]
    other = build_cells(MatrixSpec(["gru"], TINY_ADDING, [1], {"units": 4}, {}, TINY_RECIPE))
    run_matrix(other, tmp_path / "c", stream=open(os.devnull, "w"))
    assert store.load_cells(tmp_path / "c")[0]["test"] != store.load_cells(a)[0]["test"]


@pytest.mark.parametrize("args,message", [
    (["run", "--models", "lstmm"], "--models: 'lstmm' matches no model; known models: bigru"),
    (["run", "--tasks", "adding,sorting"], "--tasks: unknown task 'sorting'; known tasks: adding, copy, imdb"),
    (["run", "--preset", "huge"], "--preset 'huge' is unknown; valid: smoke, quick, paper"),
    (["run", "--set", "adding.T"], "--set 'adding.T': expected TASK.PARAM=VALUE"),
    (["run", "--set", "adding.length=5"], "unknown parameter 'length' for task 'adding'; valid: T, n_train"),
    (["run", "--set", "adding.T=abc"], "adding.T='abc' is not a valid int"),
    (["run", "--set", "model.unitz=5"], "unknown hyperparameter 'unitz'; valid: units"),
    (["run", "--seeds", "two"], "--seeds 'two': expected a count"),
    (["run", "--tasks", "imdb", "--set", "imdb.data_dir=/nonexistent"], "imdb.data_dir=/nonexistent holds no aclImdb"),
    (["report", "/nonexistent"], "/nonexistent holds no cell files"),
    (["run", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_cli_input_exits_2_with_one_line(args, message, capsys):
    try:
        code = main(args)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_console_script_exit_code_for_bad_input():
    proc = cli("run", "--models", "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("known models: bigru, bilstm, birnn, cifg_lstm, deep_gru, deep_lstm, "
                                        "deep_rnn, gru, lstm, peephole_lstm, rnn")


def test_list_shows_models_tasks_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "peephole_lstm" in out and "copy" in out and "smoke" in out and "paper" in out


def test_a_cells_result_does_not_depend_on_the_cells_run_before_it(tmp_path):
    """Resuming or running a subset must reproduce the full run's numbers (shared data, fresh shuffles)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    full = tiny_cells(["rnn", "gru", "lstm"])
    assert run_matrix(full, tmp_path / "full", stream=open(os.devnull, "w")) == 0
    alone = tiny_cells(["lstm"])
    assert run_matrix(alone, tmp_path / "alone", stream=open(os.devnull, "w")) == 0
    by_model = {r["model"]: r for r in store.load_cells(tmp_path / "full")}
    (single,) = store.load_cells(tmp_path / "alone")
    assert single["history"] == by_model["lstm"]["history"] and single["test"] == by_model["lstm"]["test"]


@pytest.mark.parametrize("preset", ["quick", "paper"])
def test_every_cell_of_a_preset_builds_its_model(preset):
    """A typo in a preset meant for a long or GPU run should fail here, not an hour into it."""
    import tasks
    import zoo
    from zoo.bench.cli import build_parser, matrix_from_args
    from zoo.bench.presets import PRESETS

    cells = matrix_from_args(build_parser().parse_args(["run", "--preset", preset]))
    instances = {(c.task, json.dumps(c.task_params, sort_keys=True)) for c in cells}
    assert len(cells) == len(zoo.list_models()) * len(instances) * PRESETS[preset].seeds
    built = set()
    for c in cells:
        key = (c.model, c.task, json.dumps(c.task_params, sort_keys=True), json.dumps(c.hparams, sort_keys=True))
        if key in built:  # seeds differ only in their seed
            continue
        built.add(key)
        task = tasks.create_task(c.task, **c.task_params)
        model = zoo.create_model(c.model, task.spec, **c.hparams)
        assert model.count_params() > 0
