"""A trial's record: the one typed definition of what a run keeps of each trial.

A trial is one entry of a benchmark matrix (model x task instance x seed, `matrix.Trial`), trained
and tested once. Its record is the file OUT/cells/<cell_id>.json; the on-disk names (the cells/
folder, the `cell_id` key) stay as they were, so every run already on disk still reads.

Every new file carries `schema` (SCHEMA); a file without it is schema 1, read as ever and written
back without it. A file of a newer schema than this code's is refused with one line naming both,
since its fields may mean what this code cannot know.

`Record.from_json` checks a loaded dict field by field (a bad file gets one line naming the field),
`to_json` gives back exactly that dict, and readers use attributes and the derived properties below,
never string keys. A new key in the files is a new field here, or older code would refuse them.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from tasks.criterion import Criterion
from tasks.reference import Reference
from zoo.values import UsageError

STATUSES = ("completed", "diverged", "failed", "interrupted")
DONE = ("completed", "diverged")  # scored; a resumed run does not repeat these
OLD_BACKEND = "tensorflow (before backends were recorded)"  # what ran a trial whose config names no backend
# 2: the first schema written into the files. Raise it when older code must not read the new files (a field
# whose meaning changed, a new required field); a new optional field older code would only refuse as unknown.
SCHEMA = 2
UNVERSIONED = 1  # the schema of the files written before it was recorded

_OPTIONAL = "optional"  # absent from older files (or from some statuses) when None; written only when set
_SCORED = "scored"  # present exactly when the trial was scored (completed or diverged)
_NULLABLE = "nullable"  # a scored field that may be null even then
_ABSENT_AS = "absent as"  # a field whose absence means this value, which is then not written either


def _optional() -> Any:
    return field(default=None, metadata={_OPTIONAL: True})


def _scored(nullable: bool = False, optional: bool = False) -> Any:
    return field(default=None, metadata={_SCORED: True, _NULLABLE: nullable, _OPTIONAL: optional})


class RecordError(UsageError):
    """A cell file that does not hold a valid record; the message names the trial and the field."""


class NewerSchemaError(RecordError):
    """A cell file of a newer schema: not corrupt, so a resumed run stops rather than set it aside."""


@dataclass(frozen=True)
class Config:
    """What determines a trial's result (`matrix.Trial.config()`); `Record.config_hash` is its hash."""

    model: str
    task: str
    task_params: dict[str, Any]
    seed: int
    hparams: dict[str, Any]
    recipe: dict[str, Any]
    backend: str | None = _optional()  # e.g. "jax 0.10.2"; None in runs from before backends were recorded

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


@dataclass(frozen=True)
class Environment:
    """Where and with what a trial ran (`metadata.environment()`)."""

    python: str
    keras: str
    numpy: str
    backend: str  # the Keras backend's name
    device: str
    git_commit: str | None  # None outside a git checkout
    backend_version: str | None = _optional()  # None in runs from before backends were recorded, ...
    tensorflow: str | None = _optional()  # ... which held TensorFlow's version here instead

    def to_json(self) -> dict[str, Any]:
        return _dump(self)


@dataclass(frozen=True)
class Record:
    """One trial's outcome. Fields after `traceback` are None unless the trial was scored (`done`)."""

    # identity and environment, whatever the status (train.base_record)
    cell_id: str  # the trial's id and file name, e.g. "copy-T50__lstm__seed0"
    label: str  # the task instance, e.g. "copy(T=50)"
    model: str
    task: str
    seed: int
    config: Config
    config_hash: str
    environment: Environment
    status: str  # one of STATUSES
    error: str | None  # why it diverged, failed or was interrupted
    wall_seconds: float
    traceback: str | None = _optional()  # failed trials only
    # the record's schema: SCHEMA for a new record; UNVERSIONED (and absent from the file) for older files
    schema: int = field(default=SCHEMA, metadata={_ABSENT_AS: UNVERSIONED})
    # a trial of `rnn-zoo tune` (zoo.bench.experiment.tune): its study, Optuna's trial number, "complete" or "pruned"
    tuning: dict[str, Any] | None = _optional()
    # scored trials (completed or diverged)
    metric: str | None = _scored()  # the task's test metric, e.g. "mse"
    higher_is_better: bool | None = _scored()
    test: dict[str, float | None] | None = _scored()  # every test metric (None: NaN/Inf)
    # tasks tested at several lengths (zoo.bench.execution.lengths): each length's test metrics, the lengths trained on
    # ([shortest, longest]); `test` is then the mean over the lengths beyond training
    test_by_length: dict[str, dict[str, float | None]] | None = _scored(nullable=True, optional=True)
    train_lengths: list[int] | None = _scored(nullable=True, optional=True)
    reference: Reference | None = _scored(nullable=True, optional=True)  # published scores of the task (Task.reference)
    test_metric: float | None = _scored(nullable=True)  # test[metric]
    best_val_metric: float | None = _scored(nullable=True)
    baseline: float | None = _scored()  # the best trivial predictor's score
    solved_rule: str | None = _scored()  # e.g. "mse <= 0.01"
    # absent from files written before it was stored: `criterion` reads `solved_rule` then
    solved_criterion: Criterion | None = _scored(nullable=True, optional=True)
    solved: bool | None = _scored(nullable=True)  # None: never tested (a tuning trial, scored on validation)
    epochs_to_solve: int | None = _scored(nullable=True)  # first epoch whose validation score met the criterion
    history: dict[str, list[float | None]] | None = _scored()  # Keras's history, per epoch
    epochs: int | None = _scored()
    params: int | None = _scored()
    # the units it was built with (chosen by a parameter budget, config.hparams["params"], or set); absent from
    # files written before it was stored, null for a model outside zoo.builder
    units: int | None = _scored(nullable=True, optional=True)
    epoch_seconds: list[float] | None = _scored()
    seconds_per_epoch: float | None = _scored()
    train_sequences_per_second: float | None = _scored(nullable=True)  # median over epochs after the first
    n_train: int | None = _scored()
    cudnn: str | None = _scored()  # cuDNN eligibility, e.g. "eligible (no GPU)"

    @property
    def done(self) -> bool:
        """Scored (completed or diverged): a resumed run does not repeat it."""
        return self.status in DONE

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    @property
    def criterion(self) -> Criterion | None:
        """When the task counts as solved, as the trial recorded it (older files hold only the rule's text)."""
        if self.solved_criterion is not None or self.solved_rule is None:
            return self.solved_criterion
        return Criterion.parse(self.solved_rule)

    @property
    def backend(self) -> str:
        """The Keras backend and version the trial ran on."""
        return OLD_BACKEND if self.config.backend is None else self.config.backend

    @property
    def error_line(self) -> str | None:
        """The error's first line, for tables and progress lines."""
        return self.error.splitlines()[0] if self.error else self.error

    @classmethod
    def from_json(cls, data: Any) -> Record:
        """The record a cell file holds; RecordError naming the trial and the field if it holds none."""
        trial = data.get("cell_id") if isinstance(data, dict) else None
        where = f"cell {trial}: " if isinstance(trial, str) else ""
        try:
            if isinstance(data, dict):
                _check_schema(data)
            if isinstance(data, dict) and "status" in data:
                _check_scored_fields(data)
            record = _load(cls, data, "")
            if record.done:
                record.criterion  # noqa: B018  (an unreadable solved_rule fails here, not in a report)
        except (RecordError, ValueError) as err:
            raise (type(err) if isinstance(err, RecordError) else RecordError)(f"{where}{err}") from None
        return record

    def to_json(self) -> dict[str, Any]:
        """The dict from_json was given (store.write_json sorts its keys)."""
        return _dump(self)


