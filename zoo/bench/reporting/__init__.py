"""What a reader sees: the tables (report.py), the figures (plots.py, matplotlib loaded only there), the
progress lines and tables a run prints (reporters.py) and the index of results/ (index.py).

A new report: a reporter the runner is handed (reporters.py: on_start, on_cell_end, ...) or a table or figure
built from the records (report.py, plots.py). Imports design/, execution/ and analysis/ only.
"""
