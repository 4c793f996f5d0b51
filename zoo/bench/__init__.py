"""The benchmark: presets, the model x task x seed matrix, its runner, reports and comparisons.

Imported by the `rnn-zoo` command, not by `import zoo` (it pulls in the tasks and plotting).

Its rooms, each importing only the rooms listed before it (tests/test_imports.py checks it):

- design/: what to run: presets, the matrix of trials, tuning's search spaces, names and orders.
- execution/: running trials and keeping their records: the runner and its executors, training, the store.
- analysis/: the statistics over records: intervals and tests, verdicts, group-sequential looks, sweeps.
- reporting/: tables, figures, progress lines and the results index, built from the records.
- experiment/: what the commands do with all that: a run, compare, --add-seeds, tune, gradients.
- speed/: the speed tools (`rnn-zoo bench`, `python -m zoo.bench.speed.scan_bench`, ...).

Above them, the command layer, thin: cli.py (`rnn-zoo`), tune_command.py (`rnn-zoo tune`) and api.py
(the same from Python). A model goes in zoo/models/, a task in tasks/; neither needs a line here.
"""
