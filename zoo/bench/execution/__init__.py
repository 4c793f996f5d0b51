"""Running trials and keeping their records: the runner (runner.py) hands trials to an executor (in one
process, worker processes: workers.py, or Ray: ray_executor.py; picked in executors.py), each trains one
(train.py) and the store (store.py, claims.py) writes its typed record (record.py) into the run's folder.

Imports only design/. A new executor: a class with the `Executor` protocol in runner.py, picked in executors.py.
"""
