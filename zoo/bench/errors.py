"""Errors the `rnn-zoo` command turns into one line and an exit code (kept free of heavy imports)."""


class UsageError(ValueError):
    """Bad user input (unknown model, malformed --set, ...): one line, exit code 2."""
