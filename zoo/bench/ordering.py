"""Stable orders for tables and plots."""
from __future__ import annotations

import re

# rnn family first, then LSTMs, then GRUs: the order a reader compares them in
MODEL_ORDER = ["rnn", "birnn", "deep_rnn", "lstm", "bilstm", "deep_lstm", "peephole_lstm", "cifg_lstm",
               "gru", "bigru", "deep_gru"]


def model_key(name: str) -> tuple:
    return (MODEL_ORDER.index(name), name) if name in MODEL_ORDER else (len(MODEL_ORDER), name)


def natural_key(text: str) -> list:
    """'copy(T=100)' sorts after 'copy(T=25)'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def slug(text: str) -> str:
    """'copy(T=25)' -> 'copy-T25', for file names."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.replace("=", "")).strip("-")
