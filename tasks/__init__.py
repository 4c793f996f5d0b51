"""Benchmark tasks for recurrent models: adding problem, copy memory, IMDB sentiment, (permuted) sequential
MNIST, polyphonic music (JSB Chorales, Nottingham, MuseData, Piano-midi.de), and length generalisation
(Delétang et al.'s regular, context-free and context-sensitive tasks, selective copying, associative recall).

    import tasks
    task = tasks.create_task("adding", T=200)
    splits = task.data(seed=0)          # train / val / test batches (keras.utils.PyDataset, any backend)
    model = zoo.create_model("gru", task.spec)

Importing tasks never chooses the Keras backend: KERAS_BACKEND or ~/.keras/keras.json does.
"""
from zoo import _keras_backend  # noqa: F401,I001  (before any task module imports keras)
from tasks import adding, copy_memory, imdb, mnist, music  # noqa: F401  (registers the tasks)
from tasks import context_free, context_sensitive, recall, regular  # noqa: F401  (the length tasks)
from tasks.base import Criterion, DataUnavailableError, Recipe, Splits, Task
from tasks.batches import Batches
from tasks.registry import create_task, list_tasks, register_task, task_params

__all__ = ["Batches", "Criterion", "DataUnavailableError", "Recipe", "Splits", "Task", "create_task", "list_tasks",
           "register_task", "task_params"]
