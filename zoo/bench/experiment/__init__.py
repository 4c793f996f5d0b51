"""What the commands do with the rooms below: a run of the matrix (experiment.py), `compare` and its
--add-seeds (compare.py, auto_seeds.py; the command's body: compare_command.py), `tune` and its fresh seeds (tune.py, tune_final.py) and the
gradient diagnostic (gradients.py). The command layer (zoo/bench/cli.py) only parses flags and calls these.
"""
