"""Statistics, verdicts, memory sweeps, plots and gradient flow."""
import dataclasses
import json
import warnings
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.patches import Rectangle
from scipy import stats as sps

from zoo.bench.experiment import auto_seeds, compare
from zoo.bench.reporting import plots, report
from zoo.bench.analysis import stats, sweep
from zoo.bench.execution import store
from zoo.bench.cli import main
from tasks.criterion import Criterion
from zoo.bench.execution.record import Record
from zoo.bench.analysis.stats import Margin, compare_samples, describe, seeds_needed

# Welch's t-test example 1 from the literature (Welch 1947 as tabulated on Wikipedia): t = -2.46, p = 0.021
A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
B1 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]


def test_describe_matches_known_values_and_scipy():
    s = describe([1, 2, 3, 4, 5])
    assert s.n == 5 and s.mean == 3 and s.std == pytest.approx(1.5811388, abs=1e-6)
    half = sps.t.ppf(0.975, 4) * 1.5811388 / np.sqrt(5)  # 2.776 * 0.7071
    assert (s.ci_low, s.ci_high) == pytest.approx((3 - half, 3 + half), abs=1e-6)
    assert s.ci_low == pytest.approx(1.0367568, abs=1e-6)
    one = describe([0.7])
    assert one.n == 1 and one.std is None and one.ci_low is None
    assert describe([1.0, None, float("nan"), 3.0]).n == 2


def test_welch_p_matches_the_textbook_example():
    t = compare_samples(A1, B1, Margin(0.5, relative=False), higher_is_better=True)
    assert t.welch_p == pytest.approx(0.021, abs=1e-3)
    assert t.welch_p == pytest.approx(sps.ttest_ind(A1, B1, equal_var=False).pvalue, rel=1e-12)
    assert compare_samples([1.0], [2.0, 3.0], Margin(0.5, False), True).welch_p is None  # undefined with one sample
    assert compare_samples([1.0, 1.0], [1.0, 1.0], Margin(0.5, False), True).welch_p is None


def test_tost_by_hand():
    # a = 1, 2, 3 and b = 2, 3, 4: d = 1, both variances 1, se = sqrt(2/3) = 0.8165, Welch df = 4
    t = compare_samples([1, 2, 3], [2, 3, 4], Margin(2.0, relative=False), higher_is_better=True)
    assert t.estimate == 1 and t.welch_p == pytest.approx(0.2879, abs=1e-4)  # 2 P(t4 > 1.2247)
    assert (t.ci_low, t.ci_high) == pytest.approx((1 - 2.2670, 1 + 2.2670), abs=1e-3)  # t4(0.975) = 2.7764
    # lower test P(t4 > (1 + 2) / se = 3.674) = 0.0107; upper test P(t4 < (1 - 2) / se = -1.2247) = 0.1439
    assert t.tost_p == pytest.approx(0.1439, abs=1e-4) and t.decision == stats.UNDECIDED
    wide = compare_samples([1, 2, 3], [2, 3, 4], Margin(5.0, relative=False), higher_is_better=True)
    assert wide.tost_p == pytest.approx(sps.t.cdf(-4 / np.sqrt(2 / 3), 4)) and wide.decision == stats.EQUIVALENT


@pytest.mark.parametrize("margin", [0.005, 0.02, 0.05])
def test_tost_matches_scipy_one_sided_welch_tests(margin):
    """TOST = the larger p of two one-sided Welch tests of b against a shifted by -margin and +margin."""
    a = [0.80, 0.84, 0.78, 0.81]
    b = [0.81, 0.79, 0.83, 0.80, 0.82]
    t = compare_samples(a, b, Margin(margin, relative=False), higher_is_better=True)
    lower = sps.ttest_ind(np.add(b, margin), a, equal_var=False, alternative="greater").pvalue
    upper = sps.ttest_ind(np.subtract(b, margin), a, equal_var=False, alternative="less").pvalue
    assert t.tost_p == pytest.approx(max(lower, upper), rel=1e-9)
    welch = sps.ttest_ind(b, a, equal_var=False)
    assert t.welch_p == pytest.approx(welch.pvalue, rel=1e-9)
    assert (t.ci_low, t.ci_high) == pytest.approx(tuple(welch.confidence_interval()), rel=1e-9)
    assert t.decision == (stats.EQUIVALENT if max(lower, upper) < 0.05 else stats.UNDECIDED)


def test_a_relative_margin_tests_the_log_of_the_values():
    a, b = [0.001, 0.0015, 0.0012], [0.0003, 0.0002, 0.00025]
    t = compare_samples(a, b, stats.LOSS_MARGIN, higher_is_better=False)
    on_logs = sps.ttest_ind(np.log(b), np.log(a), equal_var=False)
    assert t.welch_p == pytest.approx(on_logs.pvalue, rel=1e-9)
    assert t.estimate == pytest.approx(np.exp(np.log(b).mean() - np.log(a).mean()))  # ratio of geometric means
    assert (t.ci_low, t.ci_high) == pytest.approx(tuple(np.exp(on_logs.confidence_interval())), rel=1e-9)
    shifted = sps.ttest_ind(np.log(b) - np.log(1.1), np.log(a), equal_var=False, alternative="less").pvalue
    assert t.tost_p == pytest.approx(max(shifted, sps.ttest_ind(np.log(b) + np.log(1.1), np.log(a), equal_var=False,
                                                                alternative="greater").pvalue))
    assert t.decision == stats.B_BETTER  # lower loss wins
    assert compare_samples([0.0, 0.1], [0.1, 0.2], stats.LOSS_MARGIN, False).note.startswith("a value <= 0")


