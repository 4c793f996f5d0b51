"""`rnn-zoo tune`: one Optuna study per (model, task instance), the same trial budget for every model.

Each trial draws a recipe and model options from zoo.bench.design.search_space, keeps the model at the study's
parameter budget, trains on the training split and is scored by its best validation metric alone; it never
evaluates the test split (its record's test scores are empty), which is for the fresh seeds afterwards
(zoo.bench.experiment.tune_final). A pruner stops poor trials early on
the per-epoch validation metric. Every trial is also an ordinary record, OUT/cells/<label>__<model>__trialN.

Storage: OUT/study.journal (Optuna's journal file: appends only, so a kill -9 cannot corrupt it), or any
Optuna storage URL (a server database for a cluster). Exactly --trials finished trials (complete or pruned):
each process asks for a trial under a lock (OUT/tune.lock, which the kernel frees when its holder dies) only
while finished + running trials fall short, and a trial left RUNNING by a dead process (its pid gone from
this host, or its heartbeat silent past store.STALE_SECONDS) is failed there and its parameters asked again.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import keras
import optuna
from optuna.trial import TrialState

import tasks
import zoo
from zoo.bench.design import search_space
from zoo.bench.execution import store
from zoo.bench.design.matrix import Trial, validate_recipe
from zoo.bench.design.ordering import slug
from zoo.bench.design.presets import merge_hparams
from zoo.bench.execution.record import Record
from zoo.bench.reporting.reporters import _hms
from zoo.bench.execution.workers import DataCache, Settings, train_one

optuna.logging.set_verbosity(optuna.logging.WARNING)  # tune's own progress lines say what happens

JOURNAL = store.TUNE_JOURNAL
LOCK = "tune.lock"
HEARTBEAT_SECONDS = 30
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
TUNING_SEED = store.TUNING_SEED  # every trial trains on it; the fresh seeds of the best configuration start at 1
MAX_FAILURES = 3  # failed trials (errors in training) a study tolerates before it stops asking for more


@dataclasses.dataclass(frozen=True)
class StudyTrial(Trial):
    """A trial of a study: its id carries Optuna's trial number, since every trial of a study shares seed 0."""

    trial: int = 0

    @property
    def cell_id(self) -> str:
        return f"{slug(self.label)}__{self.model}__trial{self.trial}"


def storage_for(out: Path, url: str | None):
    if url:
        return optuna.storages.get_storage(url)
    backend = optuna.storages.journal.JournalFileBackend(
        str(out / JOURNAL), lock_obj=optuna.storages.journal.JournalFileOpenLock(str(out / JOURNAL)))
    return optuna.storages.JournalStorage(backend)


def study_name(cell: Trial) -> str:
    return f"{slug(cell.label)}__{cell.model}"


REFERENCE_MODEL = "lstm"  # without a budget, every model of a task gets the LSTM's count at the preset's size


def budget_for(cell: Trial) -> int:
    """The study's parameter budget: the preset's (or --set model.params), else the LSTM's count at the preset's
    units on the task, the same for every model (as Bai et al. 2018 sized their models to match)."""
    if "params" in cell.hparams:
        return cell.hparams["params"]
    spec = tasks.create_task(cell.task, **cell.task_params).spec
    return zoo.create_model(REFERENCE_MODEL, spec, **cell.hparams).count_params()


def base_trial(cell: Trial, budget: int) -> Trial:
    """The study's template: the preset's cell at the budget (units derived from it), seed TUNING_SEED."""
    return dataclasses.replace(cell, seed=TUNING_SEED, hparams=merge_hparams(cell.hparams, {"params": budget}))


def make_sampler(name: str, seed: int):
    if name == "random":  # Greff et al.'s protocol
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(name: str):
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    if name == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)


def open_study(storage, cell: Trial, higher_is_better: bool, sampler: str, pruner: str, seed: int) -> optuna.Study:
    return optuna.create_study(storage=storage, study_name=study_name(cell), load_if_exists=True,
                               direction="maximize" if higher_is_better else "minimize",
                               sampler=make_sampler(sampler, seed), pruner=make_pruner(pruner))


class ReportValidation(keras.callbacks.Callback):
    """Hands the pruner each epoch's validation metric; stops training (at the epoch's end) when it prunes."""

    def __init__(self, trial: optuna.Trial, monitor: str):
        super().__init__()
        self.trial, self.monitor, self.pruned = trial, monitor, False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        self.trial.report(float(value), epoch + 1)
        if self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True


def fail_dead_trials(study: optuna.Study) -> int:
    """Fail every RUNNING trial whose process is gone, and ask for its parameters again; returns how many.
    Call it holding the lock (every process of a study must share OUT/tune.lock: OUT on a shared disk)."""
    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = t.system_attrs
        started = t.datetime_start.timestamp() if t.datetime_start else 0.0
        # no pid: its process died between asking and signing it, since both happen under the lock we hold
        if "pid" not in attrs or store.writer_is_gone(attrs["host"], attrs["pid"], attrs.get("heartbeat", started)):
            study._storage.set_trial_system_attr(t._trial_id, "failed_because", "its process died")
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
            study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})
            n += 1
    return n


@contextlib.contextmanager
def locked(out: Path):
    with open(out / LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ask(study: optuna.Study, out: Path, trials: int) -> optuna.Trial | None:
    """The next trial of this process, or None once finished + running trials reach `trials`."""
    with locked(out):
        fail_dead_trials(study)
        counts = {s: len(study.get_trials(deepcopy=False, states=(s,))) for s in (*FINISHED, TrialState.RUNNING,
                                                                                   TrialState.FAIL)}
        failed = counts.pop(TrialState.FAIL) - sum(
            "failed_because" in t.system_attrs for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)))
        if sum(counts.values()) >= trials or failed >= MAX_FAILURES:
            return None
        trial = study.ask()  # signed before the lock is released: an unsigned RUNNING trial is a dead one
        for key, value in (("host", store.HOST), ("pid", os.getpid()), ("heartbeat", time.time())):
            trial.storage.set_trial_system_attr(trial._trial_id, key, value)
        return trial


