"""Where and with what a cell ran: versions, device, cuDNN eligibility, git commit."""
from __future__ import annotations

import functools
import os
import platform
import subprocess
from pathlib import Path

import keras
import numpy as np

from zoo import backends
from zoo.builder import directions
from zoo.packed_rnn import PackedRecurrent

REPO = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=1)
def environment() -> dict:
    """This process's environment; the commit is the one its code was imported from (`LOADED_FROM`)."""
    backend = keras.backend.backend()
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "numpy": np.__version__,
        "backend": backend,
        "backend_version": backends.version(backend),
        "device": device(),
        "git_commit": LOADED_FROM,
    }


def device() -> str:
    gpu = backends.gpu_name()
    return f"GPU: {gpu}" if gpu else f"CPU: {cpu_name()}, {_cpu_count()} cores"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def git_commit() -> str | None:
    """HEAD of the checkout the code runs from, '+dirty' when its code has uncommitted changes.

    Changes under results/ and runs/ do not count: a run writing into a committed results folder
    changes that folder, not the code that made it.
    """
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--",
                                ".", ":(exclude)results", ":(exclude)runs"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


# Read when the training code is imported, not when a record is written: a commit made while a cell trains must
# not stamp it, since the cell runs the code it started with.
LOADED_FROM = git_commit()


def cudnn_status(model: keras.Model) -> str:
    """Whether Keras can take the fused cuDNN kernel for every recurrent layer of `model`."""
    layers = [x for x in recurrent_layers(model) if isinstance(x, keras.layers.RNN)]
    eligible = all(cudnn_eligible(x) for x in layers)
    if not eligible:
        return "not eligible"
    backend = keras.backend.backend()
    packed = all(isinstance(x, PackedRecurrent) for x in layers)  # masked calls made unmasked (zoo.packed_rnn)
    if backend != "tensorflow" and not packed and any(getattr(x, "mask_zero", False) for x in model.layers):
        return f"eligible, but masked inputs take the generic loop on {backend}"
    if backend == "jax" and any(isinstance(x, keras.layers.GRU) for x in layers):
        return "no cuDNN GRU on jax (a fused scan)"  # Keras's JAX GRU is a lax.scan, whatever use_cudnn says
    return "applied" if backends.gpu_name() else "eligible (no GPU)"


def recurrent_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's recurrent layers (Keras RNNs, zoo.ScanRNN), each direction of a Bidirectional apart."""
    from zoo.scan_rnn import ScanRNN

    return [x for layer in model.layers for x in directions(layer) if isinstance(x, (keras.layers.RNN, ScanRNN))]


def cudnn_eligible(layer: keras.layers.Layer) -> bool:
    """Keras LSTM/GRU settings the fused kernel needs (masks aside)."""
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)) or layer.use_cudnn is False:
        return False
    cell = layer.cell
    ok = (cell.activation is keras.activations.tanh and cell.recurrent_activation is keras.activations.sigmoid
          and not cell.dropout and not cell.recurrent_dropout and not layer.unroll and cell.use_bias)
    return ok and (not isinstance(layer, keras.layers.GRU) or cell.reset_after)
