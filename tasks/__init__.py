"""Benchmark tasks for recurrent models: adding problem, copy memory, IMDB sentiment.

    import tasks
    task = tasks.create_task("adding", T=200)
    splits = task.data(seed=0)          # batched, cached, prefetched tf.data pipelines
    model = zoo.create_model("gru", task.spec)
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from tasks import adding, copy_memory, imdb  # noqa: E402,F401  (registers the tasks)
from tasks.base import Criterion, DataUnavailableError, Recipe, Splits, Task  # noqa: E402
from tasks.registry import create_task, list_tasks, register_task, task_params  # noqa: E402

__all__ = ["Criterion", "DataUnavailableError", "Recipe", "Splits", "Task", "create_task", "list_tasks",
           "register_task", "task_params"]
