"""rnn-zoo: a registry of Keras recurrent models (SimpleRNN, LSTM, GRU and variants, minGRU/minLSTM, IndRNN, LRU).

    import zoo
    spec = zoo.Spec(zoo.InputSpec(length=100, features=2), zoo.OutputSpec("regression"))
    model = zoo.create_model("gru", spec, units=128)

Importing zoo never overrides the Keras backend: KERAS_BACKEND or ~/.keras/keras.json chooses it. Where
neither chose one and Keras's default, TensorFlow, is not installed, the fastest installed one is used.

`import zoo` itself loads no Keras, so that a program (the `rnn-zoo` command) can still choose the backend
after importing zoo. Its Keras classes load with Keras instead: when anything imports Keras (at once if it is
loaded already), so that `keras.saving.load_model` finds them; and each name below loads its module when
first used.
"""
import importlib
import importlib.util

from zoo import _keras_backend  # noqa: F401  (before anything imports keras)
from zoo import _with_keras

__version__ = "0.1.0"
# Each public name and the module that defines it
_PUBLIC = {
    "ChronoBias": "zoo.initializers",
    "CIFGLSTMCell": "zoo.cells",
    "IndRNNCell": "zoo.indrnn",
    "InputSpec": "zoo.spec",
    "LRUCell": "zoo.lru",
    "MinGRUCell": "zoo.min_rnn",
    "MinLSTMCell": "zoo.min_rnn",
    "OutputSpec": "zoo.spec",
    "PeepholeLSTMCell": "zoo.cells",
    "RecurrentConfig": "zoo.builder",
    "ScanRNN": "zoo.scan_rnn",
    "SequencePooling": "zoo.pooling",
    "Spec": "zoo.spec",
    "check_model": "zoo.registry",
    "create_model": "zoo.registry",
    "list_models": "zoo.registry",
    "model_doc": "zoo.registry",
    "model_order": "zoo.registry",
    "register_model": "zoo.registry",
    "units_for_params": "zoo.budget",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    """`zoo.NAME` for a public name or a submodule (zoo.builder, zoo.models, ...), imported on first use."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"zoo.{name}") is not None:
        value = importlib.import_module(f"zoo.{name}")
    else:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


def _load() -> None:
    """Every public name's module and the built-in models: their Keras classes registered for saving."""
    for module in ["zoo.models", *dict.fromkeys(_PUBLIC.values())]:
        importlib.import_module(module)


_with_keras.watch(_load)
