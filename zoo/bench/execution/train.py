"""Train and evaluate one trial (a matrix entry, matrix.Trial), returning its record (record.Record)."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import keras

import tasks
import zoo
from tasks.base import Recipe, Splits, Task
from zoo.bench.execution import lengths
from zoo.bench.design.matrix import Trial, reads_future
from zoo.bench.execution.metadata import cudnn_status, environment
from zoo.bench.execution.record import Config, Environment, Record


class EpochClock(keras.callbacks.Callback):
    """Per-epoch wall time of the training pass alone (until validation starts) and of the whole epoch."""

    def __init__(self):
        super().__init__()
        self.train_seconds: list[float] = []
        self.epoch_seconds: list[float] = []
        self._start = self._train_end = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._train_end = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        if self._start is not None and self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.train_seconds.append((self._train_end or now) - self._start)
        self.epoch_seconds.append(now - self._start)
        self._start = None


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop at the first NaN/Inf batch loss and remember that it happened (TerminateOnNaN does not).

    Not async_safe: on JAX, stopping from Keras's callback thread while a step runs left the
    trainer reading a donated (deleted) buffer.
    """

    def __init__(self):
        super().__init__()
        self.diverged_at: int | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = self._epoch
            self.model.stop_training = True


class StopWhen(keras.callbacks.Callback):
    """Ends training and evaluation at the next batch boundary once `requested()` is true.

    Ctrl-C is turned into this flag rather than a KeyboardInterrupt raised inside TensorFlow's
    runtime, which can leave the process hung in a half-finished op.
    """

    def __init__(self, requested: Callable[[], bool]):
        super().__init__()
        self.requested = requested

    def on_train_batch_end(self, batch, logs=None):
        if self.requested():
            self.model.stop_training = True

    def on_test_batch_end(self, batch, logs=None):
        if self.requested():
            self.model.stop_evaluating = True


def make_optimizer(recipe: Recipe) -> keras.optimizers.Optimizer:
    config = {"learning_rate": recipe.learning_rate}
    if recipe.clipnorm:
        config["clipnorm"] = recipe.clipnorm
    return keras.optimizers.get({"class_name": recipe.optimizer, "config": config})


def compile_for(task: Task, model_name: str, hparams: dict, recipe: Recipe) -> keras.Model:
    why = reads_future(task, zoo.check_model(model_name, task.spec, **hparams))
    if why:  # build_trials refuses these before a run starts; anything else that trains is refused here
        raise ValueError(f"model {model_name!r} may not train on {task.describe()}: it is {why}")
    model = zoo.create_model(model_name, task.spec, **hparams)
    model.compile(make_optimizer(recipe), task.loss(), metrics=task.metrics())
    return model