def test_margins_are_defined_once_per_metric():
    assert stats.margin_for("accuracy") == stats.margin_for("recall_accuracy") == Margin(0.005, relative=False)
    assert stats.margin_for("mse") == stats.margin_for("cross_entropy") == Margin(0.10, relative=True)
    assert stats.margin_for("mse").bound == pytest.approx(np.log(1.1))
    assert (stats.ACCURACY_MARGIN.describe(), stats.LOSS_MARGIN.describe()) == ("±0.005", "±10% as a ratio")


def test_seeds_needed_matches_the_classical_sample_sizes():
    # two-sample t-test, alpha 0.05 two-sided, 80% power (Cohen 1988; R's pwr.t.test): d = 1 -> 16.7, d = 0.5 -> 63.8
    assert seeds_needed(1.0, 1.0, margin=0.1) == (17, "Welch")
    assert seeds_needed(0.5, 1.0, margin=0.1, most=100) == (64, "Welch")
    assert seeds_needed(0.5, 1.0, margin=0.1) == (None, "Welch")  # beyond the count: "more than 50"
    # equivalence at a true difference of 0, bounds ±0.5 sd: 2 (z_0.95 + z_0.9)^2 / 0.5^2 = 68.5 by the normal
    # approximation; the t distribution's heavier tails ask a seed or two more
    n, by = seeds_needed(0.0, 1.0, margin=0.5, most=100)
    assert by == "TOST" and 69 <= n <= 71
    assert seeds_needed(0.9, 1.0, margin=1.0)[1] == "Welch"  # whichever needs fewer: the difference is large
    assert seeds_needed(0.05, 1.0, margin=3.0)[1] == "TOST"


def test_seeds_needed_gives_the_power_it_promises():
    """Simulated Welch tests at the estimated seeds reject about 80% of the time."""
    rng = np.random.default_rng(0)
    n, _ = seeds_needed(1.0, 1.0, margin=0.1)
    a, b = rng.normal(0, 1, (20_000, n)), rng.normal(1, 1, (20_000, n))
    power = np.mean(sps.ttest_ind(b, a, axis=1, equal_var=False).pvalue < 0.05)
    assert 0.78 < power < 0.83


def test_one_seed_zero_spread_and_no_finite_value():
    one = compare_samples([0.8], [0.7, 0.75], Margin(0.005, False), True)
    assert one.decision == stats.UNDECIDED and one.welch_p is None and one.tost_p is None
    assert one.estimate == pytest.approx(-0.075) and "no spread to test with" in one.note
    same = compare_samples([0.8, 0.8, 0.8], [0.8, 0.8, 0.8], Margin(0.005, False), True)
    assert (same.decision, same.welch_p, same.tost_p, same.estimate) == (stats.EQUIVALENT, None, 0.0, 0.0)
    apart = compare_samples([0.8, 0.8], [0.7, 0.7], Margin(0.005, False), True)
    assert (apart.decision, apart.welch_p, apart.tost_p) == (stats.A_BETTER, 0.0, 1.0)
    close = compare_samples([0.8, 0.8], [0.801, 0.801], Margin(0.005, False), True)
    assert close.decision == stats.EQUIVALENT
    none = compare_samples([None, float("nan")], [0.7, 0.8], Margin(0.005, False), True)
    assert (none.n_a, none.n_b, none.estimate, none.decision) == (0, 2, None, stats.UNDECIDED)


RULES = {"adding": ("mse", 0.01, False), "copy": ("recall_accuracy", 0.99, True), "imdb": ("accuracy", 0.85, True)}


def fake_record(model, task, label, seed, value, *, metric="mse", higher=False, baseline=1 / 6, solved=False,
                params=None, t=None, extra_test=None, history=None, throughput=1000.0):
    task_params = dict(params or {"T": 10, "n_train": 8, "n_val": 8, "n_test": 8})
    if t is not None:
        task_params["T"] = t
    return Record.from_json({
        "cell_id": f"{label}__{model}__seed{seed}", "label": label, "task": task, "model": model, "seed": seed,
        "status": "completed", "error": None, "wall_seconds": 6.0, "metric": metric, "higher_is_better": higher,
        "test_metric": value, "test": {metric: value, **(extra_test or {})}, "best_val_metric": value,
        "baseline": baseline,
        "solved": solved, "solved_criterion": dict(zip(("metric", "threshold", "higher_is_better"), RULES[task])),
        "solved_rule": "{} {} {:g}".format(RULES[task][0], ">=" if RULES[task][2] else "<=", RULES[task][1]),
        "epochs_to_solve": 3 if solved else None, "params": 100,
        "epochs": 4, "seconds_per_epoch": 1.5, "epoch_seconds": [1.5] * 4, "train_sequences_per_second": throughput,
        "n_train": 8, "cudnn": "not eligible", "history": history or {f"val_{metric}": [0.2, 0.1, value, value]},
        "config": {"model": model, "task": task, "task_params": task_params, "seed": seed, "hparams": {}, "recipe": {}},
        "config_hash": "x", "environment": {"python": "3", "keras": "3", "numpy": "2", "backend": "jax",
                                            "backend_version": "0.1", "device": "CPU: test", "git_commit": None},
    })


