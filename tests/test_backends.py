"""Backends: import zoo never overrides the user's choice; the runner's --backend; every backend gives the same tokens."""
import os
import subprocess
import sys

import pytest

from zoo import backends
from zoo.bench.cli import main

CHOICE = "import sys, keras; print(keras.backend.backend())"


def python(code: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    proc = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["torch", "jax", "tensorflow"])
def test_import_zoo_and_tasks_keep_the_configured_backend(tmp_path, backend):
    assert python("import zoo, tasks; " + CHOICE, KERAS_BACKEND=backend) == backend
    (tmp_path / "keras.json").write_text('{"backend": "%s"}' % backend)
    assert python("import zoo, tasks; " + CHOICE, KERAS_HOME=str(tmp_path)) == backend  # keras.json's choice


def test_without_tensorflow_and_without_a_choice_import_zoo_still_works(tmp_path):
    # Keras defaults to TensorFlow and would fail to import; zoo takes the first installed backend instead
    code = "import sys; sys.modules['tensorflow'] = None\nimport zoo, tasks; " + CHOICE
    assert python(code, KERAS_HOME=str(tmp_path)) == "jax"


def test_unknown_or_missing_backend_is_one_line_and_exit_2(capsys, monkeypatch):
    assert main(["run", "--backend", "theano", "--models", "rnn"]) == 2
    assert "--backend 'theano' is unknown; valid: jax, tensorflow, torch" in capsys.readouterr().err
    monkeypatch.setattr(backends, "installed", lambda name: name != "torch")
    assert main(["run", "--backend", "torch", "--models", "rnn"]) == 2
    err = capsys.readouterr().err
    assert ("--backend torch: torch is not installed (pip install torch --index-url https://download.pytorch.org/whl/"
            "cpu && pip install -e '.[torch]')") in err and len(err.splitlines()) == 1
    monkeypatch.setattr(backends, "installed", lambda name: name != "tensorflow")
    assert main(["run", "--backend", "tensorflow", "--models", "rnn"]) == 2
    assert "tensorflow is not installed (pip install -e '.[tensorflow]')" in capsys.readouterr().err  # the README's


def test_the_cpu_default_is_the_fastest_installed(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(backends, "has_nvidia_gpu", lambda: False)
    assert backends.default_backend() == "jax"
    monkeypatch.setattr(backends, "installed", lambda name: name != "jax")
    assert backends.default_backend() == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert backends.default_backend() == "torch"  # an explicit choice wins


def test_the_backend_is_part_of_each_cells_config_and_a_run_keeps_one(tmp_path):
    from zoo.bench.cli import build_parser
    from zoo.bench.experiment.experiment import matrix_from_args
    from zoo.bench.design.matrix import UsageError
    from zoo.bench.execution.runner import run_matrix

    args = build_parser().parse_args(["run", "--preset", "smoke", "--models", "rnn", "--tasks", "adding"])
    (cell,) = matrix_from_args(args)
    current = os.environ["KERAS_BACKEND"]
    assert cell.config()["backend"] == f"{current} {backends.version(current)}"
    other = type(cell)(**{**cell.__dict__, "backend": "torch 0.0"})
    assert other.config_hash != cell.config_hash
    assert run_matrix([cell], tmp_path) == 0
    with pytest.raises(UsageError, match=f"holds cells run on {current} .*, this run is on torch 0.0"):
        run_matrix([other], tmp_path)


@pytest.mark.slow
def test_bench_prints_a_table_per_backend(capsys):
    assert main(["bench", "--backends", "jax", "--preset", "smoke", "--models", "rnn,gru", "--tasks", "adding",
                 "--sequences", "64", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "| task | model | jax |" in out
    for model in ("rnn", "gru"):
        line = next(l for l in out.splitlines() if l.startswith(f"| adding(T=10) | {model} |"))
        assert float(line.split("|")[3].replace(",", "")) > 0  # a measured rate, not a placeholder
    assert main(["bench", "--backends", "theano"]) == 2


def run_cli(*args, backend: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.run([sys.executable, "-m", "zoo.bench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=1200)


OTHER_BACKENDS = [b for b in backends.BACKENDS if b != os.environ["KERAS_BACKEND"]]


@pytest.mark.slow
@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_smoke_matrix_on_the_other_backends(tmp_path, backend):
    """Every model on every task at tiny sizes (the default backend runs it in test_runner)."""
    if not backends.installed(backend):
        pytest.skip(f"{backend} is not installed")
    import zoo
    from zoo.bench.execution import store

    have_imdb = bool(os.environ.get("RNN_ZOO_DATA"))
    task_names = ["adding", "copy", "imdb"] if have_imdb else ["adding", "copy"]
    proc = run_cli("run", "--preset", "smoke", "--backend", backend, "--tasks", ",".join(task_names),
                   "--set", "imdb.limit=64" if have_imdb else "adding.T=10", "--out", str(tmp_path), backend=backend)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = store.load_cells(tmp_path)
    twin = ("attention_bilstm", "copy")  # bilstm's network on a per-step head: not trained twice
    assert {(r.model, r.task) for r in records} == {(m, t) for m in zoo.list_models() for t in task_names} - {twin}
    assert {r.status for r in records} == {"completed"}
    assert {r.environment.backend for r in records} == {backend}


@pytest.mark.slow
@pytest.mark.parametrize("backend", [b for b in ("tensorflow", "jax") if b != os.environ["KERAS_BACKEND"]])
def test_same_seed_same_backend_same_numbers(tmp_path, backend):
    """test_runner checks the default backend; this, the other of the two the issue names."""
    from zoo.bench.execution import store

    args = ["run", "--preset", "smoke", "--backend", backend, "--models", "gru,peephole_lstm", "--tasks", "adding"]
    for out in ("a", "b"):
        proc = run_cli(*args, "--out", str(tmp_path / out), backend=backend)
        assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = store.load_cells(tmp_path / "a"), store.load_cells(tmp_path / "b")
    assert len(a) == len(b) == 2
    for ra, rb in zip(a, b):
        assert ra.test == rb.test and ra.history == rb.history
