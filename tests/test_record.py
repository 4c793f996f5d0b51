"""The typed trial record (zoo/bench/execution/record.py): every committed cell file reads and writes back
byte for byte, older files' missing keys read as what they meant, a bad file names its field."""
import json
import shutil
from pathlib import Path

import pytest

from zoo.bench.reporting import report
from zoo.bench.execution import store
from zoo.bench.cli import main
from tasks.criterion import Criterion
from zoo.bench.design.matrix import Trial
from zoo.bench.execution.record import OLD_BACKEND, SCHEMA, UNVERSIONED, NewerSchemaError, Record, RecordError
from tasks.reference import Reference
from zoo.bench.execution.train import base_record

REPO = Path(__file__).resolve().parents[1]
COMMITTED = sorted(REPO.glob("results/*/cells/*.json"))
# An early cell file (TensorFlow, before the backend in the config and the stored criterion), kept
# here because the committed runs that had it were re-made.
V1_CELL = Path(__file__).parent / "data" / "v1-adding-T100__lstm__seed0.json"
# a tune folder's trial records have no tables of their own (its final/ and default/ runs do)
RUNS = sorted({p.parent.parent for p in COMMITTED if not (p.parent.parent / "study.journal").is_file()})


def test_there_are_committed_cell_files_to_check():
    assert len(COMMITTED) >= 90 and len(RUNS) >= 2


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_committed_cell_file_round_trips_byte_for_byte(path, tmp_path):
    data = json.loads(path.read_text())
    record = Record.from_json(data)
    assert record.to_json() == data
    store.save_cell(tmp_path, record)
    assert (tmp_path / "cells" / path.name).read_bytes() == path.read_bytes()


def test_a_file_without_a_schema_is_schema_1_and_written_back_without_one():
    """Files from before the schema field are schema 1, and the round trip above keeps the field out of them;
    files written since carry the current schema."""
    schemas = {json.loads(p.read_text()).get("schema", UNVERSIONED) for p in COMMITTED}
    assert UNVERSIONED in schemas and schemas <= {UNVERSIONED, SCHEMA}
    record = Record.from_json(committed())
    assert record.schema == UNVERSIONED == 1 and "schema" not in record.to_json()


