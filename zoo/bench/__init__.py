"""The benchmark: presets, the model x task x seed matrix, its runner, reports and comparisons.

Imported by the `rnn-zoo` command, not by `import zoo` (it pulls in the tasks and plotting).
"""
