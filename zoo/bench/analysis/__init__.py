"""The statistics over records: intervals and equivalence tests (stats.py), the group-sequential looks of
--add-seeds (sequential.py), the verdict of two models per task (verdicts.py) and the best of a sweep
(sweep.py). Reads records; trains nothing.

Imports design/ and execution/ (for a record's fields and the store) only.
"""