def test_a_newer_schema_is_refused_in_one_line_naming_the_file_and_both_schemas(tmp_path):
    data = dict(committed(), schema=SCHEMA + 1, a_field_of_the_future=1)
    path = tmp_path / "cells" / "adding-T100__lstm__seed0.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    with pytest.raises(NewerSchemaError) as err:
        store.load_record(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cell adding-T100__lstm__seed0: ") and "\n" not in message
    assert f"schema {SCHEMA + 1}" in message and f"schema {SCHEMA}:" in message
    with pytest.raises(NewerSchemaError):  # a resumed run stops: the file is not corrupt, only newer
        store.set_aside_corrupt(tmp_path)
    assert path.exists()
    with pytest.raises(RecordError, match="field 'schema' must be an int >= 1, got 0"):
        Record.from_json(dict(committed(), schema=0))
    with pytest.raises(RecordError, match="field 'schema' must be int, got str '2'"):
        Record.from_json(dict(committed(), schema="2"))


def test_older_files_missing_keys_read_as_what_they_meant():
    """Committed runs predate the backend in the config and the stored criterion."""
    data = json.loads(V1_CELL.read_text())
    assert "backend" not in data["config"] and "solved_criterion" not in data and "tensorflow" in data["environment"]
    r = Record.from_json(data)
    assert r.config.backend is None and r.backend == OLD_BACKEND  # they ran on TensorFlow
    assert r.solved_criterion is None and r.criterion == Criterion("mse", 0.01, higher_is_better=False)
    assert r.environment.backend_version is None and r.environment.tensorflow == "2.21.0"
    assert r.done and not r.failed and not r.interrupted and r.traceback is None
    assert r.test_metric == r.test["mse"] and r.solved is True and r.error_line is None


def cell(seed=0):
    return Trial("lstm", "adding", {"T": 6, "n_train": 64}, seed, {"units": 4},
                {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 32, "epochs": 2, "patience": 1,
                 "clipnorm": None}, "adding(T=6)", "jax 0.1")


def scored(status="completed", error=None, seed=0, **changes) -> Record:
    fields = dict(metric="mse", higher_is_better=False, test={"mse": 0.02, "loss": 0.02}, test_metric=0.02,
                  best_val_metric=0.03, baseline=1 / 6, solved_rule="mse <= 0.01",
                  solved_criterion=Criterion("mse", 0.01, False), solved=False, epochs_to_solve=None,
                  history={"val_mse": [0.1, 0.03]}, epochs=2, params=100, epoch_seconds=[1.0, 0.5],
                  seconds_per_epoch=0.75, train_sequences_per_second=128.0, n_train=64, cudnn="not eligible")
    return base_record(cell(seed), status, error=error, wall_seconds=1.5, **{**fields, **changes})


def test_new_records_of_every_status_round_trip(tmp_path):
    records = [scored(), scored("diverged", "non-finite loss in epoch 2", seed=3, test_metric=float("nan")),
               base_record(cell(1), "failed", error="ValueError: bad\nmore", traceback="Traceback ...",
                           wall_seconds=0.1),
               base_record(cell(2), "interrupted", error="KeyboardInterrupt", wall_seconds=0.2)]
    for r in records:
        store.save_cell(tmp_path, r)
    done, diverged, failed, interrupted = (store.load_record(store.cells_dir(tmp_path) / f"{r.cell_id}.json")
                                           for r in records)
    assert done == records[0] and failed == records[2] and interrupted == records[3]
    assert diverged.test_metric is None  # NaN is stored as null
    assert done.backend == "jax 0.1" and done.criterion == Criterion("mse", 0.01, False)
    assert done.environment.tensorflow is None and done.environment.backend_version
    on_disk = json.loads((store.cells_dir(tmp_path) / f"{done.cell_id}.json").read_text())
    assert on_disk["solved_criterion"] == {"metric": "mse", "threshold": 0.01, "higher_is_better": False}
    assert on_disk["config"]["backend"] == "jax 0.1" and "tensorflow" not in on_disk["environment"]
    assert "traceback" not in on_disk
    assert failed.failed and failed.error_line == "ValueError: bad" and failed.criterion is None
    assert set(failed.to_json()) == {"cell_id", "label", "model", "task", "seed", "config", "config_hash",
                                     "environment", "status", "error", "wall_seconds", "traceback", "schema"}
    assert on_disk["schema"] == SCHEMA == done.schema
    assert interrupted.interrupted and "traceback" not in interrupted.to_json()
    assert not failed.done and not interrupted.done and diverged.done


def test_a_record_of_a_task_tested_at_several_lengths_round_trips(tmp_path):
    by_length = {"20": {"accuracy": 1.0, "loss": 0.01}, "100": {"accuracy": 0.75, "loss": None}}
    record = scored(metric="accuracy", higher_is_better=True, test={"accuracy": 0.75, "loss": float("nan")},
                    test_metric=0.75, test_by_length=by_length, train_lengths=[1, 40],
                    reference=Reference("A paper, Table 2", {"lstm": 0.99}))
    path = store.save_cell(tmp_path, record)
    on_disk = json.loads(path.read_text())
    assert on_disk["test_by_length"] == by_length and on_disk["train_lengths"] == [1, 40]
    assert on_disk["reference"] == {"source": "A paper, Table 2", "scores": {"lstm": 0.99}}
    assert store.load_record(path) == Record.from_json(on_disk) and Record.from_json(on_disk).to_json() == on_disk
    assert not {"test_by_length", "train_lengths", "reference"} & set(scored().to_json())  # fixed-length tasks
    bad = dict(on_disk, test_by_length={"20": {"accuracy": "high"}})
    with pytest.raises(RecordError, match="field 'test_by_length.20.accuracy' must be float | None"):
        Record.from_json(bad)
    with pytest.raises(RecordError, match="field 'test_by_length' is only for a scored trial, not a failed one"):
        Record.from_json(dict(base_record(cell(1), "failed", error="x", wall_seconds=0.1).to_json(),
                              test_by_length=by_length))


def committed():
    return json.loads(V1_CELL.read_text())


def drop(key):
    def change(d):
        del d[key]
    return change


@pytest.mark.parametrize("change,message", [
    (lambda d: d.update(seed="0"), "field 'seed' must be int, got str '0'"),
    (lambda d: d["config"].update(seed=True), "field 'config.seed' must be int, got bool True"),
    (lambda d: d["history"]["val_mse"].__setitem__(3, "x"), "field 'history.val_mse[3]' must be float | None"),
    (lambda d: d["environment"].update(gpu="A100"), "unknown field 'environment.gpu'"),
    (lambda d: d.update(wall_second=1.0), "unknown field 'wall_second'"),
    (drop("label"), "field 'label' is missing"),
    (drop("test_metric"), "field 'test_metric' is missing (a completed trial has it)"),
    (lambda d: d.update(status="done"),
     "field 'status' must be one of completed, diverged, failed, interrupted, got str 'done'"),
    (lambda d: d.update(metric=None), "field 'metric' must be str, got NoneType None"),
    (lambda d: d.update(status="failed"), "field 'metric' is only for a scored trial, not a failed one"),
    (lambda d: d.update(solved_rule="mse < 0.01"), "unreadable solved_rule 'mse < 0.01'"),
    (lambda d: d.update(solved_criterion={"metric": "mse", "threshold": "0.01", "higher_is_better": False}),
     "field 'solved_criterion.threshold' must be float, got str '0.01'"),
    (lambda d: d.update(config=[]), "field 'config' must be a JSON object, got list []"),
])
def test_a_bad_record_names_the_trial_and_the_field(change, message):
    data = committed()
    change(data)
    with pytest.raises(RecordError) as err:
        Record.from_json(data)
    assert str(err.value).startswith("cell adding-T100__lstm__seed0: ") and message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_bad_cell_file_stops_report_with_one_line_and_exit_2(tmp_path, capsys):
    data = committed()
    data["epochs"] = "12"
    (tmp_path / "cells").mkdir()
    (tmp_path / "cells" / "adding-T100__lstm__seed0.json").write_text(json.dumps(data))
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnn-zoo: error: ") and "adding-T100__lstm__seed0.json" in err
    assert "field 'epochs' must be int, got str '12'" in err and "\n" not in err
    assert not (tmp_path / "results.md").exists()


@pytest.mark.parametrize("run", RUNS, ids=lambda p: p.name)
def test_report_rebuilds_the_committed_tables_byte_for_byte(run, tmp_path):
    """`rnn-zoo report` derives the tables from the typed records alone: the committed ones come back."""
    out = tmp_path / run.name
    shutil.copytree(run, out)
    names = ("results.md", "results.csv", "results.json")
    for name in names:
        (out / name).unlink()
    report.write_tables(out)
    for name in names:
        assert (out / name).read_bytes() == (run / name).read_bytes(), name


def test_a_record_names_the_commit_its_code_was_imported_from_not_the_one_at_writing(monkeypatch):
    """A commit made while a cell trains must not stamp it: the environment never asks git again."""
    from zoo.bench.execution import metadata

    assert metadata.LOADED_FROM == metadata.git_commit()  # nothing committed since this process imported it

    def no_git(*args, **kwargs):
        raise AssertionError("git was asked for HEAD after the code was imported")

    monkeypatch.setattr(metadata.subprocess, "run", no_git)
    metadata.environment.cache_clear()
    try:
        assert metadata.environment()["git_commit"] == metadata.LOADED_FROM
    finally:
        metadata.environment.cache_clear()
