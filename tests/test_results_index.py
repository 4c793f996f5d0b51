"""The README is a product page and results/ a generated index: both current, both free of lab-notebook
provenance (issue numbers, accounts of past work, a machine's absolute paths)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from zoo.bench.reporting import index, tuned
from zoo.values import UsageError

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"

# Provenance is a commit and a command a reader can run, never a ticket or a story of how the work went.
ISSUE = re.compile(r"\bissues? #?\d+|(?<![\w&/#])#\d+\b", re.I)
PAST_WORK = re.compile(r"\b(sessions?|helpers?|worktrees?|we ran|I ran|lent|last time)\b", re.I)
# A path of the machine a run happened on: it means nothing on a reader's.
ABSOLUTE = re.compile(r"(?<![\w.~-])/(?:work|home|root|tmp|Users|mnt|scratch|opt|var|srv)/|\b[A-Za-z]:\\")
TEXT = {".md", ".json", ".csv", ".txt"}


def committed_text() -> list[Path]:
    return [REPO / "README.md"] + sorted(p for p in RESULTS.rglob("*") if p.is_file() and p.suffix in TEXT)


def test_the_index_and_the_leaderboard_are_current():
    """`rnn-zoo report --index results` would rewrite nothing: results/README.md, index.csv, README.md."""
    outputs = index.render(RESULTS)
    assert set(outputs) == {RESULTS / "README.md", RESULTS / "index.csv", (REPO / "README.md").resolve()}
    for path, text in outputs.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `rnn-zoo report --index results`"


def test_every_run_folder_says_what_it_answers_and_how_it_was_made():
    runs = index.find_runs(RESULTS)
    assert {"zoo", "quick", "adding-sweep", "imdb-recipe", "scan-bench", "gradients"} <= {r.path for r in runs}
    for run in runs:
        assert run.question and run.commands and re.match(r"[0-9a-f]{7}", run.commit), run.path
        assert run.group in index.GROUPS, run.path
    kinds = {r.path: r.kind for r in runs}
    assert kinds["zoo"] == "cells" and kinds["gradients"] == "gradients" and kinds["scan-bench"] == "speed"
    superseded = {r.path: r.superseded_by for r in runs if r.superseded_by}
    assert superseded == {"quick": "zoo", "copy-sweep": "copy-sweep-128"}


def test_a_new_run_folder_is_indexed_with_no_code_change(tmp_path):
    """A folder with cells and a README header is all a run needs (as results/lengen will be)."""
    results = tmp_path / "results"
    shutil.copytree(RESULTS / "copy-T1000-chrono", results / "lengen")
    readme = results / "lengen" / "README.md"
    readme.write_text(readme.read_text().replace("- Group: memory horizons", "- Group: length generalisation"))
    (results / "README.md").write_text(f"# Results\n\n{index.INDEX_START}\n{index.INDEX_END}\n")
    paths = index.write(results)
    assert results / "index.csv" in paths
    text = (results / "README.md").read_text()
    assert "### length generalisation" in text and "[lengen](lengen/README.md)" in text
    assert "lengen,length generalisation,cells,copy,copy(T=1000),lstm,cross_entropy," in (results / "index.csv").read_text()
    assert index.write(results) == paths and (results / "README.md").read_text() == text  # a rebuild: the same


def test_a_tune_folder_is_indexed_by_its_final_runs_not_its_trials(tmp_path):
    """Tuning trials are chosen on validation: the folder is listed (kind tune, no rows); its final/ and
    default/ runs, on fresh seeds, give the rows."""
    results = tmp_path / "results"
    tune = results / "tune-copy"
    shutil.copytree(RESULTS / "copy-T1000-chrono" / "cells", tune / "cells")  # stand-ins for the trials
    (tune / "study.journal").write_text("")
    header = "# results/{0}: x\n\n- Question: q?\n- Group: literature\n- Command: `rnn-zoo tune --out results/tune-copy`\n- Commit: d2aa2dd\n"
    (tune / "README.md").write_text(header.format("tune-copy"))
    shutil.copytree(RESULTS / "copy-T1000-chrono" / "cells", tune / "final" / "cells")
    (tune / "final" / "README.md").write_text(header.format("tune-copy/final"))
    (results / "README.md").write_text(f"# Results\n\n{index.INDEX_START}\n{index.INDEX_END}\n")
    runs = {r.path: r for r in index.find_runs(results)}
    assert runs["tune-copy"].kind == "tune" and runs["tune-copy"].rows == []
    assert runs["tune-copy/final"].kind == "cells" and runs["tune-copy/final"].rows


def test_a_tune_run_sets_each_model_tuned_beside_its_default_with_both_verdicts(tmp_path):
    """The verdict table: one row per tune run and task holding LSTM and GRU, both means default -> tuned, both
    verdicts as `compare` gives them, the studies' first three importances; the per-model table: every model
    of final/, its trials and best configuration from tuning.json, and a dash where default/ lacks it."""
    from zoo.bench.analysis import verdicts
    from zoo.bench.execution import store

    results = tmp_path / "results"
    tune = results / "tune-copy"
    header = "# results/{0}: x\n\n- Question: q?\n- Group: literature\n- Command: `rnn-zoo tune --out results/tune-copy`\n- Commit: d2aa2dd\n"
    for kind in ("final", "default"):
        shutil.copytree(RESULTS / "tune-copy-T30" / kind / "cells", tune / kind / "cells")
        (tune / kind / "README.md").write_text(header.format(f"tune-copy/{kind}"))
    shutil.copy(RESULTS / "music" / "cells" / "jsb__mingru__seed0.json", tune / "final" / "cells")  # no default
    (tune / "study.journal").write_text("")
    (tune / "README.md").write_text(header.format("tune-copy"))
    studies = [{"study": f"copy-T30__{m}", "model": m, "budget": 34314, "finished": 30, "complete": c,
                "pruned": 30 - c, "best_value": 0.1, "best_trial": 3, "best_params": {"learning_rate": 0.01},
                "importance": {"learning_rate": lr, "dropout": 0.1, "batch_size": 0.9 - lr - 0.1, "clipnorm": 0.0}}
               for m, c, lr in (("lstm", 12, 0.2), ("gru", 19, 0.6))]
    (tune / "tuning.json").write_text(json.dumps(studies))
    runs = index.find_runs(results)
    rows = index.current_tuned(runs)
    assert [(r["label"], r["model"]) for r in rows] == [("copy(T=30)", "lstm"), ("copy(T=30)", "gru"),
                                                        ("jsb", "mingru")]
    (verdict,) = tuned.verdict_table(rows, "results/")[2:]
    expected = {kind: verdicts.brief(verdicts.compare(store.load_cells(tune / kind), "lstm", "gru")[0], "lstm", "gru")
                for kind in ("default", "final")}
    cells = [c.strip() for c in verdict.split("|")[1:-1]]
    assert cells[:3] == ["[tune-copy](results/tune-copy/README.md)", "copy(T=30)", "34314"]
    assert cells[3] == "0.4045 → 0.1352" and cells[4] == "0.3268 → 0.1095"
    assert cells[5:7] == [expected["default"], expected["final"]] and cells[5].startswith("GRU better, gru/lstm = ")
    assert cells[7] == "batch 0.60, lr 0.20, dropout 0.10; lr 0.60, batch 0.20, dropout 0.10"
    table = tuned.model_table(rows, "", index._score)
    assert "| 30 (12 + 18) | 0.4045 [" in table[2] and "| lr 0.01 | batch 0.60, lr 0.20, dropout 0.10, clipnorm 0.00 |" in table[2]
    assert "| jsb | mingru | " in table[4] and "| — | — | " in table[4]  # no study, no default recipe for it
    text = index.render_index(runs)
    assert "## Tuned against default" in text and verdict.replace("(results/", "(") in text


def test_the_literature_table_sets_each_published_score_beside_each_current_run(tmp_path):
    """A row per task and model a paper scored, a column per current literature run holding it; models no
    paper scored, other groups' runs and superseded runs are left out."""
    results = tmp_path / "results"
    header = "# results/{0}: x\n\n- Question: q?\n- Group: {1}\n- Command: `rnn-zoo run`\n- Commit: d2aa2dd\n"
    for name, group, extra in (("music", "literature", ""), ("old", "literature", "- Superseded by: music\n"),
                               ("other", "matrix", "")):
        (results / name / "cells").mkdir(parents=True)
        for cell in ("jsb__lstm__seed0", "jsb__lstm__seed1", "jsb__gru__seed0", "jsb__mingru__seed0"):
            shutil.copy(RESULTS / "music" / "cells" / f"{cell}.json", results / name / "cells")
        (results / name / "README.md").write_text(header.format(name, group) + extra)
    lines = index.literature_table(index.find_runs(results), "results/")
    assert lines[0] == "| task | model | published | [music](results/music/README.md) |"
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): line for line in lines[2:] if line.startswith("| jsb")}
    assert set(rows) == {("jsb", "lstm"), ("jsb", "gru")}  # mingru: no paper scored it
    assert "| 8.45¹ | " in rows[("jsb", "lstm")] and rows[("jsb", "lstm")].endswith("(2) |")
    assert "| 8.43¹ | " in rows[("jsb", "gru")] and rows[("jsb", "gru")].endswith("(1) |")
    assert lines[-1].startswith("¹ Bai et al. 2018, Table 1")
    assert index.literature_table([r for r in index.find_runs(results) if r.group == "matrix"], "") == []


