"""Memory sweeps: a task parameter (e.g. copy.T) swept across trials, and each model's memory horizon."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from tasks.criterion import Criterion
from zoo.bench.design.ordering import model_key
from zoo.bench.execution.record import Record


@dataclass(frozen=True)
class Sweep:
    task: str
    param: str
    values: list  # sorted
    solved: Criterion  # as the trials recorded it; the horizon counts the values where it is met


def find_sweeps(records: list[Record]) -> list[Sweep]:
    """Tasks whose trials differ in exactly one parameter, with at least 2 values of it (and a scored trial)."""
    sweeps = []
    for task_name in sorted({r.task for r in records}):
        params = [r.config.task_params for r in records if r.task == task_name]
        varying = [k for k in params[0] if len({json.dumps(p.get(k)) for p in params}) > 1]
        scored = [r for r in records if r.task == task_name and r.done]
        if len(varying) != 1 or not scored:
            continue
        key = varying[0]
        values = sorted({p[key] for p in params}, key=lambda v: (v is None, v))
        sweeps.append(Sweep(task_name, key, values, scored[0].criterion))
    return sweeps


def sweep_table(records: list[Record], sw: Sweep) -> list[dict]:
    """Per model: the solved metric's mean at each value, solved n/N, and the memory horizon."""
    rows = []
    for model in sorted({r.model for r in records if r.task == sw.task}, key=model_key):
        row = {"model": model, "points": {}, "horizon": None}
        for value in sw.values:
            runs = [r for r in records if r.task == sw.task and r.model == model
                    and r.config.task_params[sw.param] == value]
            scored = [r.test.get(sw.solved.metric) for r in runs if r.done]
            scored = [v for v in scored if v is not None]
            solved = sum(bool(r.solved) for r in runs)
            row["points"][value] = {"mean": float(np.mean(scored)) if scored else None,
                                    "std": float(np.std(scored, ddof=1)) if len(scored) > 1 else None,
                                    "solved": solved, "runs": len(runs)}
            if runs and 2 * solved >= len(runs):  # solved in at least half of the seeds
                row["horizon"] = value
        rows.append(row)
    return rows


def render_markdown(records: list[Record]) -> list[str]:
    lines = []
    for sw in find_sweeps(records):
        lines += [f"## Memory sweep: {sw.task}.{sw.param}", "",
                  f"Test {sw.solved.metric} (mean over seeds, solved n/N) at each {sw.param}; memory horizon = the "
                  f"largest {sw.param} solved in at least half of the seeds.", "",
                  "| model | " + " | ".join(f"{sw.param}={v}" for v in sw.values) + " | memory horizon |",
                  "|---|" + "---:|" * (len(sw.values) + 1)]
        for row in sweep_table(records, sw):
            cells = []
            for v in sw.values:
                pt = row["points"][v]
                cells.append("—" if pt["mean"] is None else f"{pt['mean']:.3g} ({pt['solved']}/{pt['runs']})")
            horizon = "none solved" if row["horizon"] is None else f"{sw.param}={row['horizon']}"
            lines.append(f"| {row['model']} | " + " | ".join(cells) + f" | {horizon} |")
        lines.append("")
    return lines
