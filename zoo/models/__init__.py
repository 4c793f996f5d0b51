"""Registered model families: importing a module registers its builders. New model = new file + a line here.

The order of these imports (and of the builders within a file) is the models' order in
tables and figures (zoo.registry.model_order): the 1990s RNN, LSTMs, GRUs, then the parallel
recurrences.
"""
from zoo.models import simple_rnn  # noqa: F401  isort: skip
from zoo.models import lstm  # noqa: F401  isort: skip
from zoo.models import peephole_lstm  # noqa: F401  isort: skip
from zoo.models import cifg_lstm  # noqa: F401  isort: skip
from zoo.models import gru  # noqa: F401  isort: skip
from zoo.models import indrnn  # noqa: F401  isort: skip
from zoo.models import min_rnn  # noqa: F401  isort: skip
from zoo.models import lru  # noqa: F401  isort: skip
