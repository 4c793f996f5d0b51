"""Length generalisation as a result: the record's score at every tested length, the table (within and beyond
training, generalises up to) and the score-against-length figure."""
import json

import pytest

from zoo.bench.execution import lengths, store
from zoo.bench.reporting import plots, report
from zoo.bench.cli import main
from tasks.criterion import Criterion
from zoo.bench.design.matrix import Trial
from tasks.reference import Reference
from zoo.bench.execution.train import base_record

SOLVED = Criterion("accuracy", 0.9, higher_is_better=True)


def curve(*points):
    """{"20": {"accuracy": a}, ...} from (length, accuracy) pairs."""
    return {str(n): {"accuracy": a, "loss": 1 - a} for n, a in points}


def test_scores_within_and_beyond_training_and_how_far_they_hold():
    scores = curve((20, 1.0), (40, 0.98), (60, 0.95), (100, 0.5), (200, 0.92))
    assert lengths.beyond_training(scores, [1, 40])["accuracy"] == pytest.approx((0.95 + 0.5 + 0.92) / 3)
    assert lengths.within_training(scores, [1, 40])["accuracy"] == pytest.approx(0.99)
    assert lengths.generalises_up_to(scores, SOLVED) == 60  # 200 meets it again, but 100 broke the run
    assert lengths.generalises_up_to(curve((20, 0.8), (60, 1.0)), SOLVED) is None
    assert lengths.generalises_up_to(curve((20, 1.0), (500, 0.91)), SOLVED) == 500
    assert lengths.generalises_up_to({"20": {"accuracy": None}}, SOLVED) is None
    with_nan = lengths.beyond_training({"60": {"accuracy": None}, "100": {"accuracy": 1.0}}, [1, 40])
    assert with_nan["accuracy"] != with_nan["accuracy"]  # NaN: one length without a score spoils the mean


def record(model, seed, points, task="parity_check"):
    cell = Trial(model, task, {"max_length": 40}, seed, {"units": 4}, {"batch_size": 8}, task, "jax 0.1")
    scores = curve(*points)
    test = lengths.beyond_training(scores, [1, 40])
    return base_record(
        cell, "completed", error=None, wall_seconds=1.0, metric="accuracy", higher_is_better=True, test=test,
        test_by_length=scores, train_lengths=[1, 40], test_metric=test["accuracy"], best_val_metric=1.0,
        baseline=0.5, solved_rule=SOLVED.describe(), solved_criterion=SOLVED, solved=SOLVED.met(test["accuracy"]),
        epochs_to_solve=1, history={"val_accuracy": [1.0]}, epochs=1, params=10, epoch_seconds=[1.0],
        seconds_per_epoch=1.0, train_sequences_per_second=10.0, n_train=8, cudnn="not eligible",
        reference=Reference("A paper (best of 10 seeds)", {"rnn": 1.0, "lstm": 0.995}))


RECORDS = [record("lstm", 0, [(20, 1.0), (40, 1.0), (100, 1.0), (500, 0.9)]),
           record("lstm", 1, [(20, 1.0), (40, 0.96), (100, 0.9), (500, 0.5)]),
           record("rnn", 0, [(20, 0.7), (40, 0.5), (100, 0.5), (500, 0.5)])]


def test_the_table_gives_each_model_its_curve_and_reach():
    rows = {r["model"]: r for r in lengths.length_table(RECORDS)}
    lstm = rows["lstm"]
    assert lstm["n"] == 2 and lstm["by_length"] == pytest.approx({20: 1.0, 40: 0.98, 100: 0.95, 500: 0.7})
    assert lstm["within"] == pytest.approx(0.99) and lstm["beyond"] == pytest.approx(0.825)
    assert lstm["best"] == pytest.approx(0.95) and lstm["solved"] == 1 and lstm["up_to"] == 100
    assert rows["rnn"]["up_to"] is None and rows["rnn"]["beyond_std"] is None
    text = "\n".join(lengths.render_markdown(RECORDS))
    assert "## Length generalisation: parity_check" in text and "(the mean over 100, 500" in text
    assert "| lstm | 2 | 0.990 | 0.825 ± 0.18 | 0.950 | 1/2 | 100 | 1.000 | 0.980 | 0.950 | 0.700 |" in text
    assert "| model | seeds | within training | beyond training (mean ± std) | best seed | solved | generalises up to " \
           "| 20 | 40 | 100* | 500* |" in text
    assert "Published: A paper (best of 10 seeds): rnn 1.000, lstm 0.995." in text
    assert lengths.render_markdown([]) == []


def test_tables_and_figure_from_cell_files(tmp_path):
    for r in RECORDS:
        store.save_cell(tmp_path, r)
    report.write_tables(tmp_path)
    summary = json.loads((tmp_path / "results.json").read_text())["length_generalisation"]
    assert [row["model"] for row in summary] == ["rnn", "lstm"] and summary[1]["up_to"] == 100
    assert summary[1]["criterion"] == "accuracy >= 0.9" and summary[1]["by_length"]["500"] == pytest.approx(0.7)
    assert summary[1]["reference"] == {"source": "A paper (best of 10 seeds)", "scores": {"rnn": 1.0, "lstm": 0.995}}
    text = (tmp_path / "results.md").read_text()
    assert "## Length generalisation: parity_check" in text
    assert "Test accuracy beyond the training lengths 1-40 (higher is better) over seeds" in text
    (path,) = plots.length_curves(store.load_cells(tmp_path), tmp_path)
    assert path.name == "lengths-parity_check.png" and path.stat().st_size > 10_000


@pytest.mark.slow  # trains (about 15 s); the quick check has the pieces above
def test_a_run_records_the_score_at_each_length(tmp_path, capsys):
    """The trainer's path for tasks tested at several lengths, at the smallest sizes (one width a batch)."""
    out = tmp_path / "run"
    sets = ["parity_check.n_train=32", "parity_check.n_val=16", "parity_check.n_test=8", "parity_check.max_length=6",
            "parity_check.test_lengths=3 9", "parity_check.buckets=1", "recipe.epochs=1", "recipe.batch_size=16"]
    assert main(["run", "--preset", "smoke", "--models", "gru", "--tasks", "parity_check", "--seeds", "1",
                 "--out", str(out), *[arg for s in sets for arg in ("--set", s)]]) == 0
    (r,) = store.load_cells(out)
    assert r.done and r.train_lengths == [1, 6] and sorted(r.test_by_length) == ["3", "9"]
    assert r.test == r.test_by_length["9"] and r.test_metric == r.test["accuracy"]  # 9 alone is beyond training
    assert r.solved == SOLVED.met(r.test_metric) and r.criterion == SOLVED and 0.4 < r.baseline < 0.6
    assert r.reference.scores == {"rnn": 1.0, "lstm": 1.0}  # Delétang et al.'s Table 2
    assert "val_loss" in r.history and r.n_train == 32
    assert "## Length generalisation: parity_check" in (out / "results.md").read_text()
    assert (out / "lengths-parity_check.png").exists()
