"""The README's Python examples run as pasted: a fresh process, a fresh HOME, no KERAS_BACKEND, no TensorFlow."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The README's own install (`pip install -e .`) brings JAX but not TensorFlow, Keras's default backend. CI has
# TensorFlow installed, so each example runs with it hidden: a None in sys.modules makes `import tensorflow`
# fail and importlib.util.find_spec report it missing, as on a machine without it.
HIDE_TENSORFLOW = "import sys\nsys.modules['tensorflow'] = None\n"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_has_python_examples():
    assert len(python_blocks((ROOT / "README.md").read_text())) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(python_blocks((ROOT / "README.md").read_text()))))
def test_readme_python_block_runs_as_pasted(index, tmp_path):
    code = python_blocks((ROOT / "README.md").read_text())[index]
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_TENSORFLOW)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "KERAS_HOME", "PYTHONPATH")}
    env.update(HOME=str(home), PYTHONPATH=str(site), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"README python block {index + 1} failed:\n{code}\n{proc.stderr[-3000:]}"


def test_the_documented_test_setup_takes_pytorchs_cpu_build():
    """On a CPU-only machine an unpinned torch from PyPI brings the CUDA build (an 8.5 GB environment)."""
    readme = (ROOT / "README.md").read_text()
    cpu_torch = "pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
    full = "pip install -e '.[dev,tensorflow,torch,ray,tune]' && pytest -n 2\n"
    assert cpu_torch + full in readme and "about 4.1 GB installed" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "'torch==2.13.0'" in ci  # CI: the CPU build on its disk
    assert ci.rstrip().splitlines()[-1] == "pytest -n 2"  # CI runs the README's test command


def test_the_documented_install_has_every_package_the_tests_import():
    """The suite imports optuna (tune's extra) and xdist runs it: an install missing either fails at collection.
    The README's install line is checked above; this checks pyproject's extras and CI's install."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dev = \[.*"pytest-xdist', pyproject, re.M)
    assert re.search(r'^tune = \[.*"optuna', pyproject, re.M)
    assert "'.[dev,tensorflow,ray,tune]'" in (ROOT / ".ci" / "run").read_text()
