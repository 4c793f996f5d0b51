"""Length generalisation in a record: the test score at each tested length, in distribution (within the
training lengths) and beyond, and the longest length up to which the task stays solved.

A record's `test_by_length` maps each tested length (a string: a JSON key) to that length's test
metrics; `train_lengths` is [shortest, longest] trained on. Its `test` is the mean over the lengths
beyond training (Delétang et al. 2023's score), so tables and `compare` rank length generalisation.
"""
from __future__ import annotations

import math

from tasks.criterion import Criterion


def by_length(scores: dict[str, dict[str, float | None]]) -> list[tuple[int, dict[str, float | None]]]:
    """(length, metrics) pairs, shortest first."""
    return sorted((int(k), v) for k, v in scores.items())


def mean_metrics(rows: list[dict[str, float | None]]) -> dict[str, float]:
    """Each metric's mean over `rows` (NaN where one of them has none: a diverged length poisons the mean)."""
    names = sorted({k for row in rows for k in row})
    return {k: sum(_finite(row.get(k)) for row in rows) / len(rows) for k in names} if rows else {}


def _finite(value: float | None) -> float:
    return math.nan if value is None else float(value)


def split(scores: dict[str, dict[str, float | None]], train_lengths: list[int] | tuple[int, int]):
    """The tested lengths within the training lengths and those beyond (above the longest), as (length, metrics)."""
    _, longest = train_lengths
    pairs = by_length(scores)
    return [p for p in pairs if p[0] <= longest], [p for p in pairs if p[0] > longest]


def beyond_training(scores: dict[str, dict[str, float | None]], train_lengths) -> dict[str, float]:
    """The test score: each metric's mean over the lengths beyond training."""
    return mean_metrics([metrics for _, metrics in split(scores, train_lengths)[1]])


def within_training(scores: dict[str, dict[str, float | None]], train_lengths) -> dict[str, float]:
    return mean_metrics([metrics for _, metrics in split(scores, train_lengths)[0]])


def generalises_up_to(scores: dict[str, dict[str, float | None]], criterion: Criterion) -> int | None:
    """The longest tested length up to which every tested length meets `criterion`; None if the shortest fails."""
    reached = None
    for length, metrics in by_length(scores):
        if not criterion.met(metrics.get(criterion.metric)):
            break
        reached = length
    return reached


def length_table(records: list) -> list[dict]:
    """Per task instance and model, over the scored seeds: the mean score at each tested length, within and
    beyond training, the best seed beyond training, solved n/N, and the length it generalises up to (on the
    mean over seeds). Records without per-length scores are left out."""
    from zoo.bench.design.ordering import model_key, natural_key

    groups: dict[tuple[str, str], list] = {}
    for r in records:
        if r.done and r.test_by_length:
            groups.setdefault((r.label, r.model), []).append(r)
    rows = []
    for (label, model), rs in sorted(groups.items(), key=lambda kv: (natural_key(kv[0][0]), model_key(kv[0][1]))):
        first, metric = rs[0], rs[0].metric
        mean_curve = {str(n): mean_metrics([dict(r.test_by_length.get(str(n), {})) for r in rs])
                      for n in sorted({int(k) for r in rs for k in r.test_by_length})}
        beyond = [r.test_metric for r in rs if r.test_metric is not None]
        rows.append({
            "label": label, "task": first.task, "model": model, "metric": metric, "n": len(rs),
            "train_lengths": first.train_lengths, "criterion": first.criterion, "baseline": first.baseline,
            "reference": first.reference,
            "by_length": {int(k): v.get(metric) for k, v in mean_curve.items()},
            "within": within_training(mean_curve, first.train_lengths).get(metric),
            "beyond": sum(beyond) / len(beyond) if beyond else None,
            "beyond_std": _std(beyond),
            "best": (max if first.higher_is_better else min)(beyond) if beyond else None,
            "solved": sum(bool(r.solved) for r in rs),
            "up_to": generalises_up_to(mean_curve, first.criterion),
        })
    return rows


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _num(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.3f}"


def render_markdown(records: list) -> list[str]:
    """One table per task instance tested at several lengths; nothing when there is none."""
    rows = length_table(records)
    lines = []
    for label in dict.fromkeys(r["label"] for r in rows):
        group = [r for r in rows if r["label"] == label]
        head = group[0]
        shortest, longest = head["train_lengths"]
        tested = sorted({n for r in group for n in r["by_length"]})
        beyond = [n for n in tested if n > longest]
        lines += [f"## Length generalisation: {label}", "",
                  f"Trained on lengths {shortest}-{longest}; test {head['metric']} (mean over seeds) at each tested "
                  f"length, within the training lengths and beyond them (the mean over {', '.join(map(str, beyond))}: "
                  f"the test score above). Generalises up to: the longest tested length up to which the mean score "
                  f"meets {head['criterion'].describe()} at every tested length. Baseline {_num(head['baseline'])}.",
                  "",
                  "| model | seeds | within training | beyond training (mean ± std) | best seed | solved | generalises up to | "
                  + " | ".join(f"{n}{'' if n <= longest else '*'}" for n in tested) + " |",
                  "|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(tested)]
        for r in group:
            spread = f" ± {r['beyond_std']:.2g}" if r["beyond_std"] is not None else ""
            up_to = "—" if r["up_to"] is None else str(r["up_to"])
            lines.append(f"| {r['model']} | {r['n']} | {_num(r['within'])} | {_num(r['beyond'])}{spread} "
                         f"| {_num(r['best'])} | {r['solved']}/{r['n']} | {up_to} | "
                         + " | ".join(_num(r["by_length"].get(n)) for n in tested) + " |")
        lines += ["", "\\* beyond the training lengths."]
        if head["reference"] is not None:
            lines += ["", f"Published: {head['reference'].describe()}."]
        lines.append("")
    return lines
