"""The benchmark runner and the `rnn-zoo` command: smoke matrix end to end, resume after SIGKILL,
divergence, failures, determinism, reporters, precedence of --set, bad input, start-up."""
import dataclasses
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import quick
from zoo.bench.execution import store
from zoo.bench.cli import build_parser, main
from zoo.bench.experiment.experiment import matrix_from_args
from zoo.bench.design.matrix import MatrixSpec, build_trials, parse_sets
from zoo.bench.reporting.reporters import Progress, TablesReporter
from zoo.bench.execution.runner import run_matrix
from zoo.bench.execution.train import base_record

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "zoo"]
TINY_ADDING = {"adding": dict(T=6, n_train=64, n_val=32, n_test=32)}
TINY_RECIPE = {"*": dict(epochs=2, batch_size=32, patience=1)}
TINY_SETS = ["--set", "adding.T=6", "--set", "adding.n_train=64", "--set", "adding.n_val=32",
             "--set", "adding.n_test=32", "--set", "model.units=4"]


def cli(*args, cwd=REPO, env=None, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env, **kwargs)


def run(cells, out: Path) -> int:
    """run_matrix with the tables and progress lines the CLI gives it, the lines kept in memory."""
    return run_matrix(cells, out, reporters=[TablesReporter(out), Progress(out, io.StringIO())])


def cells_of(*args):
    return matrix_from_args(build_parser().parse_args(["run", *args]))


def tables(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("results.md", "results.csv", "results.json")}


@pytest.mark.slow
def test_smoke_preset_end_to_end_and_report_rebuilds_byte_for_byte(tmp_path):
    """Also: without --out a run writes to runs/PRESET (ignored by git), says so first, and ends with its files."""
    import tasks
    import zoo

    have_imdb = bool(os.environ.get("RNN_ZOO_DATA"))
    task_names = ["adding", "copy", "imdb"] if have_imdb else ["adding", "copy"]
    proc = cli("run", "--preset", "smoke", "--tasks", ",".join(task_names), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "runs" / "smoke"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]
    assert proc.stderr.index(f"results go to {Path('runs', 'smoke')}/") < proc.stderr.index("[1/")
    written = proc.stdout.split()  # the figures, then the tables
    assert written[-3:] == [str(Path("runs", "smoke", n)) for n in ("results.md", "results.csv", "results.json")]
    assert all((tmp_path / p).is_file() for p in written) and any(p.endswith(".png") for p in written)
    records = store.load_cells(out)
    twin = ("attention_bilstm", "copy")  # bilstm's network on a per-step head: not trained twice
    assert {r.status for r in records} == {"completed"}
    assert sorted((r.model, r.task) for r in records) == sorted(
        (m, t) for m in zoo.list_models() for t in task_names if (m, t) != twin)
    assert "Not run: copy(T=5): skipping attention_bilstm: the same network as bilstm here" in (out / "results.md").read_text()
    for r in records:
        assert r.epochs >= 1 and r.params > 0 and r.train_sequences_per_second > 0
        assert r.baseline == pytest.approx(tasks.create_task(r.task, **r.config.task_params).baseline)
        assert r.environment.backend == os.environ["KERAS_BACKEND"] and r.config_hash
    md = (out / "results.md").read_text()
    for t in task_names:
        assert f"## {t}" in md
    assert "| gru |" in md and "| peephole_lstm |" in md
    before = tables(out)
    for name in before:
        (out / name).unlink()
    assert cli("report", str(out)).returncode == 0
    assert tables(out) == before


def test_default_out_is_ignored_by_git():
    """A run without --out must never write into a committed folder (it wrote results/quick)."""
    if not (REPO / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")
    from zoo.bench.experiment.experiment import out_dir
    from zoo.bench.design.presets import PRESETS

    outs = [out_dir(build_parser().parse_args(["run", "--preset", p])) for p in PRESETS]
    outs.append(Path(build_parser().parse_args(["gradients"]).out))
    for out in outs:
        probe = out / "cells" / "x.json"
        ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=REPO)
        assert ignored.returncode == 0, f"{out} is not ignored by git"


