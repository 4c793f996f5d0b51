"""compare --add-seeds's group-sequential design: the levels its looks spend, and the error rates it keeps."""
import math

import pytest

from zoo.bench.analysis import sequential, stats
from zoo.bench.analysis.stats import ALPHA


@pytest.mark.parametrize("kind", sequential.SPENDING)
def test_the_looks_spend_at_most_alpha_whatever_their_times(kind):
    for looks in ([2, 3, 4, 5, 6, 7, 8, 9, 10], [3, 10], [2, 5, 9, 10], [10]):
        levels = [sequential.look_alpha(looks[:k + 1], 10, kind=kind) for k in range(len(looks))]
        assert all(level > 0 for level in levels)
        assert math.isclose(sum(levels), ALPHA)  # the cap is the last look: all of alpha, no more
    assert sequential.spent(0.5, kind="pocock") > sequential.spent(0.5, kind="obrien-fleming")


def test_looks_persist_in_the_run_and_set_the_level(tmp_path):
    sequential.record_looks(tmp_path, "lstm", "gru", 10, {"adding(T=4)": 3, "copy(T=4)": 3})
    plan = sequential.record_looks(tmp_path, "lstm", "gru", 10, {"adding(T=4)": 6, "copy(T=4)": 3})
    assert plan == sequential.load(tmp_path, "lstm", "gru")
    assert plan["looks"] == {"adding(T=4)": [3, 6], "copy(T=4)": [3]}  # a look adds seeds, or is the same look
    assert sequential.alpha_for(plan, "adding(T=4)") == sequential.look_alpha([3, 6], 10)
    assert sequential.alpha_for(plan, "imdb") == ALPHA  # never looked at again: a single look
    assert sequential.load(tmp_path, "rnn", "gru")["looks"] == {}


def test_target_seeds_follows_the_verdict_within_the_cap():
    margin = stats.Margin(1.0, relative=False)
    assert sequential.target_seeds(stats.Comparison(3, 3, margin, seeds_needed=7, needed_by="Welch"), 10) == 7
    assert sequential.target_seeds(stats.Comparison(3, 3, margin, seeds_needed=70, needed_by="Welch"), 10) == 10
    assert sequential.target_seeds(stats.Comparison(3, 3, margin, needed_by="TOST"), 10) == 10  # beyond 50
    assert sequential.target_seeds(stats.Comparison(1, 1, margin), 10) == 2  # no spread yet: one more


def _bound(n: int) -> float:
    """The most a rate whose truth is 5% reads in `n` simulated comparisons, 99% of the time (one-sided)."""
    return ALPHA + 2.33 * math.sqrt(ALPHA * (1 - ALPHA) / n)


def test_a_short_simulation_keeps_both_error_rates():
    n = 100  # a smoke check of the rule; the README's 2,000 below is the real one
    null = sequential.simulate(n, 0.0, seed=1)
    on_margin = sequential.simulate(n, 1.0, seed=2)
    assert null[stats.A_BETTER] + null[stats.B_BETTER] <= _bound(n)
    assert on_margin[stats.EQUIVALENT] <= _bound(n)


@pytest.mark.slow
def test_the_readme_simulation_keeps_both_error_rates_at_5_percent():
    """The README's figures: 2,000 comparisons of each truth, cap 10, 2 seeds a side to start (about 4 min)."""
    n = 2000
    null = sequential.simulate(n, 0.0, seed=0)
    on_margin = sequential.simulate(n, 1.0, seed=0)
    assert null[stats.A_BETTER] + null[stats.B_BETTER] <= _bound(n)
    assert on_margin[stats.EQUIVALENT] <= _bound(n)