@pytest.fixture
def run_dir(tmp_path):
    records = []
    for seed, (l, g) in enumerate([(0.010, 0.050), (0.011, 0.052), (0.012, 0.049)]):
        records += [fake_record("lstm", "adding", "adding(T=10)", seed, l, solved=True),
                    fake_record("gru", "adding", "adding(T=10)", seed, g)]
    for seed, (l, g) in enumerate([(0.80, 0.81), (0.84, 0.79), (0.78, 0.83)]):
        kw = dict(metric="accuracy", higher=True, baseline=0.5, params={"max_len": 20})
        records += [fake_record("lstm", "imdb", "imdb(max_len=20)", seed, l, **kw),
                    fake_record("gru", "imdb", "imdb(max_len=20)", seed, g, **kw)]
    for T, recall in [(5, (1.0, 0.99, 0.2)), (10, (1.0, 0.995, 0.15)), (20, (0.5, 0.999, 0.13))]:
        for seed in (0, 1):
            for model, r in zip(("lstm", "gru", "rnn"), recall):
                records.append(fake_record(model, "copy", f"copy(T={T})", seed, 0.1, metric="cross_entropy",
                                           t=T, solved=r >= 0.99, extra_test={"recall_accuracy": r}))
    for r in records:
        store.save_cell(tmp_path, r)
    return tmp_path


def test_compare_verdicts(run_dir):
    rows = {r["label"]: r for r in compare.compare(store.load_cells(run_dir), "lstm", "gru")}
    assert rows["adding(T=10)"]["verdict"] == ("LSTM better: gru/lstm = 4.59× [3.75, 5.61], Welch p=0.00043, "
                                              "TOST p=1 (margin ±10% as a ratio), 3 vs 3 seeds")  # lower mse wins
    assert rows["adding(T=10)"]["p_value"] < 0.001
    imdb = rows["imdb(max_len=20)"]["verdict"]
    assert imdb == ("undecided: gru - lstm = +0.00333 [-0.0591, +0.0658], Welch p=0.88, TOST p=0.47 (margin ±0.005), "
                    "3 vs 3 seeds; more than 50 seeds a side would be needed (nearest: Welch's test finding the "
                    "difference); neither solves it (0/3 and 0/3 seeds)")
    flipped = {r["label"]: r for r in compare.compare(store.load_cells(run_dir), "gru", "lstm")}
    assert flipped["adding(T=10)"]["verdict"].startswith("LSTM better: lstm/gru = 0.218× [0.178, 0.267], "
                                                         "Welch p=0.00043")
    text = compare.render(list(rows.values()), "lstm", "gru", run_dir)
    assert "| adding(T=10) | mse ↓ |" in text and "| 3/3 | epoch 3 (3/3 seeds) |" in text
    assert "| adding(T=10) | gru | 100 | 1.5 | 1,000 | 0/3 | never |" in text  # test and validation apart
    assert "| adding(T=10) | gru/lstm = 4.59× [3.75, 5.61] | 0.00043 | 1 | ±10% as a ratio | 3 vs 3 | LSTM better |" \
        in text


def test_verdict_wording():
    def line(lstm, gru, metric="accuracy", higher=True):
        recs = [fake_record(m, "imdb", "imdb", s, v, metric=metric, higher=higher, solved=True)
                for m, values in (("lstm", lstm), ("gru", gru)) for s, v in enumerate(values)]
        return compare.verdict_lines(compare.compare(recs, "lstm", "gru"))[0]

    assert line([0.9, 0.901, 0.902], [0.7, 0.701, 0.702]) == (
        "imdb: LSTM better: gru - lstm = -0.2 [-0.202, -0.198], Welch p=1.7e-09, TOST p=1 (margin ±0.005), "
        "3 vs 3 seeds")
    assert line([0.9, 0.901, 0.902], [0.9005, 0.9015, 0.9025]).startswith(
        "imdb: equivalent: gru - lstm = +0.0005 [-0.00177, +0.00277], Welch p=0.57, TOST p=0.0026 (margin ±0.005)")
    assert line([0.9, 0.9001, 0.9002], [0.9021, 0.9022, 0.9023]).endswith(
        "3 vs 3 seeds; a real difference, inside the margin")
    assert line([0.9, 0.9], [0.9, 0.9]).endswith("TOST p=0 (margin ±0.005), 2 vs 2 seeds; identical results")
    assert line([0.80, 0.84], [0.81, 0.79]).endswith("2 vs 2 seeds; about 21 seeds a side would decide it (Welch's "
                                                     "test finding the difference, 80% power at the observed "
                                                     "difference and spread)")
    assert line([0.80, 0.84], [0.84, 0.80]).endswith(  # no difference at all: only TOST could ever decide
        "more than 50 seeds a side would be needed (nearest: TOST showing equivalence)")
    assert line([0.8], [0.8, 0.7]) == ("imdb: undecided: 1 finished seed on one side: no spread to test with; "
                                       "2 a side at least (lstm: 1, gru: 2)")
    assert line([0.001, 0.002], [0.001, 0.0015], metric="mse", higher=False).startswith(
        "imdb: undecided: gru/lstm = 0.866× [0.0966, 7.76], Welch p=0.76, TOST p=0.54 (margin ±10% as a ratio)")


