"""rnn-zoo: a registry of Keras recurrent models (SimpleRNN, LSTM, GRU and variants, minGRU/minLSTM, IndRNN, LRU).

    import zoo
    spec = zoo.Spec(zoo.InputSpec(length=100, features=2), zoo.OutputSpec("regression"))
    model = zoo.create_model("gru", spec, units=128)
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from zoo import models as _models  # noqa: E402,F401  (registers the builders)
from zoo.builder import RecurrentConfig  # noqa: E402
from zoo.cells import CIFGLSTMCell, PeepholeLSTMCell  # noqa: E402
from zoo.indrnn import IndRNNCell  # noqa: E402
from zoo.initializers import ChronoBias  # noqa: E402
from zoo.lru import LRUCell  # noqa: E402
from zoo.min_rnn import MinGRUCell, MinLSTMCell  # noqa: E402
from zoo.pooling import SequencePooling  # noqa: E402
from zoo.registry import check_model, create_model, list_models, model_doc, model_order, register_model  # noqa: E402
from zoo.scan_rnn import ScanRNN  # noqa: E402
from zoo.spec import InputSpec, OutputSpec, Spec  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "ChronoBias",
    "CIFGLSTMCell",
    "IndRNNCell",
    "InputSpec",
    "LRUCell",
    "MinGRUCell",
    "MinLSTMCell",
    "OutputSpec",
    "PeepholeLSTMCell",
    "RecurrentConfig",
    "ScanRNN",
    "SequencePooling",
    "Spec",
    "check_model",
    "create_model",
    "list_models",
    "model_doc",
    "model_order",
    "register_model",
]