class Heartbeat:
    """While a trial trains, refreshes its heartbeat so processes on other hosts see it alive."""

    def __init__(self, trial: optuna.Trial):
        self.trial, self._stop = trial, threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(Exception):  # a finished trial refuses attributes
                self.trial.storage.set_trial_system_attr(self.trial._trial_id, "heartbeat", time.time())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()


def run_trial(study: optuna.Study, trial: optuna.Trial, base: Trial, out: Path, data: DataCache,
              stop_requested: Callable[[], bool]) -> Record:
    """Train one trial, write its record, tell the study (complete, pruned or failed)."""
    task = tasks.create_task(base.task, **base.task_params)
    hparams, recipe = search_space.suggest(trial, search_space.space(base.model, task.spec),
                                           validate_recipe(base.recipe, base.task)["batch_size"])
    cell = StudyTrial(base.model, base.task, base.task_params, base.seed, merge_hparams(base.hparams, hparams),
                     validate_recipe({**base.recipe, **recipe}, base.task), base.label, base.backend,
                     trial=trial.number)
    watch = ReportValidation(trial, f"val_{task.metric}")
    with Heartbeat(trial):
        record = train_one(cell, Settings(test_split=False), data, stop_requested, callbacks=(watch,))
    if record.interrupted or stop_requested():
        raise KeyboardInterrupt  # the trial stays RUNNING; the next process to ask fails it and retries it
    state = TrialState.PRUNED if watch.pruned and record.done else TrialState.COMPLETE if record.done \
        else TrialState.FAIL
    value = objective_value(record, task)
    record = dataclasses.replace(record, tuning={"study": study.study_name, "trial": trial.number,
                                                 "state": state.name.lower(), "value": value})
    store.save_cell(out, record)  # on disk before the study hears of it
    if state == TrialState.FAIL:
        trial.set_user_attr("error", record.error_line)
    study.tell(trial, None if state != TrialState.COMPLETE else value, state=state)
    return record


def objective_value(record: Record, task) -> float | None:
    """The trial's score: its best validation metric; a diverged trial (no finite one) scores the baseline."""
    if not record.done:
        return None
    value = record.best_val_metric
    return value if value is not None and math.isfinite(value) else float(task.baseline)


def enqueue_default(study: optuna.Study, base: Trial, spec, out: Path, say: Callable[[str], None] | None) -> None:
    """Make a new study's first trial the default recipe (search_space.default_draws), once: under the lock,
    only while the study has no trial, so a second process or a resumed study never enqueues it again."""
    with locked(out):
        if study.get_trials(deepcopy=False):
            return
        try:
            draws = search_space.default_draws(base.model, spec, base.hparams, validate_recipe(base.recipe, base.task))
        except ValueError as err:
            if say:
                say(f"{study.study_name}: no default-recipe trial: {err}")
            return
        study.enqueue_trial(draws, user_attrs={"default_recipe": True})


def work(cells: list[Trial], out: Path, trials: int, storage_url: str | None, sampler: str, pruner: str,
         worker: int, stop_requested: Callable[[], bool], say: Callable[[str], None] | None,
         default_first: bool = False) -> None:
    """Run trials of every study until each has `trials` finished; `say` (the main process) tells progress;
    `default_first`: a new study's first trial is the default recipe (enqueue_default)."""
    out.mkdir(parents=True, exist_ok=True)
    storage = storage_for(out, storage_url)
    data = DataCache()
    for cell in cells:
        task = tasks.create_task(cell.task, **cell.task_params)
        base = base_trial(cell, budget_for(cell))
        # seeded by the study's length, so a resumed or second process draws other points than the first
        seed = 1000 * worker + len(optuna.load_study(study_name=study_name(cell), storage=storage).trials) \
            if study_name(cell) in optuna.get_all_study_names(storage) else 1000 * worker
        study = open_study(storage, base, task.higher_is_better, sampler, pruner, seed)
        study.set_user_attr("budget", base.hparams["params"])
        study.set_user_attr("template", base.config())
        if default_first:
            enqueue_default(study, base, task.spec, out, say)
        started = time.perf_counter()
        mine = 0
        while (trial := ask(study, out, trials)) is not None:
            t0 = time.perf_counter()
            record = run_trial(study, trial, base, out, data, stop_requested)
            mine += 1
            if say:
                progress(say, study, trials, record, time.perf_counter() - t0, (time.perf_counter() - started) / mine,
                         first=mine == 1)


def progress(say, study: optuna.Study, trials: int, record: Record, seconds: float, mean: float,
             first: bool) -> None:
    finished = [t for t in study.get_trials(deepcopy=False, states=FINISHED)]
    k = len(finished)
    if first:
        say(f"{study.study_name}: cost about {trials} trials x {seconds:.1f} s (the first trial) = "
            f"{_hms(trials * seconds)} for this study, less what the pruner stops early")
    try:
        best = f"best {study.best_value:.4g} (trial {study.best_trial.number})"
    except ValueError:  # no complete trial yet
        best = "no complete trial yet"
    state = record.tuning["state"] if record.tuning else record.status
    say(f"{study.study_name}: trial {k} of {trials} {state} in {seconds:.1f} s; {best}; "
        f"ETA {_hms(max(0, trials - k) * mean)}")


def say_stderr(line: str) -> None:
    print(f"rnn-zoo tune: {line}", file=sys.stderr, flush=True)
