"""`rnn-zoo report --index results`: the index of every committed run, built from what is on disk alone.

A run is any folder under the results folder that holds a README.md, cell records (cells/*.json),
gradient files (gradients-*.json) or speed files (*.json with train_seq_per_s). Its README opens with
its title and a list the index reads:

    # results/NAME: what it shows
    - Question: what the run answers
    - Group: matrix | literature | memory horizons | length generalisation | imdb | speed | diagnostics
    - Command: `rnn-zoo run ... --out results/NAME`   (one line per command)
    - Commit: d2aa2dd
    - Superseded by: OTHER   (optional: the run that replaces it, a folder under results/)

So a new run needs only its folder (README + data): no code change. Three files come out, each
rebuilt byte for byte from the same folders:
- results/README.md: its region between INDEX_START and INDEX_END (the text around it is kept);
- results/index.csv: one row per run x task x model (ROW_FIELDS);
- the project README's leaderboard region (LEADERBOARD_START .. END): the current runs of group
  "matrix", one table each, models by tasks; then, there and in results/README.md, the table beside the
  literature: each current "literature" run's models that a paper scored on the same task (the task's
  `reference`, which every record carries), the run's mean beside the paper's number; then each current
  tune run's LSTM and GRU, default recipe beside tuned, with both verdicts (results/README.md adds every
  tuned model: tuned.py).
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from zoo.bench.analysis import stats
from zoo.bench.execution import store
from zoo.bench.design.ordering import model_key, natural_key
from zoo.bench.reporting import tuned
from zoo.values import UsageError

INDEX_START, INDEX_END = "<!-- index:start -->", "<!-- index:end -->"
LEADERBOARD_START, LEADERBOARD_END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
GROUPS = ("matrix", "literature", "memory horizons", "length generalisation", "imdb", "speed", "diagnostics")  # their order; others follow by name
KEYS = {"Question": "question", "Group": "group", "Command": "commands", "Commit": "commit",
        "Superseded by": "superseded_by"}
REQUIRED = ("question", "group", "commands", "commit")
ROW_FIELDS = ["run", "group", "kind", "task", "label", "model", "metric", "higher_is_better", "seeds", "mean",
              "ci_low", "ci_high", "solved", "sequences_seen", "units", "params", "backend", "commit",
              "superseded_by", "note", "link"]
FORMATS = {  # what each kind of run folder holds; printed in results/README.md
    "cells": "cell records, `cells/<cell_id>.json`: one trained and tested trial each (`zoo/bench/execution/record.py`, "
             "`Record`); `run.json` names the command(s); `results.md/.csv/.json` and the figures are rebuilt from "
             "the records by `rnn-zoo report DIR`. A row: the test metric over seeds, mean and 95% interval "
             "(Student t, on the log or logit scale where the metric is bounded: `zoo/bench/analysis/stats.py`), "
             "sequences seen = training sequences x epochs trained (mean over seeds).",
    "gradients": "`gradients-<task>.json` from `rnn-zoo gradients`: the task, recipe and, per model, the mean "
                 "gradient norm reaching each step (`init` and `trained`: `norms`, `first`, `last`, "
                 "`first_over_last`) and the test metrics after training (one seed). A row: ‖g₁‖/‖g_T‖ after "
                 "training; the note gives it at initialisation and the test MSE.",
    "speed": "`<backend>-<device>.json` (and the printed `.txt`) from `python -m zoo.bench.speed.scan_bench`: "
             "`train_seq_per_s[T][model]`, training sequences per second, best of the rounds, at `units` and "
             "`batch`. A row: one model at one length; the note gives the ratio to lstm.",
    "tune": "an `rnn-zoo tune` folder: `study.journal` (Optuna's journal storage, one study per model and "
            "task), `tuning.md`, `tuning.json` and `figures/` (each study's best, fANOVA importances), `cells/` "
            "(one record a trial, seed 0, chosen on validation); its `final/` (the best configurations) and "
            "`default/` (the default recipe) are cells runs of their own on fresh seeds, indexed as such.",
    "notes": "a README only: measurements printed by a command and written down there (no data file kept), "
             "or a folder grouping runs of its own.",
}


@dataclass
class Run:
    path: str  # relative to the results folder, e.g. "imdb-ablation/vocab"
    title: str
    question: str
    group: str
    commands: list[str]
    commit: str
    superseded_by: str | None
    kind: str
    rows: list[dict] = field(default_factory=list)
    tuned: list[dict] = field(default_factory=list)  # a tune run's models, default beside tuned (tuned.py)

    @property
    def link(self) -> str:
        return f"{self.path}/README.md"


def read_header(readme: Path) -> dict:
    """The title and the `- Key: value` lines that follow it; UsageError naming what is missing."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("# "):
        raise UsageError(f"{readme}: the first line must be its title ('# ...')")
    head: dict = {"title": lines[0][2:].strip(), "commands": []}
    for line in lines[1:]:
        if not line.strip():
            continue
        m = re.match(r"- ([A-Z][a-z]+(?: [a-z]+)?): (.+)$", line)
        if not m or m.group(1) not in KEYS:
            break
        key, value = KEYS[m.group(1)], m.group(2).strip()
        if key == "commands":
            head[key].append(value.strip("`"))
        else:
            head[key] = value
    missing = [k for k in REQUIRED if not head.get(k)]
    if missing:
        names = {v: k for k, v in KEYS.items()}
        raise UsageError(f"{readme}: its header lacks {', '.join(repr(names[k]) for k in missing)} "
                         f"(see zoo/bench/reporting/index.py)")
    return head