def test_report_index_is_the_command(tmp_path, capsys):
    from zoo.bench.cli import main

    results = tmp_path / "results"
    shutil.copytree(RESULTS / "gradients", results / "gradients")
    assert main(["report", "--index", str(results)]) == 0
    assert capsys.readouterr().out.split() == [str(results / "README.md"), str(results / "index.csv")]
    assert "| [gradients](gradients/README.md) | adding(T=200) | gru | g1/gT trained |" in (results / "README.md").read_text()


def test_results_without_a_readme_or_a_header_are_refused(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(RESULTS / "copy-T1000-chrono" / "cells", results / "new" / "cells")
    with pytest.raises(UsageError, match="holds results but no README.md"):
        index.find_runs(results)
    (results / "new" / "README.md").write_text("# results/new: something\n\n- Question: what?\n")
    with pytest.raises(UsageError, match="lacks 'Group', 'Command', 'Commit'"):
        index.find_runs(results)


def test_the_readme_is_a_product_page():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for heading in ("## Set-up", "## Three uses", "## Leaderboard", "## Bring your own model", "## Contributing"):
        assert f"\n{heading}\n" in readme, heading
    assert "[results/README.md](results/README.md)" in readme  # the findings' front page


def test_no_issue_numbers_accounts_of_past_work_or_absolute_paths():
    found = []
    for path in committed_text():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name, pattern in (("issue", ISSUE), ("past work", PAST_WORK), ("absolute path", ABSOLUTE)):
                if m := pattern.search(line):
                    found.append(f"{path.relative_to(REPO)}:{n}: {name} {m.group(0)!r}")
    assert not found, "\n".join(found[:20])


def test_recorded_commands_write_to_a_relative_out():
    """run.json and the READMEs' Command lines: a reader runs them from the checkout."""
    commands = []
    for path in RESULTS.rglob("run.json"):
        info = json.loads(path.read_text())
        # a tune folder's final/ and default/ have no command of their own (tune wrote them), only what extended them
        commands += ([info["command"]] if "command" in info else []) + [e["command"] for e in info.get("extended_by", [])]
    commands += [c for run in index.find_runs(RESULTS) for c in run.commands]
    outs = [m.group(1) for c in commands for m in re.finditer(r"--out[ =](\S+)", c)]
    assert outs and all(not o.startswith(("/", "~")) for o in outs), [o for o in outs if o.startswith(("/", "~"))]
