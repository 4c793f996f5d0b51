"""The speed tools' alternation (zoo/bench/speed/timing.py): every candidate once a round, in order."""
from zoo.bench.speed.timing import alternate, per_second


def test_alternate_runs_the_candidates_in_turn_round_by_round():
    calls, seen = [], []
    runs = alternate({"a": lambda: calls.append("a") or len(calls), "b": lambda: calls.append("b") or len(calls)}, 3,
                     announce=lambda round_, key: seen.append((round_, key)))
    assert calls == ["a", "b"] * 3
    assert runs == {"a": [1, 3, 5], "b": [2, 4, 6]}
    assert seen == [(r, k) for r in range(3) for k in "ab"]
    assert alternate({"a": lambda: 1}, 0) == {"a": []}


def test_per_second_divides_the_count_by_the_wall_time():
    assert per_second(10, lambda: None) > 10