def test_higher_is_better_direction():
    recs = [fake_record(m, "imdb", "imdb", s, v, metric="accuracy", higher=True)
            for s in range(3) for m, v in (("lstm", 0.9 + s * 1e-3), ("gru", 0.7 + s * 1e-3))]
    (row,) = compare.compare(recs, "lstm", "gru")
    assert row["verdict"].startswith("LSTM better")
    single = compare.compare(recs[:2], "lstm", "gru")[0]
    assert single["verdict"].startswith("undecided: 1 finished seed on one side")


def test_all_diverged_cells_leave_the_verdict_undecided():
    recs = [fake_record(m, "adding", "adding(T=10)", s, v) for s in range(2)
            for m, v in (("lstm", None), ("gru", 0.01 * (s + 1)))]
    recs = [dataclasses.replace(r, status="diverged") if r.model == "lstm" else r for r in recs]
    (row,) = compare.compare(recs, "lstm", "gru")
    assert row["verdict"] == ("undecided: 0 finished seeds on one side: no spread to test with; 2 a side at least "
                              "(lstm: 0, gru: 2); neither solves it (0/2 and 0/2 seeds)")
    assert "| adding(T=10) | — | n/a | n/a | ±10% as a ratio | 0 vs 2 | undecided (neither solves it (0/2 and 0/2 " \
        "seeds)) |" in compare.render([row], "lstm", "gru", "run")


def test_a_verdict_between_two_failures_says_so():
    def row(lstm, gru, solved=False, baseline=0.83):
        recs = [fake_record(m, "copy", "copy(T=5)", s, v, metric="cross_entropy", baseline=baseline, solved=solved)
                for m, values in (("lstm", lstm), ("gru", gru)) for s, v in enumerate(values)]
        return compare.compare(recs, "lstm", "gru")[0]

    worse = row([2.28, 2.29, 2.27], [2.31, 2.30, 2.32])
    assert worse["verdict"].startswith("equivalent: ")
    assert worse["verdict"].endswith("; both worse than the trivial baseline 0.83")
    assert "| equivalent (both worse than the trivial baseline 0.83) |" in compare.render([worse], "lstm", "gru", "r")
    unsolved = row([0.41, 0.42, 0.40], [0.35, 0.36, 0.34])
    assert unsolved["verdict"].startswith("GRU better: ") and unsolved["verdict"].endswith(
        "; neither solves it (0/3 and 0/3 seeds)")
    assert row([0.41, 0.42, 0.40], [0.35, 0.36, 0.34], solved=True)["caveat"] is None


def test_memory_sweep_and_horizon(run_dir):
    records = store.load_cells(run_dir)
    (sw,) = sweep.find_sweeps(records)
    assert (sw.task, sw.param, sw.values) == ("copy", "T", [5, 10, 20])
    assert (sw.solved.metric, sw.solved.threshold, sw.solved.higher_is_better) == ("recall_accuracy", 0.99, True)
    horizons = {r["model"]: r["horizon"] for r in sweep.sweep_table(records, sw)}
    assert horizons == {"lstm": 10, "gru": 20, "rnn": None}
    md = "\n".join(sweep.render_markdown(records))
    assert "| gru | 0.99 (2/2) | 0.995 (2/2) | 0.999 (2/2) | T=20 |" in md
    assert "| rnn |" in md and "none solved" in md


