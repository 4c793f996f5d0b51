"""Bring your own model and task: a model registered in the user's own module (--import MODULE) or by an installed
package (entry points) trains beside the zoo's in every worker, local or Ray; zoo.bench.api does what the command
does. The model is not recurrent: a causal Conv1D stack on the zoo's own input and head."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zoo.bench import api
from zoo.bench.execution import store
from zoo.bench.cli import main

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "zoo"]
USERMOD = '''
import keras

import zoo
from zoo.builder import head, input_layers


@zoo.register_model
def causal_tcn(spec, units=64, num_layers=2, kernel_size=3, embedding_dim=64):
    """Causal dilated Conv1D stack: no recurrence; step t reads steps <= t only."""
    inputs, x = input_layers(spec, embedding_dim)
    for i in range(num_layers):
        x = keras.layers.Conv1D(units, kernel_size, padding="causal", dilation_rate=2**i, activation="relu")(x)
    if not spec.output.per_step:
        x = x[:, -1, :]  # the last step has seen every step
    return keras.Model(inputs, head(spec, x), name="causal_tcn")
'''
RUN = ["run", "--preset", "smoke", "--models", "causal_tcn,lstm,gru", "--tasks", "adding", "--seeds", "1"]


def env(*paths: Path, **extra) -> dict:
    return {**os.environ, **extra, "PYTHONPATH": os.pathsep.join([*map(str, paths), str(REPO)])}


def user_module(folder: Path, name: str = "usermod", text: str = USERMOD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(text)
    return folder


def statuses(out: Path) -> dict[str, str]:
    return {r.model: r.status for r in store.load_cells(out)}


@pytest.fixture(scope="module")
def byo_run(tmp_path_factory) -> tuple[Path, Path]:
    """`rnn-zoo run --import usermod --jobs 2`: the user's model and the zoo's two, in local worker processes."""
    base = tmp_path_factory.mktemp("byo")
    mods, out = user_module(base / "mods"), base / "run"
    proc = subprocess.run([*CLI, *RUN, "--import", "usermod", "--jobs", "2", "--out", str(out)], cwd=REPO,
                          env=env(mods), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return mods, out


def test_your_model_against_lstm_and_gru_in_local_workers(byo_run):
    _, out = byo_run
    assert statuses(out) == {"causal_tcn": "completed", "lstm": "completed", "gru": "completed"}
    (tcn,) = [r for r in store.load_cells(out) if r.model == "causal_tcn"]
    assert tcn.units is None and tcn.params > 0  # no RecurrentConfig: the builder's own model, counted as built


@pytest.fixture
def zoo_models_restored():
    """api.run(imports=...) registers the user's model in this process: gone afterwards, so that later tests
    list the zoo's own models."""
    from zoo.registry import MODELS
    before = set(MODELS.ordered())
    yield
    for name in set(MODELS.ordered()) - before:
        MODELS.remove(name)
    sys.modules.pop("usermod", None)


def test_the_api_resumes_the_commands_run_and_compares(byo_run, monkeypatch, zoo_models_restored):
    """api.run with the command's arguments is the same run (nothing left to train); api.compare its verdicts."""
    mods, out = byo_run
    monkeypatch.syspath_prepend(str(mods))
    records = api.run(preset="smoke", models=["causal_tcn", "lstm", "gru"], tasks="adding", seeds=1, out=out,
                      jobs=2, imports=["usermod"])
    assert [r.model for r in records] == ["causal_tcn", "lstm", "gru"]
    assert all(r.status == "completed" for r in records)
    (row,) = api.compare(out, "causal_tcn", "lstm")
    assert row["label"].startswith("adding") and row["verdict"]


@pytest.mark.slow  # a local Ray instance starts in 10-30 s
def test_your_model_against_lstm_and_gru_as_ray_tasks(tmp_path):
    pytest.importorskip("ray")
    mods, out = user_module(tmp_path / "mods"), tmp_path / "ray"
    proc = subprocess.run([*CLI, *RUN, "--import", "usermod", "--executor", "ray", "--out", str(out)], cwd=REPO,
                          env=env(mods, RAY_USAGE_STATS_ENABLED="0"), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert statuses(out) == {"causal_tcn": "completed", "lstm": "completed", "gru": "completed"}


def installed_package(folder: Path) -> Path:
    """A package as pip installs it: its module beside a dist-info whose entry_points.txt declares a model (a
    plain function: the package never imports zoo's decorator) and a task."""
    plugin = USERMOD.replace("@zoo.register_model\n", "") + '''
from dataclasses import dataclass
from typing import ClassVar

from tasks.adding import Adding


@dataclass(frozen=True)
class AddingTwin(Adding):
    """The adding problem under another name: a task of the package's own."""

    name: ClassVar[str] = "adding_twin"
'''
    user_module(folder, "tcn_plugin", plugin)
    info = folder / "tcn_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tcn-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[rnn_zoo.models]\ncausal_tcn = tcn_plugin:causal_tcn\n\n"
                                           "[rnn_zoo.tasks]\nadding_twin = tcn_plugin:AddingTwin\n")
    return folder


def test_an_installed_packages_entry_points_join_the_zoo(tmp_path):
    site = installed_package(tmp_path / "site")
    code = "import zoo, tasks; print(zoo.model_order()[-1], zoo.model_order()[0], tasks.list_tasks('adding*'))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env(site), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # after the built-ins, whose order (that of tables and figures) stays
    assert proc.stdout.split() == ["causal_tcn", "rnn", "['adding',", "'adding_twin']"]


@pytest.mark.slow  # trains in three processes (about a minute on 2 busy cores); the listing above is the quick check
def test_an_installed_packages_model_and_task_train_in_every_worker(tmp_path):
    site = installed_package(tmp_path / "site")
    out = tmp_path / "run"
    args = ["run", "--preset", "smoke", "--models", "causal_tcn,gru", "--tasks", "adding_twin", "--seeds", "1",
            *[a for kv in ("T=6", "n_train=64", "n_val=32", "n_test=32") for a in ("--set", f"adding_twin.{kv}")],
            "--jobs", "2", "--out", str(out)]
    proc = subprocess.run([*CLI, *args], cwd=REPO, env=env(site), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert statuses(out) == {"causal_tcn": "completed", "gru": "completed"}


@pytest.mark.parametrize("text, message", [
    (None, "--import no_such_module: cannot import it (ModuleNotFoundError: No module named 'no_such_module')"),
    ("raise RuntimeError('needs a licence key\\nsecond line')",
     "--import no_such_module: cannot import it (RuntimeError: needs a licence key)"),
])
def test_a_module_that_cannot_be_imported_is_one_line_and_exit_2(text, message, tmp_path, capsys, monkeypatch):
    if text is not None:
        monkeypatch.syspath_prepend(str(user_module(tmp_path / "mods", "no_such_module", text)))
    out = tmp_path / "run"
    start = time.perf_counter()
    assert main([*RUN, "--import", "no_such_module", "--jobs", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"rnn-zoo: error: {message}\n"
    assert not out.exists() and time.perf_counter() - start < 60  # refused before anything was created or trained