@pytest.mark.slow
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
    assert list((out / "claims").glob("*.claim")), "the killed run left no claim: its recovery is not tested"
    for text in finished.values():
        assert json.loads(text)["status"] == "completed"  # no half-written cell file
    resumed = cli(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming: {len(finished)} of 6 cells already finished" in resumed.stderr
    after = {p.name: p.read_text() for p in (out / "cells").glob("*.json")}
    assert len(after) == 6
    for name, text in finished.items():
        assert after[name] == text  # not re-run
    assert not list(out.rglob(f"*{store.TMP_SUFFIX}")) and not (out / "claims").exists(), list(out.rglob("claims/*"))
    assert (out / "results.md").read_text().count("| 1/1 |") + (out / "results.md").read_text().count("| 0/1 |") == 6


@pytest.mark.slow
def test_ctrl_c_marks_the_running_cell_interrupted_and_exits_130(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--preset", "smoke", "--tasks", "adding", "--models", "rnn,lstm", "--set", "adding.n_train=20000",
            "--set", "recipe.epochs=1000", "--set", "recipe.patience=1000", "--out", str(out)]  # still training at the signal
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (out / "run.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(8)  # well into the first cell's training
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    statuses = {r.model: r.status for r in store.load_cells(out)}
    assert "interrupted" in statuses.values()
    assert "resume" in err


def tiny_cells(models, recipe=None, hparams=None):
    spec = MatrixSpec(models, TINY_ADDING, [0], hparams or {"units": 4}, {}, recipe or TINY_RECIPE)
    return build_trials(spec)


def unbuildable_cell(model):
    """A cell whose builder raises in training; build_trials would refuse units=0 up front."""
    return dataclasses.replace(tiny_cells([model])[0], hparams={"units": 0})


def test_diverging_cell_is_marked_and_the_matrix_goes_on(tmp_path):
    cells = tiny_cells(["rnn", "gru"])
    bad = tiny_cells(["lstm"], recipe={"*": dict(epochs=2, batch_size=32, optimizer="sgd", learning_rate=1e30,
                                                 clipnorm=None)})
    code = run(cells + bad, tmp_path)
    assert code == 0
    status = {r.model: r for r in store.load_cells(tmp_path)}
    assert status["lstm"].status == "diverged" and "non-finite" in status["lstm"].error
    assert status["rnn"].status == status["gru"].status == "completed"
    assert "1 diverged" in (tmp_path / "results.md").read_text()


def test_failing_builder_is_marked_failed_and_the_matrix_goes_on(tmp_path):
    cells = tiny_cells(["rnn"]) + [unbuildable_cell("gru")] + tiny_cells(["lstm"])
    code = run(cells, tmp_path)
    assert code == 1
    status = {r.model: r for r in store.load_cells(tmp_path)}
    assert status["gru"].status == "failed"
    assert "units must be an integer >= 1, got 0" in status["gru"].error
    assert "Traceback" in status["gru"].traceback
    assert status["rnn"].status == status["lstm"].status == "completed"
    # a resumed run retries the failed cell, keeps the others
    kept = (tmp_path / "cells" / f"{cells[0].cell_id}.json").read_text()
    assert run(cells, tmp_path) == 1
    assert (tmp_path / "cells" / f"{cells[0].cell_id}.json").read_text() == kept


def test_resume_refuses_cells_from_a_different_config(tmp_path):
    assert run(tiny_cells(["rnn"]), tmp_path) == 0
    other = tiny_cells(["rnn"], hparams={"units": 5})
    with pytest.raises(ValueError, match="from a different config"):
        run(other, tmp_path)


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Tiny runs through the CLI, which turns op determinism on for the process it runs in (never this one)."""
    root = tmp_path_factory.mktemp("determinism")
    full = ["--models", "gru,lstm,peephole_lstm", "--seeds", "2"]
    runs = {"a": full, "a_again": full, "alone": ["--models", "peephole_lstm", "--seeds", "1"],
            "jobs_2": [*full, "--jobs", "2"]}
    for name, args in runs.items():
        proc = cli("run", "--preset", "smoke", "--tasks", "adding", *TINY_SETS, *args, "--out", str(root / name))
        assert proc.returncode == 0, proc.stderr[-3000:]
    records = {name: {(r.model, r.seed): r for r in store.load_cells(root / name)} for name in runs}
    return records, {name: root / name for name in runs}


@pytest.mark.slow
def test_same_seed_same_result_on_cpu(cli_runs):
    a, again = cli_runs[0]["a"], cli_runs[0]["a_again"]
    assert len(a) == len(again) == 6
    for key, record in a.items():
        assert record.test == again[key].test and record.history == again[key].history
    assert a[("gru", 0)].test != a[("gru", 1)].test


@pytest.mark.slow
def test_a_cells_result_does_not_depend_on_the_cells_run_before_it(cli_runs):
    """Resuming or running a subset must reproduce the full run's numbers (shared data, fresh shuffles)."""
    (single,) = cli_runs[0]["alone"].values()
    full = cli_runs[0]["a"][("peephole_lstm", 0)]  # ran after gru and lstm on the same data
    assert single.history == full.history and single.test == full.test


@pytest.mark.slow
def test_jobs_2_gives_the_results_and_tables_of_jobs_1(cli_runs):
    """Worker processes with their share of the threads train the same numbers as the runner's own process."""
    records, outs = cli_runs
    a, jobs = records["a"], records["jobs_2"]
    assert a.keys() == jobs.keys()
    for key, record in a.items():
        assert record.test == jobs[key].test and record.history == jobs[key].history, key
        assert record.config_hash == jobs[key].config_hash
    timing = {"wall_seconds", "seconds_per_epoch", "train_sequences_per_second", "s/epoch", "train seq/s"}

    def untimed(rows: list[list[str]]) -> list[list[str]]:  # the header names the columns dropped
        keep = [i for i, name in enumerate(rows[0]) if name.strip() not in timing]
        return [[row[i] for i in keep] for row in rows]

    for out in outs["a"], outs["jobs_2"]:
        assert (out / "results.md").read_text().count("| 2 | 0.1667 |") == 3  # the rows compared below
    csv = {name: [line.split(",") for line in (outs[name] / "results.csv").read_text().splitlines()]
           for name in ("a", "jobs_2")}
    md = {name: [line.split("|") for line in (outs[name] / "results.md").read_text().splitlines()
                 if line.startswith("| ")] for name in ("a", "jobs_2")}
    assert untimed(csv["a"]) == untimed(csv["jobs_2"]) and untimed(md["a"]) == untimed(md["jobs_2"])


@pytest.mark.parametrize("args,message", [
    (["run", "--models", "lstmm"], "--models: 'lstmm' matches no model; known models: attention_bilstm, bigru"),
    (["run", "--tasks", "adding,sorting"], "--tasks: unknown task 'sorting'; known tasks: adding, associative_recall, "
     "bucket_sort, copy"),
    (["run", "--preset", "huge"], "--preset 'huge' is unknown; valid: smoke, quick, zoo, paper, imdb, music, mnist, mnist-pixel, bai, "
     "lengen"),
    (["run", "--set", "adding.T"], "--set 'adding.T': expected TASK.PARAM=VALUE"),
    (["run", "--set", "adding.length=5"], "unknown parameter 'length' for task 'adding'; valid: T, n_train"),
    (["run", "--set", "adding.T=abc"], "adding.T='abc' is not a valid int"),
    (["run", "--set", "model.unitz=5"], "unknown hyperparameter 'unitz'; valid: units"),
    (["run", "--seeds", "two"], "--seeds 'two': expected a count"),
    (["run", "--seeds", "0,-3"], "--seeds '0,-3': seed -3 is negative; seeds are integers >= 0"),
    (["run", "--seeds", "1,1"], "--seeds '1,1': seed 1 is repeated; list each seed once"),
    (["bench", "--sequences", "0"], "--sequences 0: expected an integer >= 1"),
    (["bench", "--rounds", "0"], "--rounds 0: expected an integer >= 1"),
    (["gradients", "--epochs", "-1"], "--epochs -1: expected an integer >= 0"),
    (["gradients", "--batch", "0"], "--batch 0: expected an integer >= 1"),
    (["run", "--tasks", "imdb", "--set", "imdb.data_dir=/nonexistent"], "imdb.data_dir=/nonexistent holds no aclImdb"),
    (["run", "--models", "lstm", "--tasks", "jsb", "--set", "jsb.data_dir=/nonexistent"],
     "jsb.data_dir=/nonexistent holds no polyphonic/JSB_Chorales.mat"),
    (["run", "--tasks", "smnist", "--set", "smnist.data_dir=/nonexistent"],
     "data_dir=/nonexistent holds no mnist/train-images-idx3-ubyte.gz"),
    (["report", "/nonexistent"], "/nonexistent holds no cell files"),
    (["run", "--bogus"], "unrecognized arguments: --bogus"),
    (["run", "--set", "model.bidirectional=maybe"], "model.bidirectional='maybe' is not a valid bool"),
    (["run", "--tasks", "adding", "--set", "copy.recipe.epochs=2"], "task 'copy' is not in this run; tasks: adding"),
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


@pytest.mark.parametrize("seeds", ["0,-3", "1,1"])
def test_bad_seeds_create_nothing(seeds, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--preset", "smoke", "--models", "rnn", "--tasks", "adding", "--seeds", seeds,
                 "--out", str(out)]) == 2
    assert not out.exists()
    assert "--seeds" in capsys.readouterr().err


@pytest.mark.slow  # main's exit code 2: test_bad_cli_input; python -m zoo: test_startup_logs
def test_python_m_zoo_exit_code_for_bad_input():
    proc = cli("run", "--models", "nope")
    assert proc.returncode == 2
    import zoo

    assert proc.stderr.strip().endswith(f"known models: {', '.join(zoo.list_models())}")


def test_list_shows_models_tasks_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "peephole_lstm" in out and "copy" in out and "smoke" in out and "paper" in out


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["quick", "zoo", "paper", "imdb", "lengen", "mnist-pixel"])
def test_every_cell_of_a_preset_builds_its_model(preset):
    """A typo in a preset meant for a long or GPU run should fail here, not an hour into it."""
    import tasks
    import zoo
    from zoo.bench.design.matrix import expand_models
    from zoo.bench.design.presets import PRESETS

    cells = cells_of("--preset", preset)
    instances = {(c.task, json.dumps(c.task_params, sort_keys=True)) for c in cells}
    models = expand_models(PRESETS[preset].models)
    per_step = {i for i in instances if tasks.create_task(i[0], **json.loads(i[1])).spec.output.per_step}
    twins = len(per_step) if {"attention_bilstm", "bilstm"} <= set(models) else 0  # bilstm's network there
    assert len(cells) == (len(models) * len(instances) - twins) * PRESETS[preset].seeds
    built = set()
    for c in cells:
        key = (c.model, c.task, json.dumps(c.task_params, sort_keys=True), json.dumps(c.hparams, sort_keys=True))
        if key in built:  # seeds differ only in their seed
            continue
        built.add(key)
        task = tasks.create_task(c.task, **c.task_params)
        model = zoo.create_model(c.model, task.spec, **c.hparams)
        assert model.count_params() > 0


def test_user_settings_beat_the_preset():
    """--set recipe.epochs=3 under the quick preset trained 12 epochs: the preset's per-task recipe won."""
    cells = cells_of("--set", "recipe.epochs=3", "--set", "model.units=16")
    assert {c.recipe["epochs"] for c in cells} == {3}
    assert {c.hparams["units"] for c in cells} == {16}  # the preset gives imdb 32 units
    by_task = {c.task: c for c in cells}
    assert by_task["adding"].recipe["learning_rate"] == 3e-3  # what the user did not set stays the preset's
    assert by_task["imdb"].hparams["embedding_dim"] == 32
    cells = cells_of("--set", "recipe.epochs=3", "--set", "copy.recipe.epochs=5", "--set", "recipe.patience=0")
    assert {(c.task, c.recipe["epochs"], c.recipe["patience"]) for c in cells} == {
        ("adding", 3, 0), ("copy", 5, 0), ("imdb", 3, 0)}


def test_one_value_parser_for_every_set_target():
    """imdb.bucket=yes was True while model.bidirectional=yes was rejected: two parsers."""
    import tasks
    from zoo.values import UsageError, parse_value

    for word, value in [("true", True), ("Yes", True), ("1", True), ("false", False), ("no", False), ("0", False)]:
        params, hparams, recipes = parse_sets([f"imdb.bucket={word}", f"model.bidirectional={word}"])
        assert params["imdb"]["bucket"] is value and hparams["bidirectional"] is value
        assert tasks.create_task("imdb", bucket=word).bucket is value  # the library's string conversion too
    for word in ("none", "NULL"):
        params, hparams, recipes = parse_sets([f"imdb.limit={word}", f"model.chrono_tmax={word}",
                                               f"recipe.clipnorm={word}"])
        assert params["imdb"]["limit"] is hparams["chrono_tmax"] is recipes["*"]["clipnorm"] is None
    params, hparams, recipes = parse_sets(["copy.T=5,10", "imdb.val_fraction=0.2", "model.use_cudnn=auto",
                                           "model.use_cudnn=false", "adding.recipe.learning_rate=1e-2",
                                           "recipe.optimizer=sgd", "recipe.clipnorm=2"])
    assert params == {"copy": {"T": [5, 10]}, "imdb": {"val_fraction": 0.2}}
    assert hparams == {"use_cudnn": False}
    assert recipes == {"adding": {"learning_rate": 0.01}, "*": {"optimizer": "sgd", "clipnorm": 2.0}}
    assert parse_value("auto", bool | str, "model.use_cudnn") == "auto"
    for text, hint in [("maybe", bool), ("2", bool), ("1.5", int), ("none", int), ("x", float)]:
        with pytest.raises(UsageError, match=re.escape(f"somewhere={text!r} is not a valid {hint.__name__}")):
            parse_value(text, hint, "somewhere")


@pytest.mark.parametrize("args,message", [
    (["--set", "recipe.optimizer=adamw2"], "recipe for adding: optimizer must be an optimizer Keras knows"),
    (["--set", "adding.recipe.learning_rate=-1"], "recipe for adding: learning_rate must be a number > 0, got -1.0"),
    (["--set", "recipe.learning_rate=nan"], "learning_rate must be a number > 0, got nan"),
    (["--set", "recipe.batch_size=0"], "recipe for adding: batch_size must be an integer >= 1, got 0"),
    (["--set", "recipe.epochs=0"], "recipe for adding: epochs must be an integer >= 1, got 0"),
    (["--set", "recipe.patience=-1"], "recipe for adding: patience must be an integer >= 0, got -1"),
    (["--set", "recipe.clipnorm=-0.5"], "recipe for adding: clipnorm must be a number >= 0 or none"),
    (["--set", "recipe.epochs=2.5"], "recipe.epochs='2.5' is not a valid int"),
])
def test_bad_recipe_exits_2_before_anything_is_created(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--tasks", "adding", "--models", "rnn", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_bad_out_exits_2_naming_the_path_and_creates_nothing(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    cases = [(a_file, f"--out {a_file}: it exists and is not a folder"),
             (a_file / "run", f"--out {a_file / 'run'}: {a_file} exists and is not a folder"),
             (Path("/proc/rnn-zoo-test/run"), "--out /proc/rnn-zoo-test/run: cannot write in /proc (")]
    if Path("/sys").is_dir():
        cases.append((Path("/sys/rnn-zoo-test"), "--out /sys/rnn-zoo-test: cannot write in /sys ("))
    before = sorted(tmp_path.rglob("*"))
    for out, message in cases:
        assert main(["run", "--tasks", "adding", "--models", "rnn", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"rnn-zoo: error: {message}") and len(err.strip().splitlines()) == 1, err
        assert not os.path.lexists(out) or out == a_file
    assert sorted(tmp_path.rglob("*")) == before and a_file.read_text() == "x"


@pytest.mark.slow  # the same check and message as /proc and /sys in the test above
def test_read_only_out_folder_exits_2():
    """Root writes anywhere whatever the mode bits say, so as root the command runs as nobody."""
    command = [*CLI, "run", "--tasks", "adding", "--models", "rnn"]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv to drop to nobody")
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    folder = Path(tempfile.mkdtemp())  # in /tmp, so nobody can reach it
    folder.chmod(0o555)
    try:
        proc = subprocess.run([*command, "--out", str(folder / "run")], capture_output=True, text=True, cwd=REPO,
                              timeout=300)
        assert proc.returncode == 2, proc.stderr[-2000:]
        # the last line: with the TensorFlow backend, its banner comes first (`import zoo` loads it)
        assert proc.stderr.splitlines()[-1] == f"rnn-zoo: error: --out {folder / 'run'}: cannot write in {folder} " \
                                               "(Permission denied)"
        assert not list(folder.iterdir())
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


class Recorder:
    """A reporter that notes every call and whether the cell's file was on disk when told of it."""

    def __init__(self, out: Path):
        self.out, self.calls = out, []

    def on_start(self, total, skipped):
        self.calls.append(("start", total, skipped))

    def on_cell_start(self, cell):
        self.calls.append(("cell_start", cell.model))

    def on_cell_end(self, record):
        on_disk = (store.cells_dir(self.out) / f"{record.cell_id}.json").exists()
        self.calls.append(("cell_end", record.model, record.status, on_disk))

    def on_cell_skipped(self, cell, reason, in_progress):
        self.calls.append(("cell_skipped", cell.model, reason, in_progress))

    def on_finish(self, outcome, failed):
        self.calls.append(("finish", outcome, failed))


def test_the_runner_reports_through_the_reporters_it_is_handed(tmp_path):
    cells = tiny_cells(["rnn"]) + [unbuildable_cell("gru")]
    recorder = Recorder(tmp_path)
    assert run_matrix(cells, tmp_path, reporters=[recorder]) == 1
    assert recorder.calls == [("start", 2, 0), ("cell_start", "rnn"), ("cell_end", "rnn", "completed", True),
                              ("cell_start", "gru"), ("cell_end", "gru", "failed", True), ("finish", "finished", 1)]
    assert not (tmp_path / "results.md").exists()  # tables are a reporter's business, not the runner's
    recorder.calls.clear()
    assert run_matrix(cells[:1], tmp_path, reporters=[recorder]) == 0
    assert recorder.calls == [("start", 1, 1), ("finish", "finished", 0)]


def test_progress_lines():
    stream = io.StringIO()
    progress = Progress(Path("out"), stream)
    (cell,) = tiny_cells(["rnn"])
    progress.on_start(3, 1)
    progress.on_cell_start(cell)
    progress.on_cell_end(base_record(cell, "failed", error="ValueError: units must be an integer >= 1\nmore",
                                     wall_seconds=0.5))
    progress.on_finish("finished", 1)
    assert stream.getvalue().splitlines() == [
        "resuming: 1 of 3 cells already finished",
        "[2/3 | 00:00:00 elapsed | ETA ?] rnn on adding(T=6) seed 0 ...",
        "    failed: ValueError: units must be an integer >= 1",
        "1 cell(s) failed; see status and traceback in out/cells",
    ]


def test_version_and_bare_command(capsys):
    import zoo

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"rnn-zoo {zoo.__version__}\n"
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: rnn-zoo") and "list models, tasks and presets" in err


def test_every_argument_has_help():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # argparse has no public walk
    for prog, p in [("rnn-zoo", parser), *commands.items()]:
        for action in p._actions:
            assert action.help, f"{prog}: {action.option_strings or action.dest} has no help text"


def test_startup_logs_are_hidden_unless_verbose(monkeypatch):
    """TensorFlow's banner (oneDNN, cudart stub, 'absl::InitializeLog') printed twice on every command."""
    proc = cli("list", "tasks", env={"KERAS_BACKEND": "jax"})
    assert proc.returncode == 0 and "adding" in proc.stdout
    assert proc.stderr == ""
    from zoo.bench.execution.quiet import quiet_startup

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    quiet_startup(verbose=True)
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    quiet_startup(verbose=False)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_training_run_on_jax_prints_no_tensorflow_banner(tmp_path, jobs):
    """keras.utils.set_random_seed loads TensorFlow when installed: its banner broke into a jax run's progress,
    from the runner's process and (--jobs 2) from each worker process."""
    proc = cli("run", "--preset", "smoke", "--models", "rnn,gru", "--tasks", "adding", "--out", str(tmp_path / "r"),
               "--jobs", jobs, env={"KERAS_BACKEND": "jax"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "absl" not in proc.stderr and "oneDNN" not in proc.stderr and "cuda" not in proc.stderr, proc.stderr


def command_forms() -> list[list[str]]:
    """`python -m zoo`, and the installed `rnn-zoo` console script when this environment has it."""
    forms = [[sys.executable, "-m", "zoo"]]
    script = Path(sys.executable).parent / "rnn-zoo"
    if script.exists():
        forms.append([str(script)])
    return forms


@pytest.mark.parametrize("args", quick([["--help"], ["run", "--help"], ["list"]], [["list"]]))
@pytest.mark.parametrize("form", quick(command_forms(), command_forms()[:1]), ids=lambda form: Path(form[-1]).name)
def test_help_and_list_load_no_tensorflow_even_when_keras_json_names_it(form, args, tmp_path):
    """A user whose ~/.keras/keras.json says tensorflow (Keras writes that on first import) and who set no
    KERAS_BACKEND: the command trains on the fastest backend anyway, so it must not load TensorFlow first
    (seconds, and its banner on stderr) to print help. Help loads no Keras at all (`import zoo` loads none).
    A sitecustomize notes at exit which of them the process loaded (stderr is muted while Keras loads)."""
    pytest.importorskip("jax")  # the fastest backend on a CPU; with TensorFlow alone it is the one to load
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    loaded = tmp_path / "loaded"
    (tmp_path / "sitecustomize.py").write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(loaded)!r}, 'w').write(' '.join(m for m in ('keras', 'jax', "
        "'tensorflow') if m in sys.modules)))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    env.update(KERAS_HOME=str(tmp_path), PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    proc = subprocess.run([*form, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = set(loaded.read_text().split())
    assert imported == ({"keras", "jax"} if args == ["list"] else set())
    assert proc.stderr == "", proc.stderr


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_run_into_another_commands_folder_is_refused_and_writes_nothing(tmp_path, capsys):
    """The committed matrix stays as its command made it: a smoke cell never mixes into it silently."""
    out = tmp_path / "zoo"
    shutil.copytree(REPO / "results" / "zoo", out)
    before = snapshot(out)
    code = main(["run", "--preset", "smoke", "--models", "lstm", "--tasks", "adding", "--seeds", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "holds the cells of `rnn-zoo run --preset zoo --jobs 2 --out results/zoo`, not of this command" in err
    assert "--extend" in err
    assert snapshot(out) == before


@pytest.mark.slow
def test_same_command_resumes_a_part_resumes_another_needs_extend(tmp_path):
    out = tmp_path / "run"
    first = ["run", "--preset", "smoke", "--tasks", "adding", *TINY_SETS, "--models", "rnn,gru", "--out", str(out)]
    assert cli(*first).returncode == 0
    cells = snapshot(out / "cells")
    again = cli(*first, "--jobs", "2")  # how it trains is not what it asks for: the same run
    assert again.returncode == 0 and "resuming: 2 of 2 cells already finished" in again.stderr, again.stderr[-2000:]
    part = cli(*first[:-4], "--models", "gru", "--out", str(out))
    assert part.returncode == 0, part.stderr[-2000:]
    other = [*first[:-4], "--models", "lstm", "--out", str(out)]
    refused = cli(*other)
    assert refused.returncode == 2 and "--extend" in refused.stderr and snapshot(out / "cells") == cells
    extended = cli(*other, "--extend")
    assert extended.returncode == 0, extended.stderr[-2000:]
    assert snapshot(out / "cells").items() > cells.items() and len(snapshot(out / "cells")) == 3
    info = json.loads((out / "run.json").read_text())
    assert info["command"].endswith("--models rnn,gru --out " + str(out))
    assert [e["command"] for e in info["extended_by"]] == ["rnn-zoo " + " ".join([*other, "--extend"])]
    md = (out / "results.md").read_text()
    assert f"Command: `{info['command']}`" in md and f"Extended by: `rnn-zoo {' '.join(other)} --extend` (1 cells)" in md
    assert cli(*other, "--extend").returncode == 0  # the extension, resumed: nothing new
    assert len(json.loads((out / "run.json").read_text())["extended_by"]) == 1


def test_a_failed_write_leaves_no_temporary_and_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "cells" / "a.json"
    store.write_atomic(path, "old")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as err:
        store.write_atomic(path, "new")
    assert err.value.filename == str(path) and err.value.errno == 28
    assert path.read_text() == "old" and [p.name for p in path.parent.iterdir()] == ["a.json"]


@pytest.fixture
def small_disk(tmp_path):
    """A 40 KB tmpfs (root can mount one); grow() makes room without touching its files."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    grow = lambda: subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)  # noqa: E731
    yield disk, grow
    subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_a_resume_after_room_is_made_finishes(small_disk):
    disk, grow = small_disk
    out = disk / "run"
    args = ["run", "--preset", "smoke", "--tasks", "adding", *TINY_SETS, "--models",
            "rnn,gru,lstm,cifg_lstm,peephole_lstm,birnn,bigru,bilstm,deep_rnn,deep_lstm,mingru,minlstm", "--out", str(out)]
    full = cli(*args)
    assert full.returncode == 3, full.stderr[-3000:]
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith(f"rnn-zoo: error: cannot write {out}/") and "No space left on device" in last, full.stderr
    assert "Traceback" not in full.stderr
    assert not list(out.rglob(f"*{store.TMP_SUFFIX}"))
    finished = {p.name: p.read_bytes() for p in (out / "cells").glob("*.json")}
    assert 0 < len(finished) < 12
    assert all(r.done for r in store.load_cells(out))  # every finished cell readable
    grow()
    resumed = cli(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming: {len(finished)} of 12 cells already finished" in resumed.stderr
    after = {p.name: p.read_bytes() for p in (out / "cells").glob("*.json")}
    assert len(after) == 12 and all(after[name] == text for name, text in finished.items())


def test_embedding_dim_reaches_the_token_tasks_of_a_run_only():
    cells = {c.task: c for c in cells_of("--preset", "smoke", "--models", "lstm", "--set", "model.embedding_dim=16")}
    assert cells["imdb"].hparams["embedding_dim"] == cells["copy"].hparams["embedding_dim"] == 16  # token inputs
    assert "embedding_dim" not in cells["adding"].hparams  # float inputs
