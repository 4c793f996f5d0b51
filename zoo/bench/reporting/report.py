"""results.md / results.csv / results.json, derived from the trials' records alone (so a rebuild is byte-identical)."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import numpy as np

from zoo.bench.execution import lengths, store
from zoo.bench.analysis import sweep
from zoo.bench.design.ordering import model_key, natural_key
from zoo.bench.execution.record import STATUSES, Record

CSV_FIELDS = ["cell_id", "task", "label", "model", "seed", "status", "metric", "test_metric", "best_val_metric",
              "baseline", "solved", "epochs", "epochs_to_solve", "params", "wall_seconds", "seconds_per_epoch",
              "train_sequences_per_second", "cudnn", "device", "git_commit", "config_hash", "error"]
ENV_FIELDS = ("device", "git_commit")  # columns from the record's environment


def flat_row(record: Record) -> dict:
    row = {k: getattr(record.environment if k in ENV_FIELDS else record, k) for k in CSV_FIELDS}
    row["error"] = record.error_line
    return row


def mean_std(values: list[float]) -> tuple[float | None, float | None]:
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return None, None
    return float(np.mean(finite)), (float(np.std(finite, ddof=1)) if len(finite) > 1 else None)


def summarize(records: list[Record]) -> list[dict]:
    """One row per (task instance, model): test metric mean/std over seeds, solved n/N, cost."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for r in records:
        groups.setdefault((r.label, r.model), []).append(r)
    rows = []
    for (label, model), rs in sorted(groups.items(), key=lambda kv: (natural_key(kv[0][0]), model_key(kv[0][1]))):
        scored = [r for r in rs if r.done]
        mean, std = mean_std([r.test_metric for r in scored])
        statuses = {s: sum(r.status == s for r in rs) for s in STATUSES}
        first = scored[0] if scored else rs[0]
        rows.append({
            "task": rs[0].task, "label": label, "model": model, "metric": first.metric,
            "higher_is_better": first.higher_is_better, "params": first.params,
            "n": len(rs), "seeds": sorted(r.seed for r in rs), "test_mean": mean, "test_std": std,
            "test_values": [r.test_metric for r in scored],
            "best_val_mean": mean_std([r.best_val_metric for r in scored])[0],
            "baseline": first.baseline, "solved": sum(bool(r.solved) for r in rs),
            "solved_rule": first.criterion.describe() if scored else None,
            "seconds_per_epoch": mean_std([r.seconds_per_epoch for r in scored])[0],
            "sequences_per_second": mean_std([r.train_sequences_per_second for r in scored])[0],
            "epochs": mean_std([r.epochs for r in scored])[0],
            "status": statuses,
        })
    return rows


def _num(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def count(value) -> str:
    """Throughput and the like: a whole number with thousands separators (11,420)."""
    return "—" if value is None else f"{round(value):,}"


def _status_note(status: dict) -> str:
    return ", ".join(f"{n} {s}" for s, n in status.items() if n and s != "completed") or "ok"


def render_markdown(records: list[Record], run_info: dict, figures: list[str] = ()) -> str:
    rows = summarize(records)
    lines = ["# rnn-zoo results", ""]
    if run_info.get("command"):
        lines += [f"Command: `{run_info['command']}`", ""]
    for extension in run_info.get("extended_by", []):
        lines += [f"Extended by: `{extension['command']}` ({extension['cells']} cells)", ""]
    for run in [run_info, *run_info.get("extended_by", [])]:
        lines += [f"Not run: {line}." for line in run.get("skipped", [])] + ([""] if run.get("skipped") else [])
    machines = {dataclasses.replace(r.environment, git_commit=None) for r in records}  # one line per machine
    for e in sorted(machines, key=lambda e: json.dumps(e.to_json(), sort_keys=True)):
        if e.backend_version:
            backend = f"Keras {e.keras} on {e.backend} {e.backend_version}"
        else:  # trials from before backends were recorded ran on TensorFlow
            backend = f"TensorFlow {e.tensorflow}, Keras {e.keras} ({e.backend} backend)"
        lines.append(f"Machine: {e.device}; Python {e.python}, {backend}, NumPy {e.numpy}.")
    commits = sorted({str(r.environment.git_commit) for r in records})
    lines += [f"Code: git {', '.join(commits)}.", ""] if records else ["No cells yet.", ""]
    for label in sorted({r["label"] for r in rows}, key=natural_key):
        group = [r for r in rows if r["label"] == label]
        head = group[0]
        better = "higher" if head["higher_is_better"] else "lower"
        trained = next((r.train_lengths for r in records if r.label == label and r.train_lengths), None)
        beyond = f" beyond the training lengths {trained[0]}-{trained[1]}" if trained else ""
        lines += [f"## {label}", "",
                  f"Test {head['metric']}{beyond} ({better} is better) over seeds; baseline {_num(head['baseline'])} "
                  f"(best trivial predictor); solved: {head['solved_rule']}.", "",
                  f"| model | params | test {head['metric']} (mean ± std) | seeds | baseline | solved | epochs "
                  f"| s/epoch | train seq/s | notes |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in group:
            score = _num(r["test_mean"]) + (f" ± {_num(r['test_std'], 2)}" if r["test_std"] is not None else "")
            lines.append(f"| {r['model']} | {r['params'] or '—'} | {score} | {r['n']} | {_num(r['baseline'])} "
                         f"| {r['solved']}/{r['n']} | {_num(r['epochs'], 3)} | {_num(r['seconds_per_epoch'], 3)} "
                         f"| {count(r['sequences_per_second'])} | {_status_note(r['status'])} |")
        lines.append("")
        reference = next((r.reference for r in records if r.label == label and r.reference), None)
        if reference and not trained:  # a length task's published scores come with its by-length table
            lines += [f"Published: {reference.describe()}.", ""]
    lines += sweep.render_markdown(records)
    lines += lengths.render_markdown(records)
    if figures:
        lines += ["## Figures", ""] + [f"- [{name}]({name})" for name in figures] + [""]
    return "\n".join(lines)


def render_csv(records: list[Record]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: ("" if v is None else v) for k, v in flat_row(r).items()})
    return buf.getvalue()


def write_tables(out: Path) -> list[Path]:
    """(Re)write the three tables from the cell files under `out`; results.md links the PNGs found there."""
    out = Path(out)
    records = store.load_cells(out)
    run_info = store.read_run_info(out)
    figures = sorted(p.name for p in out.glob("*.png"))
    tables = {"cells": [flat_row(r) for r in records], "summary": summarize(records)}
    by_length = lengths.length_table(records)
    if by_length:  # tasks tested at several lengths only
        tables["length_generalisation"] = [
            {**row, "criterion": row["criterion"].describe(),
             "reference": None if row["reference"] is None else dataclasses.asdict(row["reference"])}
            for row in by_length]
    outputs = {
        out / "results.md": render_markdown(records, run_info, figures),
        out / "results.csv": render_csv(records),
        out / "results.json": json.dumps(store.clean_json(tables), indent=1) + "\n",
    }
    for path, text in outputs.items():
        store.write_atomic(path, text)
    return list(outputs)


def write_all(out: Path) -> list[Path]:
    """Figures first (so results.md can link them), then the tables."""
    from zoo.bench.reporting import plots  # matplotlib only when figures are wanted

    records = store.load_cells(out)
    return plots.run_figures(records, Path(out)) + write_tables(out)
