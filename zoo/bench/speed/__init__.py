"""The speed tools: `rnn-zoo bench` (speed.py) and the `python -m zoo.bench.speed.X` benches of scans,
recomputation, cuDNN eligibility and pruners. They time, they train nothing that is kept; the top room.
"""