def _check_schema(data: dict) -> None:
    """First, before any field: a newer schema's fields may not be this one's."""
    schema = data.get("schema", UNVERSIONED)
    if isinstance(schema, int) and not isinstance(schema, bool):
        if schema > SCHEMA:
            raise NewerSchemaError(f"written with record schema {schema}, newer than this rnn-zoo's schema {SCHEMA}: "
                              f"read it with a newer rnn-zoo")
        if schema < UNVERSIONED:
            raise RecordError(f"field 'schema' must be an int >= {UNVERSIONED}, got {schema}")


def _check_scored_fields(data: dict) -> None:
    """A known status; a scored trial has every scored field, another trial none of them."""
    status = data["status"]
    if status not in STATUSES:
        raise RecordError(f"field 'status' must be one of {', '.join(STATUSES)}, got {_short(status)}")
    for f in dataclasses.fields(Record):
        if not f.metadata.get(_SCORED):
            continue
        if status in DONE and f.name not in data and not f.metadata[_OPTIONAL]:
            raise RecordError(f"field {f.name!r} is missing (a {status} trial has it)")
        if status not in DONE and f.name in data:
            raise RecordError(f"field {f.name!r} is only for a scored trial, not a {status} one")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Field types; a scored field that is not nullable drops its None (it is present only when scored)."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get(_SCORED) and not f.metadata[_NULLABLE]:
            (hints[f.name],) = [arm for arm in typing.get_args(hints[f.name]) if arm is not type(None)]
    return hints


def _load(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise RecordError(f"{f'field {prefix[:-1]!r}' if prefix else 'a record'} must be a JSON object, "
                          f"got {_short(data)}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        raise RecordError(f"unknown field {prefix + str(unknown[0])!r}; known: {', '.join(names)}")
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(data[f.name], _hints(cls)[f.name], prefix + f.name)
        elif _ABSENT_AS in f.metadata:
            values[f.name] = f.metadata[_ABSENT_AS]
        elif f.default is dataclasses.MISSING:
            raise RecordError(f"field {prefix + f.name!r} is missing")
    return cls(**values)


def _convert(value: Any, hint: Any, name: str) -> Any:
    """`value` itself (so to_json writes the same bytes: an int stays an int), or a nested dataclass."""
    arms = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None and type(None) in arms:
        return None
    (kind,) = [arm for arm in arms if arm is not type(None)]  # the schema has no other unions
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        return _load(kind, value, name + ".")
    if origin is dict and isinstance(value, dict):
        for key, item in value.items():
            _convert(item, args[1], f"{name}.{key}")
    elif origin is list and isinstance(value, list):
        for i, item in enumerate(value):
            _convert(item, args[0], f"{name}[{i}]")
    elif origin is not None or not _is(value, kind):
        raise RecordError(f"field {name!r} must be {_type_name(hint)}, got {_short(value)}")
    return value


def _is(value: Any, kind: Any) -> bool:
    if kind is Any:
        return True
    if isinstance(value, bool):  # a bool is an int to Python, never a number in a record
        return kind is bool
    return isinstance(value, (int, float)) if kind is float else isinstance(value, kind)


def _type_name(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint)


def _short(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _dump(obj: Any) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if (f.metadata.get(_SCORED) and not obj.done) or (value is None and f.metadata.get(_OPTIONAL)):
            continue
        if _ABSENT_AS in f.metadata and value == f.metadata[_ABSENT_AS]:
            continue
        out[f.name] = _dump(value) if dataclasses.is_dataclass(value) else value
    return out
