"""The results index's tables of `rnn-zoo tune` runs: each model under the task's default recipe and under its
best tuned configuration, on the same fresh seeds (OUT/default, OUT/final), the LSTM-vs-GRU verdict of each,
and which hyperparameters mattered (OUT/tuning.json: fANOVA importances over the study's complete trials).

Read from disk alone, like the rest of the index: records, the looks `compare --add-seeds` took, tuning.json.
"""
from __future__ import annotations

import json
from pathlib import Path

from zoo.bench.analysis import sequential, verdicts
from zoo.bench.design.ordering import model_key, natural_key, slug
from zoo.bench.execution import store

FINAL, DEFAULT = store.TUNE_FINAL, store.TUNE_DEFAULT
PAIR = ("lstm", "gru")  # the verdict the product answers; every model's scores are in the per-model table
SHORT = {"learning_rate": "lr", "batch_size": "batch", "num_layers": "layers", "r_min_fraction": "r_min/r_max"}


def summaries(folder: Path) -> dict[str, dict]:
    """tuning.json's studies by name; {} where `rnn-zoo tune --report` has not written it."""
    path = Path(folder) / store.TUNE_SUMMARY
    return {s["study"]: s for s in json.loads(path.read_text(encoding="utf-8"))} if path.is_file() else {}


def top(importance: dict[str, float], n: int = 3) -> str:
    """'lr 0.56, clipnorm 0.18, batch 0.11': the n most important hyperparameters."""
    ranked = sorted(importance.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{SHORT.get(k, k)} {v:.2f}" for k, v in ranked) or "—"


def _best(params: dict) -> str:
    return ", ".join(f"{SHORT.get(k, k)} {v:.3g}" if isinstance(v, float) else f"{SHORT.get(k, k)} {v}"
                     for k, v in params.items()) or "—"


def _verdicts(folder: Path) -> dict[str, str]:
    """label -> brief LSTM-vs-GRU verdict in `folder`, with the looks --add-seeds took there."""
    records = store.load_cells(folder)
    rows = verdicts.compare(records, *PAIR, sequential.load(folder, *PAIR)) if records else []
    return {r["label"]: verdicts.brief(r, *PAIR) for r in rows}


def tuned_rows(results: Path, run: str, scored: dict[str, list[dict]]) -> list[dict]:
    """One row per task instance and model of the tune run `run` (a folder under `results`) whose final/ has
    scores; `scored` maps a run's path to its index rows (final/ and default/ are runs of their own)."""
    folder = Path(results) / run
    at = {(kind, row["label"], row["model"]): row for kind in (FINAL, DEFAULT)
          for row in scored.get(f"{run}/{kind}", [])}
    studies = summaries(folder)
    decided = {kind: _verdicts(folder / kind) for kind in (FINAL, DEFAULT)}
    rows = []
    for _, label, model in sorted((k for k in at if k[0] == FINAL), key=lambda k: (natural_key(k[1]), model_key(k[2]))):
        study = studies.get(f"{slug(label)}__{model}", {})
        rows.append({"run": run, "label": label, "model": model, "tuned": at[(FINAL, label, model)],
                     "default": at.get((DEFAULT, label, model)), "study": study,
                     "verdicts": {kind: decided[kind].get(label) for kind in (FINAL, DEFAULT)}})
    return rows


def _budget(row: dict) -> str:
    return str(row["study"].get("budget") or row["tuned"].get("params") or "—")


def _mean(row: dict | None) -> str:
    return "—" if row is None or row.get("mean") is None else f"{row['mean']:.4g}"


def verdict_table(rows: list[dict], prefix: str) -> list[str]:
    """A row per tune run and task holding both PAIR models: their means default -> tuned, both verdicts, and
    the most important hyperparameters of each study."""
    a, b = PAIR
    out = [f"| run | task | budget | {a}: default → tuned | {b}: default → tuned | default recipe | tuned "
           f"| fANOVA, first three ({a}; {b}) |", "|---|---|---:|---:|---:|---|---|---|"]
    for run, label in dict.fromkeys((r["run"], r["label"]) for r in rows):
        pair = {r["model"]: r for r in rows if r["run"] == run and r["label"] == label and r["model"] in PAIR}
        if len(pair) < 2:
            continue
        said = pair[a]["verdicts"]
        out.append(f"| [{run}]({prefix}{run}/README.md) | {label} | {_budget(pair[a])} | "
                   + " | ".join(f"{_mean(pair[m]['default'])} → {_mean(pair[m]['tuned'])}" for m in PAIR)
                   + f" | {said[DEFAULT] or '—'} | {said[FINAL] or '—'} | "
                   + "; ".join(top(pair[m]["study"].get("importance", {})) for m in PAIR) + " |")
    return out if len(out) > 2 else []


def model_table(rows: list[dict], prefix: str, score) -> list[str]:
    """A row per tune run, task and model: trials, both scores with their intervals, the best configuration and
    its importances; `score(row)` formats an index row's mean [95% CI]."""
    out = ["| run | task | model | budget | trials (complete + pruned) | default recipe (seeds) | tuned (seeds) "
           "| best configuration | fANOVA importance |", "|---|---|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        study, tuned, default = r["study"], r["tuned"], r["default"]
        trials = f"{study['finished']} ({study['complete']} + {study['pruned']})" if study else "—"
        out.append(f"| [{r['run']}]({prefix}{r['run']}/README.md) | {r['label']} | {r['model']} | "
                   f"{_budget(r)} | {trials} | "
                   + (f"{score(default)} ({default['seeds']})" if default else "—")
                   + f" | {score(tuned)} ({tuned['seeds']}) | {_best(study.get('best_params', {}))} | "
                   f"{top(study.get('importance', {}), n=len(study.get('importance', {})))} |")
    return out if len(out) > 2 else []

