"""Registered model families: importing a module registers its builders. New model = new file + a line here."""
from zoo.models import cifg_lstm, gru, lstm, peephole_lstm, simple_rnn  # noqa: F401