def _short(commit: str | None) -> str:
    if not commit:
        return "unknown"
    base, _, dirty = commit.partition("+")
    return base[:7] + (f"+{dirty}" if dirty else "")


def _num(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def cell_rows(folder: Path) -> list[dict]:
    """One row per task instance x model, from the cell records."""
    groups: dict[tuple[str, str], list] = {}
    for r in store.load_cells(folder):
        groups.setdefault((r.label, r.model), []).append(r)
    rows = []
    for (label, model), records in sorted(groups.items(), key=lambda kv: (natural_key(kv[0][0]), model_key(kv[0][1]))):
        scored = [r for r in records if r.done]
        first = scored[0] if scored else records[0]
        sample = None
        if scored:
            bounds = stats.metric_bounds(first.metric, first.higher_is_better)
            sample = stats.describe([r.test_metric for r in scored], bounds=bounds)
        seen = [r.n_train * r.epochs for r in scored if r.n_train is not None and r.epochs is not None]
        units = sorted({u for r in records if (u := r.units if r.units is not None else r.config.hparams.get("units"))
                        is not None})
        failed = len(records) - len(scored)
        rows.append({
            "task": first.task, "label": label, "model": model, "metric": first.metric or "",
            "higher_is_better": "" if first.higher_is_better is None else str(first.higher_is_better).lower(),
            "seeds": len(scored), "mean": sample and sample.mean, "ci_low": sample and sample.ci_low,
            "ci_high": sample and sample.ci_high, "solved": f"{sum(bool(r.solved) for r in scored)}/{len(scored)}",
            "sequences_seen": round(sum(seen) / len(seen)) if seen else None,
            "units": " ".join(map(str, units)), "params": first.params,
            "backend": " ".join(sorted({r.backend for r in records})),
            "commit": " ".join(sorted({_short(r.environment.git_commit) for r in records})),
            "note": f"{failed} not scored" if failed else "",
            "reference": first.reference,  # not a column: the literature table reads it
        })
    return rows


def gradient_rows(folder: Path, commit: str) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("gradients-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        task = data["task"].split("(")[0]
        for model in sorted(data["models"], key=model_key):
            m = data["models"][model]
            test = m.get("test", {})
            note = f"init {_num(m['init']['first_over_last'], 2)}"
            if "mse" in test:
                note += f"; test mse {_num(test['mse'], 3)}"
            rows.append({"task": task, "label": data["task"], "model": model, "metric": "g1/gT trained",
                         "seeds": 1, "mean": m["trained"]["first_over_last"],
                         "units": data.get("hparams", {}).get("units", ""), "commit": commit, "note": note,
                         "sequences_seen": data["task_params"]["n_train"] * data["epochs"]
                         if "n_train" in data.get("task_params", {}) else None})
    return rows


def speed_rows(folder: Path, commit: str) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "train_seq_per_s" not in data:
            continue
        for length in sorted(data["train_seq_per_s"], key=int):
            rates = data["train_seq_per_s"][length]
            for model, rate in rates.items():  # the file's own order: the tool's
                note = f"{rate / rates['lstm']:.1f}x lstm" if "lstm" in rates else ""
                rows.append({"task": "scan-bench", "label": f"T={length}", "model": model, "metric": "train seq/s",
                             "higher_is_better": "true", "seeds": 1, "mean": rate, "units": data.get("units", ""),
                             "backend": data.get("backend", ""), "commit": commit, "note": note})
    return rows


def _is_run(folder: Path) -> bool:
    return ((folder / "README.md").is_file() or (folder / "cells").is_dir() or any(folder.glob("gradients-*.json"))
            or any(folder.glob("*.json")))


def find_runs(results: Path) -> list[Run]:
    """Every run folder under `results`, read; UsageError for a folder with results and no README header."""
    runs = []
    for folder in sorted(p for p in results.rglob("*") if p.is_dir()):
        if "cells" in folder.relative_to(results).parts or not _is_run(folder):
            continue
        readme = folder / "README.md"
        rel = folder.relative_to(results).as_posix()
        if not readme.is_file():
            raise UsageError(f"{folder} holds results but no README.md (see zoo/bench/reporting/index.py for its header)")
        head = read_header(readme)
        if store.is_tune_folder(folder):  # its trials are chosen on validation: its final/ has the scores
            kind, rows = "tune", []
        elif (folder / "cells").is_dir():
            kind, rows = "cells", cell_rows(folder)
        elif any(folder.glob("gradients-*.json")):  # rows name the commit alone, not the README's words about it
            kind, rows = "gradients", gradient_rows(folder, head["commit"].split()[0])
        elif (rows := speed_rows(folder, head["commit"].split()[0])):
            kind = "speed"
        else:
            kind, rows = "notes", []
        sup = head.get("superseded_by")
        if sup is not None and not (results / sup).is_dir():
            raise UsageError(f"{readme}: 'Superseded by: {sup}' names no folder under {results}")
        run = Run(rel, head["title"], head["question"], head["group"], head["commands"], head["commit"], sup, kind)
        for row in rows:
            row.update(run=rel, group=run.group, kind=kind, superseded_by=sup or "", link=run.link)
        run.rows = rows
        runs.append(run)
    scored = {run.path: run.rows for run in runs}
    for run in runs:
        if run.kind == "tune":
            run.tuned = tuned.tuned_rows(results, run.path, scored)
    return sorted(runs, key=lambda r: (_group_key(r.group), r.superseded_by is not None, natural_key(r.path)))


def _group_key(group: str) -> tuple:
    return (GROUPS.index(group), "") if group in GROUPS else (len(GROUPS), group)


def _cell(value) -> str:
    return _num(value) if isinstance(value, float) else ("" if value is None else str(value))


def _score(row: dict, digits: int = 4) -> str:
    if row.get("mean") is None:
        return "—"
    text = _num(row["mean"], digits)
    if row.get("ci_low") is not None:
        text += f" [{_num(row['ci_low'], 3)}, {_num(row['ci_high'], 3)}]"  # 3 digits: enough to tell bounds apart
    return text


def render_csv(runs: list[Run]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    for run in runs:
        for row in run.rows:
            writer.writerow({k: ("" if row.get(k) is None else (f"{row[k]:.6g}" if isinstance(row[k], float)
                                                                else row[k])) for k in ROW_FIELDS})
    return buf.getvalue()


def _status(run: Run) -> str:
    return f"superseded by [{run.superseded_by}]({run.superseded_by}/README.md)" if run.superseded_by else "current"


def render_index(runs: list[Run]) -> str:
    """The generated region of results/README.md, markers included."""
    out = [INDEX_START, "<!-- written by `rnn-zoo report --index results` from the folders' READMEs and files: "
           "edit those, not this region -->", "", "## The runs", "",
           "Each folder's README says what it answers, the command that made it and the commit; "
           "[index.csv](index.csv) has every row below with every column.", ""]
    groups = sorted({r.group for r in runs}, key=_group_key)
    for group in groups:
        out += [f"### {group}", "", "| run | question | kind | rows | commit | status |", "|---|---|---|---:|---|---|"]
        for run in (r for r in runs if r.group == group):
            out.append(f"| [{run.path}]({run.link}) | {run.question} | {run.kind} | {len(run.rows)} | {run.commit} "
                       f"| {_status(run)} |")
        out.append("")
    if table := literature_table(runs, ""):
        out += ["## Beside the literature", "", "The test mean [95% interval] (seeds) of each model a paper scored "
                "on the same task, in each current literature run.", ""] + table + [""]
    if table := tuned.model_table(current_tuned(runs), "", _score):
        out += ["## Tuned against default", "", "Each `rnn-zoo tune` run's models: the test mean [95% interval] "
                "(seeds) under the task's default recipe and under the study's best configuration, on the same "
                "fresh seeds, at one parameter budget; the study's finished trials, its best configuration and "
                "each hyperparameter's fANOVA importance (`tuning.json`, over the complete trials).", ""] + table + [""]
        if verdicts := tuned.verdict_table(current_tuned(runs), ""):
            out += [f"{tuned.PAIR[0].upper()} against {tuned.PAIR[1].upper()}, the default recipe's verdict beside "
                    "the tuned one:", ""] + verdicts + [""]
    out += ["## Formats", ""] + [f"- **{kind}**: {text}" for kind, text in FORMATS.items()] + [""]
    out += ["## Every row", "", "Mean [95% interval] over seeds; solved: seeds meeting the task's criterion; "
            "sequences seen: training sequences x epochs. Superseded runs are marked.", ""]
    for group in groups:
        rows = [row for r in runs if r.group == group for row in r.rows]
        if not rows:
            continue
        out += [f"### {group}", "", "| run | task | model | metric | mean [95% CI] | seeds | solved | sequences seen "
                "| units | params | backend | commit | note |", "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
        for row in rows:
            run = f"[{row['run']}]({row['link']})" + (" (superseded)" if row["superseded_by"] else "")
            seen = "" if row.get("sequences_seen") is None else f"{row['sequences_seen']:,}"
            out.append(f"| {run} | {row['label']} | {row['model']} | {row['metric']} | {_score(row)} | "
                       f"{_cell(row.get('seeds'))} | {_cell(row.get('solved'))} | {seen} | {_cell(row.get('units'))} | "
                       f"{_cell(row.get('params'))} | {_cell(row.get('backend'))} | {_cell(row.get('commit'))} | "
                       f"{_cell(row.get('note'))} |")
        out.append("")
    return "\n".join(out + [INDEX_END])


def literature_table(runs: list[Run], prefix: str) -> list[str]:
    """Lines of the table beside the literature: a row per task and model that a paper scored (the task's
    `reference`, which every record carries), a column per current "literature" run holding that pair (its
    test mean [95% CI] and seeds), and the sources below; [] where there are none."""
    picked = [(run, row) for run in runs if run.group == "literature" and run.superseded_by is None
              for row in run.rows if row.get("reference") and row["model"] in row["reference"].scores]
    if not picked:
        return []
    columns = list(dict.fromkeys(run.path for run, _ in picked))  # the runs' own order (group, then path)
    links = {run.path: f"[{run.path}]({prefix}{run.link})" for run, _ in picked}
    at = {(row["label"], row["model"], run.path): row for run, row in picked}
    refs = {(row["label"], row["model"]): row["reference"] for _, row in picked}
    pairs = sorted(refs, key=lambda lm: (natural_key(lm[0]), model_key(lm[1])))
    sources = list(dict.fromkeys(row["reference"].source for _, row in picked))
    marks = "¹²³⁴⁵⁶⁷⁸⁹"
    out = ["| task | model | published | " + " | ".join(links[c] for c in columns) + " |",
           "|---|---|---:|" + "---:|" * len(columns)]
    for label, model in pairs:
        ref = refs[(label, model)]
        cells = [f"{_score(row, 4)} ({row['seeds']})" if (row := at.get((label, model, c))) else "" for c in columns]
        out.append(f"| {label} | {model} | {ref.scores[model]:.4g}{marks[sources.index(ref.source)]} | "
                   + " | ".join(cells) + " |")
    return out + [""] + [f"{marks[i]} {source}." for i, source in enumerate(sources)]


def current_tuned(runs: list[Run]) -> list[dict]:
    return [row for run in runs if run.kind == "tune" and run.superseded_by is None for row in run.tuned]


def render_leaderboard(runs: list[Run], prefix: str) -> str:
    """The project README's leaderboard region: each current run of group "matrix", models by task instances."""
    out = [LEADERBOARD_START, "<!-- written by `rnn-zoo report --index results` from the committed cell records -->"]
    for run in (r for r in runs if r.group == "matrix" and r.superseded_by is None and r.kind == "cells"):
        labels = sorted({row["label"] for row in run.rows}, key=natural_key)
        models = sorted({row["model"] for row in run.rows}, key=model_key)
        at = {(row["label"], row["model"]): row for row in run.rows}
        best = {}
        for label in labels:
            scored = [row for row in run.rows if row["label"] == label and row["mean"] is not None]
            if scored:
                pick = max if scored[0]["higher_is_better"] == "true" else min
                best[label] = pick(scored, key=lambda row: row["mean"])["model"]
        heads = []
        for label in labels:
            row = next(row for row in run.rows if row["label"] == label)
            arrow = "↑" if row["higher_is_better"] == "true" else "↓"
            heads.append(f"{label} {row['metric']} {arrow}")
        seeds = sorted({row["seeds"] for row in run.rows})
        out += ["", f"[{run.path}]({prefix}{run.link}): {run.question} Test metric, mean [95% interval] over "
                f"{'–'.join(map(str, (seeds[0], seeds[-1]))) if len(seeds) > 1 else seeds[0]} seeds, best in bold; "
                f"solved seeds in brackets; commit {run.commit}.", "",
                "| model | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(labels)]
        for model in models:
            cells = []
            for label in labels:
                row = at.get((label, model))
                if row is None:
                    cells.append("")
                    continue
                text = _score(row, 3)
                text = f"**{text}**" if best.get(label) == model else text
                cells.append(f"{text} ({row['solved']})")
            out.append(f"| {model} | " + " | ".join(cells) + " |")
    if table := literature_table(runs, prefix):
        out += ["", "Beside the literature: the test mean [95% interval] (seeds) of each model a paper scored on the "
                "same task, at the run's own size and recipe; each run's README says how it differs.", ""] + table
    if table := tuned.verdict_table(current_tuned(runs), prefix):
        out += ["", f"Tuned against default: each tune run's {' and '.join(m.upper() for m in tuned.PAIR)}, test "
                "mean over the same fresh seeds under the default recipe and under the best trial, both verdicts, "
                "and the three hyperparameters that mattered most (fANOVA).", ""] + table
    return "\n".join(out + ["", LEADERBOARD_END])


def _replace_region(text: str, start: str, end: str, region: str, where: Path) -> str:
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise UsageError(f"{where}: needs one {start} ... {end} region")
    return text[:text.index(start)] + region + text[text.index(end) + len(end):]


def render(results: Path) -> dict[Path, str]:
    """Every file the index writes and its new text (nothing is written)."""
    results = Path(results)
    runs = find_runs(results)
    readme = results / "README.md"
    old = readme.read_text(encoding="utf-8") if readme.is_file() else (
        f"# Results\n\nEvery run of rnn-zoo kept in this folder.\n\n{INDEX_START}\n{INDEX_END}\n")
    outputs = {readme: _replace_region(old, INDEX_START, INDEX_END, render_index(runs), readme),
               results / "index.csv": render_csv(runs)}
    project = results.resolve().parent / "README.md"  # the leaderboard, where the project README has its region
    if project.is_file() and LEADERBOARD_START in (text := project.read_text(encoding="utf-8")):
        board = render_leaderboard(runs, f"{results.name}/")
        outputs[project] = _replace_region(text, LEADERBOARD_START, LEADERBOARD_END, board, project)
    return outputs


def write(results: Path) -> list[Path]:
    """Write the index (and the project README's leaderboard); returns the paths written."""
    outputs = render(results)
    for path, text in outputs.items():
        store.write_atomic(path, text)
    return list(outputs)