def train_trial(cell: Trial, splits: Splits, verbose: bool = False, tensorboard: Path | None = None,
               stop_requested: Callable[[], bool] = lambda: False, callbacks: tuple = (),
               test_split: bool = True) -> Record:
    """Build, train (early stopping on validation, best weights restored) and test one cell; `callbacks` join
    Keras's (tune's pruner watches the validation metric through one). With `test_split` False (a tuning
    trial, chosen on validation alone) the test split is never evaluated: the record's `test` is empty and
    its `test_metric` and `solved` are None.

    Raises KeyboardInterrupt, from plain Python, when `stop_requested()` turned true meanwhile.
    """
    task = tasks.create_task(cell.task, **cell.task_params)
    recipe = Recipe(**cell.recipe)
    keras.utils.set_random_seed(cell.seed)
    # a new shuffle stage, made after seeding: the epoch orders depend on the seed alone, not on
    # which cells used this data before (a shuffle's state advances with every pass)
    splits = splits.fresh()
    model = compile_for(task, cell.model, cell.hparams, recipe)
    clock, nan_guard = EpochClock(), StopOnNonFinite()
    monitor = f"val_{task.monitor or task.metric}"
    callbacks = [clock, nan_guard, StopWhen(stop_requested), keras.callbacks.EarlyStopping(
        monitor, mode="max" if task.higher_is_better and not task.monitor else "min", patience=recipe.patience,
        restore_best_weights=True), *callbacks]
    if tensorboard is not None:
        callbacks.append(keras.callbacks.TensorBoard(str(tensorboard / cell.cell_id)))

    start = time.perf_counter()
    # shuffle=False: the batches already reshuffle every epoch with the cell's data seed
    history = model.fit(splits.train, validation_data=splits.val, epochs=recipe.epochs, verbose=2 if verbose else 0,
                        callbacks=callbacks, shuffle=False).history
    if stop_requested():
        raise KeyboardInterrupt
    by_length, test = {}, {}
    if test_split:
        for length, batches in sorted(splits.by_length.items()):
            by_length[str(length)] = evaluate(model, batches, stop_requested)
        test = lengths.beyond_training(by_length, task.train_lengths) if by_length else (
            evaluate(model, splits.test, stop_requested))
    wall = time.perf_counter() - start

    best_val = _best(history.get(f"val_{task.metric}", []), task.higher_is_better)
    finite = all(math.isfinite(float(v)) for v in test.values())
    status = "diverged" if nan_guard.diverged_at is not None or not finite else "completed"
    epochs = len(clock.epoch_seconds)
    steady = sorted(clock.train_seconds[1:] or clock.train_seconds)  # epoch 1 includes tracing
    train_s = steady[len(steady) // 2] if steady else float("nan")
    return base_record(
        cell, status,
        error=f"non-finite loss in epoch {nan_guard.diverged_at + 1}" if nan_guard.diverged_at is not None else None,
        wall_seconds=wall,
        test={k: float(v) for k, v in test.items()},
        test_by_length=by_length or None,
        train_lengths=list(task.train_lengths) if by_length else None,
        reference=task.reference,
        metric=task.metric,
        higher_is_better=task.higher_is_better,
        test_metric=float(test[task.metric]) if test_split else None,
        best_val_metric=best_val,
        baseline=task.baseline,
        solved_rule=task.solved.describe(),
        solved_criterion=task.solved,
        solved=status == "completed" and task.solved.met(float(test[task.solved.metric])) if test_split else None,
        epochs_to_solve=_epochs_to_solve(history, task),
        history={k: [float(x) for x in v] for k, v in history.items()},
        epochs=epochs,
        params=model.count_params(),
        units=built_units(cell.model, task.spec, cell.hparams),
        epoch_seconds=clock.epoch_seconds,
        seconds_per_epoch=sum(clock.epoch_seconds) / max(1, epochs),
        train_sequences_per_second=splits.sizes["train"] / train_s if train_s > 0 else None,
        n_train=splits.sizes["train"],
        cudnn=cudnn_status(model),
    )


def built_units(model: str, spec, hparams: dict) -> int | None:
    """The units `model` builds with: its budget's (hparams["params"]) or its config's."""
    cfg = zoo.check_model(model, spec, **hparams)
    if not isinstance(cfg, zoo.RecurrentConfig):
        return None
    return zoo.budget.budget_units(model, spec, hparams) if cfg.params is not None else cfg.units


def evaluate(model: keras.Model, batches, stop_requested: Callable[[], bool]) -> dict[str, float]:
    """The test metrics on `batches`; KeyboardInterrupt if a stop was requested meanwhile."""
    scores = model.evaluate(batches, verbose=0, return_dict=True, callbacks=[StopWhen(stop_requested)])
    if stop_requested():
        raise KeyboardInterrupt
    return {k: float(v) for k, v in scores.items()}


def base_record(cell: Trial, status: str, *, error: str | None, wall_seconds: float, **outcome) -> Record:
    """The trial's record: its identity and environment (common to every status), then `outcome`."""
    return Record(cell_id=cell.cell_id, label=cell.label, model=cell.model, task=cell.task, seed=cell.seed,
                  config=Config(**cell.config()), config_hash=cell.config_hash,
                  environment=Environment(**environment()), status=status, error=error,
                  wall_seconds=wall_seconds, **outcome)


def _best(values: list[float], higher: bool) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return (max(finite) if higher else min(finite)) if finite else None


def _epochs_to_solve(history: dict, task: Task) -> int | None:
    """First epoch (1-based) whose validation score meets the solved criterion, if any."""
    for i, value in enumerate(history.get(f"val_{task.solved.metric}", [])):
        if task.solved.met(value):
            return i + 1
    return None
