"""rnn-zoo: a registry of Keras recurrent models (SimpleRNN, LSTM, GRU and variants, minGRU/minLSTM, IndRNN, LRU).

    import zoo
    spec = zoo.Spec(zoo.InputSpec(length=100, features=2), zoo.OutputSpec("regression"))
    model = zoo.create_model("gru", spec, units=128)

Importing zoo never overrides the Keras backend: KERAS_BACKEND or ~/.keras/keras.json chooses it. Where
neither chose one and Keras's default, TensorFlow, is not installed, the first of jax, torch is used.
"""
from zoo import _keras_backend  # noqa: F401  (before anything imports keras)
from zoo import models as _models  # noqa: F401,I001  (registers the builders)
from zoo.budget import units_for_params
from zoo.builder import RecurrentConfig
from zoo.cells import CIFGLSTMCell, PeepholeLSTMCell
from zoo.indrnn import IndRNNCell
from zoo.initializers import ChronoBias
from zoo.lru import LRUCell
from zoo.min_rnn import MinGRUCell, MinLSTMCell
from zoo.pooling import SequencePooling
from zoo.registry import check_model, create_model, list_models, model_doc, model_order, register_model
from zoo.scan_rnn import ScanRNN
from zoo.spec import InputSpec, OutputSpec, Spec

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
    "units_for_params",
]
