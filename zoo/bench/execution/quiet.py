"""TensorFlow's start-up banner kept out of rnn-zoo's output (unless -v), in the command and its workers.

TensorFlow >= 2.19 writes its banner (oneDNN, cudart stub, cpu_feature_guard) through absl before it
reads TF_CPP_MIN_LOG_LEVEL, so the imports that may load it run with fd 2 sent to /dev/null. It is
loaded on any backend: keras.utils.set_random_seed seeds TensorFlow whenever it is installed.
"""
from __future__ import annotations

import contextlib
import os
import sys


def quiet_startup(verbose: bool, trains: bool = False) -> None:
    """Unless `verbose`: hide TensorFlow's and absl's start-up logs (an explicit TF_CPP_MIN_LOG_LEVEL still wins).

    `trains`: also load what training loads (TensorFlow, through set_random_seed), so that its banner
    cannot break into the progress lines later.
    """
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass
    with stderr_fd_muted():
        import keras
        import tasks  # noqa: F401

        if trains:
            keras.utils.set_random_seed(0)


@contextlib.contextmanager
def stderr_fd_muted():
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