def test_every_plot_writes_a_png_and_results_md_links_them(run_dir):
    paths = report.write_all(run_dir)
    pngs = [p for p in paths if p.suffix == ".png"]
    assert {p.name for p in pngs} >= {"curves-adding-T10.png", "final-metrics.png", "sweep-copy-T.png"}
    rows = compare.compare(store.load_cells(run_dir), "lstm", "gru")
    pngs.append(plots.compare_chart(rows, "lstm", "gru", run_dir))
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    md = (run_dir / "results.md").read_text()
    assert "[sweep-copy-T.png](sweep-copy-T.png)" in md and "## Memory sweep: copy.T" in md


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_compare_command_prints_and_writes_nothing_by_default(run_dir, capsys):
    before = snapshot(run_dir)
    assert main(["compare", "lstm", "gru", "--run", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# lstm vs gru") and "adding(T=10): LSTM better: gru/lstm = 4.59× [3.75, 5.61]" in out
    assert snapshot(run_dir) == before  # a committed run stays clean


def test_compare_says_which_tasks_it_left_out_and_why(run_dir, capsys):
    cells = store.cells_dir(run_dir)
    for path in cells.glob("copy(T=10)__gru__*.json"):
        path.unlink()
    failed = store.load_record(cells / "copy(T=20)__gru__seed0.json")
    store.save_cell(run_dir, Record.from_json(unscored(failed.to_json(), "failed")))
    (cells / "copy(T=20)__gru__seed1.json").unlink()
    assert main(["compare", "lstm", "gru", "--run", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert ("Not compared: copy(T=10): gru has no finished cells (lstm: 2); copy(T=20): gru has no finished cells "
            "(1 not finished) (lstm: 2).") in out
    assert out.rstrip().endswith("copy(T=10): gru has no finished cells (lstm: 2): not compared\n"
                                 "copy(T=20): gru has no finished cells (1 not finished) (lstm: 2): not compared")
    assert "copy(T=5): " in out  # the task both have is still compared


def test_compare_command_writes_only_where_asked(run_dir, tmp_path_factory, capsys):
    other = tmp_path_factory.mktemp("elsewhere") / "cmp"
    before = snapshot(run_dir)
    assert main(["compare", "lstm", "gru", "--run", str(run_dir), "-o", str(other)]) == 0
    assert snapshot(run_dir) == before
    assert (other / "compare-lstm-gru.md").read_text().startswith("# lstm vs gru")
    assert (other / "compare-lstm-gru.png").stat().st_size > 5000
    assert main(["compare", "lstm", "gru", "--run", str(run_dir), "--write"]) == 0
    new = set(snapshot(run_dir)) - set(before)
    assert new == {Path("compare-lstm-gru.md"), Path("compare-lstm-gru.png")}  # results.md is left alone
    assert f"written: {run_dir / 'compare-lstm-gru.md'}" in capsys.readouterr().out


def test_compare_command_bad_input(run_dir, tmp_path_factory, capsys):
    tmp_path = tmp_path_factory.mktemp("empty")  # not the run
    def error(*argv) -> str:
        assert main(["compare", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err  # one line
        return err

    assert "holds no cell files" in error("lstm", "gru", "--run", str(tmp_path))
    err = error("lstm", "bilstm", "--run", str(run_dir))
    assert "has no finished cells of bilstm; its models: rnn, lstm, gru" in err
    err = error("lstm", "lstn", "--run", str(run_dir))
    assert "compare: unknown model 'lstn'; known models: " in err and "bilstm" in err and "--models" not in err
    assert "two different" in error("lstm", "lstm", "--run", str(run_dir))
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert "exists and is not a directory" in error("lstm", "gru", "--run", str(run_dir), "-o", str(a_file))
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "lstm", "gru", "--run", str(run_dir), "--write", "-o", str(tmp_path)])
    assert exit_.value.code == 2 and "not allowed with" in capsys.readouterr().err
    assert not (tmp_path / "compare-lstm-gru.md").exists()


def test_interval_of_a_loss_stays_positive_and_says_how():
    gru_mse = [0.000215, 0.000331]  # two seeds, as in results/quick: a plain t interval reaches below 0
    plain = describe(gru_mse)
    assert plain.ci_low < 0
    s = describe(gru_mse, bounds=stats.metric_bounds("mse", False))
    assert s.mean == plain.mean and s.std == plain.std and s.method == stats.T_LOG
    assert 0 < s.ci_low < min(gru_mse) and s.ci_high > max(gru_mse)
    assert s.ci_low * s.ci_high == pytest.approx(s.mean ** 2)  # symmetric about the mean on the log scale
    factor = np.exp(sps.t.ppf(0.975, 1) * sps.sem(gru_mse) / s.mean)  # delta method on log(mean)
    assert s.ci_high == pytest.approx(s.mean * factor)
    assert stats.metric_bounds("cross_entropy", False) == (0.0, None)
    assert describe([-1.0, 2.0], bounds=(0.0, None)).method == stats.T_PLAIN  # a value below the bound: no log


def test_interval_of_an_accuracy_stays_in_0_1():
    acc = [0.97, 0.999]
    assert describe(acc).ci_high > 1
    s = describe(acc, bounds=stats.metric_bounds("recall_accuracy", True))
    assert s.method == stats.T_LOGIT and 0 < s.ci_low < 0.97 and 0.999 < s.ci_high < 1
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert logit(s.ci_low) + logit(s.ci_high) == pytest.approx(2 * logit(s.mean))
    assert describe([1.0, 1.0], bounds=(0.0, 1.0)).ci_high == 1.0


def test_compare_uses_the_bounded_interval_and_names_it():
    recs = [fake_record(m, "adding", "adding(T=10)", s, v) for s, (l, g) in enumerate([(0.001, 0.000215),
                                                                                          (0.0015, 0.000331)])
            for m, v in (("lstm", l), ("gru", g))]
    (row,) = compare.compare(recs, "lstm", "gru")
    assert row["gru"]["stats"].ci_low > 0 and row["gru"]["stats"].method == stats.T_LOG
    assert "Interval method: mse: Student t on the log scale." in compare.render([row], "lstm", "gru", "run")


def test_throughput_is_a_whole_number_with_separators(run_dir):
    recs = [fake_record("gru", "adding", "adding(T=10)", s, 0.01, throughput=v) for s, v in enumerate((11420.2, 11420.6))]
    md = report.render_markdown(recs, {})
    assert "| 11,420 | ok |" in md and "e+04" not in md
    recs += [fake_record("lstm", "adding", "adding(T=10)", s, 0.02) for s in range(2)]
    text = compare.render(compare.compare(recs, "lstm", "gru"), "lstm", "gru", "run")
    assert "| 11,420 |" in text and "| 1,000 |" in text


def test_solved_criterion_comes_from_the_cell_files(run_dir):
    # a criterion no Task object holds: the record is the only source
    records = [dataclasses.replace(r, solved_criterion=Criterion("recall_accuracy", 0.5, True))
               for r in store.load_cells(run_dir)]
    (sw,) = sweep.find_sweeps(records)
    assert (sw.solved.metric, sw.solved.threshold) == ("recall_accuracy", 0.5)
    # cells written before the field: only the rule's text
    old = [dataclasses.replace(r, solved_criterion=None) for r in store.load_cells(run_dir)]
    (sw,) = sweep.find_sweeps(old)
    assert (sw.solved.metric, sw.solved.threshold, sw.solved.higher_is_better) == ("recall_accuracy", 0.99, True)
    assert "solved: mse <= 0.01." in report.render_markdown(old, {})
    for module in (report, sweep, compare, plots):
        source = Path(module.__file__).read_text().replace("from tasks.criterion import", "")
        assert "import tasks" not in source and "from tasks" not in source, module.__name__  # the rule's type, no Task


@pytest.fixture
def figures(monkeypatch):
    """Every figure the plots module makes, kept open instead of saved."""
    made = []

    def keep(fig, path):
        made.append((Path(path).name, fig))
        return path

    monkeypatch.setattr(plots, "_save", keep)
    yield made
    for _, fig in made:
        plots.plt.close(fig)


def model_colors(fig) -> dict[str, str]:
    colors = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            line = handle[0] if isinstance(handle, tuple) else handle  # an errorbar's first artist is its line
            colors.setdefault(label, set()).add(mcolors.to_hex(line.get_color()))
    return colors


def test_one_colour_per_model_in_every_figure(run_dir, figures):
    import zoo

    records = store.load_cells(run_dir)
    plots.run_figures(records, run_dir)
    plots.compare_chart(compare.compare(records, "lstm", "gru"), "lstm", "gru", run_dir)
    flow = {"task": "adding(T=4)", "epochs": 5, "models": {m: {"init": {"norms": [1, 2, 3, 4]}, "trained": {"norms": [2, 2, 3, 4]}}
                                              for m in ("rnn", "lstm", "gru")}}
    plots.gradient_flow(flow, run_dir)
    names = {name for name, _ in figures}
    assert {"final-metrics.png", "compare-lstm-gru.png", "sweep-copy-T.png", "curves-adding-T10.png",
            "gradients-adding-T4.png"} <= names
    for name, fig in figures:
        colors = model_colors(fig)
        for model in ("lstm", "gru"):
            assert colors[model] == {plots.model_color(model)}, (name, model)
    known = [plots.model_color(m) for m in zoo.list_models()]
    assert len(set(known)) == len(known)  # no two models share a colour
    assert plots.model_color("gru") == plots.model_color("gru") != plots.model_color("bigru")


def test_no_bars_and_whole_epochs(run_dir, figures):
    records = store.load_cells(run_dir)
    plots.final_metrics(records, run_dir)
    plots.compare_chart(compare.compare(records, "lstm", "gru"), "lstm", "gru", run_dir)
    plots.learning_curves(records, run_dir)
    for name, fig in figures:
        fig.canvas.draw()
        for ax in fig.axes:
            if not name.startswith("curves"):
                assert not [p for p in ax.patches if isinstance(p, Rectangle)], name  # points, not bars
            else:
                ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
                assert ticks and all(float(t).is_integer() for t in ticks), (name, ticks)


def test_all_nan_history_draws_without_warnings(tmp_path, figures):
    nan = None  # NaN is stored as null in a cell file
    records = [fake_record("rnn", "adding", "adding(T=10)", s, 0.2, history={"val_mse": [nan, nan, nan]})
               for s in range(2)]
    records += [fake_record("gru", "adding", "adding(T=10)", 0, 0.1, history={"val_mse": [0.3, nan, 0.1]}),
                fake_record("gru", "adding", "adding(T=10)", 1, 0.1, history={"val_mse": [0.2, nan]})]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.learning_curves(records, tmp_path)
    ((_, fig),) = figures
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "rnn (no finite value)" in labels and "gru" in labels
    epochs, mean, low, high = plots.seed_band([[0.3, nan, 0.1], [0.2, nan]])
    assert epochs.tolist() == [1, 3] and mean.tolist() == pytest.approx([0.25, 0.1])
    assert (low.tolist(), high.tolist()) == ([0.2, 0.1], [0.3, 0.1])
    assert plots.seed_band([[nan, nan], [nan]]) is None


def test_gradient_flow_on_a_tiny_model(tmp_path, capsys):
    code = main(["gradients", "--task", "adding", "--set", "adding.T=8", "--set", "adding.n_train=64",
                 "--set", "adding.n_val=32", "--set", "adding.n_test=32", "--set", "model.units=4",
                 "--models", "rnn,gru", "--epochs", "1", "--batch", "16", "--out", str(tmp_path)])
    assert code == 0
    result = json.loads((tmp_path / "gradients-adding-T8.json").read_text())
    for model in ("rnn", "gru"):
        for phase in ("init", "trained"):
            norms = np.asarray(result["models"][model][phase]["norms"])
            assert norms.shape == (8,) and np.all(np.isfinite(norms)) and np.all(norms > 0)
    assert (tmp_path / "gradients-adding-T8.png").stat().st_size > 5000
    out = capsys.readouterr().out
    assert "||g_1||/||g_T||" in out and "batch 16, after 1 epoch of training (lr" in out
    assert "rnn            test after 1 epoch of training: loss " in out
    assert plots.after(0) == "untrained (0 epochs)" and plots.after(5) == "after 5 epochs of training"  # panel titles


@pytest.mark.slow
def test_gradient_flow_on_token_inputs():
    import tasks
    from zoo.bench.experiment.gradients import measure

    task = tasks.create_task("copy", T=4, n_train=16, n_val=8, n_test=8)
    result = measure(task, ["lstm"], {"units": 4, "embedding_dim": 3}, epochs=1, batch=8)
    assert len(result["models"]["lstm"]["init"]["norms"]) == 24  # T + 20 steps


# --add-seeds: more seeds on the undecided tasks only, up to a cap, resumable

UNDECIDED_FOREVER = (0.05, 0.5)  # both models alike, seeds a factor 10 apart: neither test decides by 10 seeds


def seeded_record(model, label, seed, value, status="completed"):
    """A record whose config is a real tiny cell, so that --add-seeds can train more of it."""
    from zoo.bench.design.matrix import Trial

    task = label.split("(")[0]
    cell = Trial(model, task, {"T": 4, "n_train": 32, "n_val": 16, "n_test": 16}, seed, {"units": 2},
                {"batch_size": 16, "epochs": 1, "patience": 1}, label, "jax 0.0")
    kw = dict(metric="cross_entropy", extra_test={"recall_accuracy": 0.1}) if task == "copy" else {}
    data = {**fake_record(model, task, label, seed, value, **kw).to_json(), "cell_id": cell.cell_id,
            "config": cell.config(), "config_hash": cell.config_hash, "status": status}
    return Record.from_json(data if status in store.DONE else unscored(data, status))


def unscored(data: dict, status: str) -> dict:
    """A failed or interrupted trial's record: its identity, no scores."""
    keys = ("cell_id", "label", "model", "task", "seed", "config", "config_hash", "environment", "wall_seconds")
    return {**{k: data[k] for k in keys}, "status": status, "error": f"{status} in a test"}


def seeded_run(folder):
    for seed in (0, 1):
        store.save_cell(folder, seeded_record("lstm", "adding(T=4)", seed, UNDECIDED_FOREVER[seed]))
        store.save_cell(folder, seeded_record("gru", "adding(T=4)", seed, UNDECIDED_FOREVER[1 - seed]))
        store.save_cell(folder, seeded_record("lstm", "copy(T=4)", seed, 0.1 + seed * 1e-4))  # decided: LSTM
        store.save_cell(folder, seeded_record("gru", "copy(T=4)", seed, 0.3 + seed * 1e-4))
    store.save_cell(folder, seeded_record("lstm", "adding(T=8)", 0, 0.1))  # one seed a side: no spread yet
    store.save_cell(folder, seeded_record("gru", "adding(T=8)", 0, 0.3))
    return folder


def fake_train(folder, values, log):
    """Stands in for the runner: writes each cell's record, the value from `values(cell)`."""
    def train(cells):
        log.append(sorted((c.label, c.model, c.seed) for c in cells))
        for c in cells:
            value = values(c)
            status = "failed" if value is None else "completed"
            store.save_cell(folder, seeded_record(c.model, c.label, c.seed, value, status))
        return 1 if any(values(c) is None for c in cells) else 0
    return train


def test_add_seeds_only_where_undecided_and_stops_at_the_cap(tmp_path):
    run = seeded_run(tmp_path)
    log, lines = [], []

    def values(cell):
        if cell.label == "adding(T=8)":  # a second seed that decides it: gru 3x worse again
            return {"lstm": 0.1001, "gru": 0.3001}[cell.model]
        return UNDECIDED_FOREVER[cell.seed % 2]

    code = auto_seeds.add_seeds(run, "lstm", "gru", 5, fake_train(run, values, log), say=lines.append)
    assert code == 0
    # round 1: adding(T=4) jumps to the cap (its estimate is beyond 50 seeds), adding(T=8) gets its second seed
    assert log == [sorted([("adding(T=4)", m, s) for m in ("lstm", "gru") for s in (2, 3, 4)]
                          + [("adding(T=8)", "gru", 1), ("adding(T=8)", "lstm", 1)])]
    assert "round 1: copy(T=4): LSTM better with 2 vs 2 seeds" in lines
    assert "round 1: adding(T=4): undecided with 2 vs 2 seeds; training 6 cells towards 5 seeds a side" in lines
    assert "round 2: adding(T=4): undecided at the cap of 5 seeds a side" in lines
    assert "round 2: adding(T=8): LSTM better with 2 vs 2 seeds" in lines
    assert not [r for r in store.load_cells(run) if r.label == "copy(T=4)" and r.seed > 1]
    log.clear()
    assert auto_seeds.add_seeds(run, "lstm", "gru", 5, fake_train(run, values, log), say=lines.append) == 0
    assert log == []  # everything at the cap or decided: nothing trains again


def test_add_seeds_counts_failed_seeds_against_the_cap_and_stops_on_ctrl_c(tmp_path):
    run = seeded_run(tmp_path)
    log = []
    fails = fake_train(run, lambda c: None if c.model == "gru" else UNDECIDED_FOREVER[c.seed % 2], log)
    assert auto_seeds.add_seeds(run, "lstm", "gru", 4, fails, say=lambda line: None) == 1
    gru = {r.seed: r.status for r in store.load_cells(run) if r.label == "adding(T=4)" and r.model == "gru"}
    assert gru == {0: "completed", 1: "completed", 2: "failed", 3: "failed"}  # 4 tried: the cap
    assert auto_seeds.add_seeds(seeded_run(tmp_path / "again"), "lstm", "gru", 4, lambda cells: 130,
                                say=lambda line: None) == 130


def test_add_seeds_in_a_tune_folder_never_trains_the_tuning_seed(tmp_path):
    """A tuned run's best configuration was chosen on the tuning seed: its fresh seeds, and the default
    recipe's beside them, skip it when --add-seeds fills in seeds (here seeds 1 and 2 exist, 0 is free)."""
    (tmp_path / store.TUNE_JOURNAL).write_text("")
    log = []
    for kind in ("final", "default"):
        run = tmp_path / kind
        for seed in (1, 2):
            store.save_cell(run, seeded_record("lstm", "adding(T=4)", seed, UNDECIDED_FOREVER[seed - 1]))
            store.save_cell(run, seeded_record("gru", "adding(T=4)", seed, UNDECIDED_FOREVER[2 - seed]))
        auto_seeds.add_seeds(run, "lstm", "gru", 4, fake_train(run, lambda c: UNDECIDED_FOREVER[c.seed % 2], log),
                             say=lambda line: None)
        assert {r.seed for r in store.load_cells(run)} == {1, 2, 3, 4}
    assert store.reserved_seeds(seeded_run(tmp_path / "other" / "plain")) == set()  # elsewhere seed 0 is a seed like any


def test_plan_resumes_an_interrupted_seed_and_never_retrains_a_finished_one(tmp_path):
    records = store.load_cells(seeded_run(tmp_path))
    records += [seeded_record("lstm", "adding(T=4)", 2, 0.05),
                seeded_record("gru", "adding(T=4)", 2, 0.5, "interrupted")]
    cells, _ = auto_seeds.plan(records, "lstm", "gru", 3)
    assert sorted((c.label, c.model, c.seed) for c in cells) == [
        ("adding(T=4)", "gru", 2), ("adding(T=8)", "gru", 1), ("adding(T=8)", "lstm", 1)]
    (again,) = [c for c in cells if c.label == "adding(T=4)"]
    assert again.config_hash == seeded_record("gru", "adding(T=4)", 2, 0.5).config_hash  # the same cell


@pytest.mark.slow
def test_compare_add_seeds_trains_into_the_run(tmp_path, monkeypatch, capsys):
    """End to end on real tiny cells: a run of two seeds, verdicts forced, one round of --add-seeds, a resume."""
    from zoo import backends

    monkeypatch.setattr(backends, "make_deterministic", lambda: None)  # op determinism stays out of this process
    run = tmp_path / "run"
    sets = ["--set", "adding.T=4", "--set", "adding.n_train=32", "--set", "adding.n_val=16", "--set",
            "adding.n_test=16", "--set", "model.units=2", "--set", "recipe.epochs=1", "--set", "recipe.batch_size=16"]
    assert main(["run", "--preset", "smoke", "--models", "rnn,gru", "--tasks", "adding", "--seeds", "2", *sets,
                 "--out", str(run)]) == 0
    for r in store.load_cells(run):  # undecided whatever a third seed gives
        store.save_cell(run, dataclasses.replace(r, test_metric=UNDECIDED_FOREVER[(r.seed + (r.model == "gru")) % 2]))
    capsys.readouterr()
    assert main(["compare", "rnn", "gru", "--run", str(run), "--add-seeds", "--max-seeds", "3"]) == 0
    out, err = capsys.readouterr()
    assert "round 1: adding(T=4): undecided with 2 vs 2 seeds; training 2 cells towards 3 seeds a side" in err
    assert "round 2: adding(T=4): undecided at the cap of 3 seeds a side" in err
    assert "adding(T=4): undecided: gru/rnn = " in out and ", 3 vs 3 seeds; " in out
    seeds = {(r.model, r.seed): r for r in store.load_cells(run)}
    assert sorted(seeds) == [(m, s) for m in ("gru", "rnn") for s in range(3)]
    assert seeds[("rnn", 2)].status == "completed" and seeds[("rnn", 2)].config.seed == 2
    assert "| rnn | " in (run / "results.md").read_text()  # the run's tables follow its cells
    added = f"rnn-zoo compare rnn gru --run {run} --add-seeds --max-seeds 3"
    assert json.loads((run / "run.json").read_text())["extended_by"] == [{"command": added, "cells": 2}]
    assert f"Extended by: `{added}` (2 cells)" in (run / "results.md").read_text()  # every command that added cells

    rnn_file = store.cells_dir(run) / f"{seeds[('rnn', 2)].cell_id}.json"
    before = rnn_file.read_bytes()
    store.save_cell(run, Record.from_json(unscored(seeds[("gru", 2)].to_json(), "interrupted")))
    assert main(["compare", "rnn", "gru", "--run", str(run), "--add-seeds", "--max-seeds", "3", "--jobs", "2"]) == 0
    err = capsys.readouterr().err
    assert "gru on adding(T=4) seed 2" in err and "rnn on adding(T=4) seed 2" not in err
    assert rnn_file.read_bytes() == before
    assert {r.status for r in store.load_cells(run)} == {"completed"}


def test_compare_add_seeds_bad_input(run_dir, capsys):
    def error(*argv) -> str:
        assert main(["compare", *argv]) == 2
        return capsys.readouterr().err

    assert "compare --add-seeds trains into the run: name it with --run DIR" in error("lstm", "gru", "--add-seeds")
    assert "--max-seeds 3: needs --add-seeds" in error("lstm", "gru", "--run", str(run_dir), "--max-seeds", "3")
    assert "--max-seeds 1: a test needs at least 2 seeds a side" in error(
        "lstm", "gru", "--run", str(run_dir), "--add-seeds", "--max-seeds", "1")
    assert "--jobs 2: needs --add-seeds" in error("lstm", "gru", "--run", str(run_dir), "--jobs", "2")
    assert "--jobs 0: expected an integer >= 1" in error("lstm", "gru", "--run", str(run_dir), "--add-seeds", "--jobs", "0")
