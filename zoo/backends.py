"""Which Keras backend the runner trains on, the device it finds, and what makes it reproducible.

Keras reads KERAS_BACKEND once, when it is first imported (`import zoo` does not; its models do). A
program activates its backend before that; one that finds Keras already on another backend starts itself
again with KERAS_BACKEND set: `activate(name, relaunch=its command line)`.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import sys
from pathlib import Path

# Nothing from zoo at module level: tests/conftest.py reads the default backend from this file
# before anything imports keras.

BACKENDS = ("jax", "tensorflow", "torch")
# As the README installs them (the package's extras); PyTorch's CPU build first where there is no GPU, since
# PyPI's Linux torch is the CUDA build with several GB of nvidia packages
INSTALL = {"jax": "pip install -e .", "tensorflow": "pip install -e '.[tensorflow]'",
           "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu && pip install -e '.[torch]'"}
# Fastest first. CPU: `rnn-zoo bench` on a 2-core CPU (README, "Backends"): JAX trains the zoo 2-3.5x faster
# than TensorFlow, PyTorch runs a Python loop per step. GPU: TensorFlow hands right-padded masks to the
# fused cuDNN kernels, JAX and PyTorch take no mask on that path.
CPU_PREFERENCE = ("jax", "tensorflow", "torch")
GPU_PREFERENCE = ("tensorflow", "torch", "jax")  # every LSTM/GRU fused, masks included: TF, torch (zoo.packed_rnn); JAX has no cuDNN GRU


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def has_nvidia_gpu() -> bool:
    return Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None


def default_backend() -> str:
    """$KERAS_BACKEND if set, else the fastest installed backend for this machine."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    preference = GPU_PREFERENCE if has_nvidia_gpu() else CPU_PREFERENCE
    return next((name for name in preference if installed(name)), preference[0])


def activate(requested: str | None, relaunch: list[str] | None = None) -> str:
    """Make `requested` (or the default) Keras's backend; UsageError if it cannot be.

    If Keras already runs on another backend in this process: with `relaunch` (the program's command
    line after the interpreter, e.g. ["-m", "zoo.bench.cli", "run", ...]) the process is replaced by
    `python RELAUNCH...` on the right backend.
    """
    from zoo.values import UsageError

    name = requested or default_backend()
    if name not in BACKENDS:
        raise UsageError(f"--backend {name!r} is unknown; valid: {', '.join(BACKENDS)}")
    if not installed(name):
        raise UsageError(f"--backend {name}: {name} is not installed ({INSTALL[name]}); "
                         f"installed: {', '.join(b for b in BACKENDS if installed(b)) or 'none'}")
    if "keras" in sys.modules:
        current = sys.modules["keras"].backend.backend()
        if current != name:
            if relaunch is None:
                raise UsageError(f"--backend {name}: Keras already runs on {current} in this process")
            env = {**os.environ, "KERAS_BACKEND": name}
            sys.stdout.flush()
            sys.stderr.flush()
            os.execve(sys.executable, [sys.executable, *relaunch], env)
    os.environ["KERAS_BACKEND"] = name
    return name


def version(name: str) -> str:
    return importlib.metadata.version(name)


def make_deterministic() -> None:
    """Same seed, same backend, same CPU: same numbers. (GPU kernels are left fast, not bitwise stable.)"""
    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        if not tf.config.list_physical_devices("GPU"):
            tf.config.experimental.enable_op_determinism()
    elif name == "torch":
        import torch

        if not torch.cuda.is_available():
            torch.use_deterministic_algorithms(True)
    # jax: XLA's CPU kernels are deterministic as they are


def gpu_name() -> str | None:
    """The accelerator Keras's backend computes on, or None on a CPU."""
    import keras

    name = keras.backend.backend()
    if name == "jax":
        import jax

        device = jax.devices()[0]
        return None if device.platform == "cpu" else f"{device.device_kind}"
    if name == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    import tensorflow as tf

    found = tf.config.list_physical_devices("GPU")
    return tf.config.experimental.get_device_details(found[0]).get("device_name", found[0].name) if found else None
