"""How much compute `rnn-zoo tune`'s pruner saves: the same study (model, task, sampler and its seed, trial count)
with the pruner and without it, timed. A benchmark, not a test:

    KERAS_BACKEND=jax python -m zoo.bench.speed.pruner_bench --trials 12 --out runs/pruner-bench [--pruner median] [--set ...]
    KERAS_BACKEND=jax python -m zoo.bench.speed.pruner_bench --preset quick --task adding --trials 12 --out runs/pruner-adding

Prints and writes OUT/pruner-bench.json: wall seconds, epochs trained and the best validation score of each.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SMALL = ["adding.T=10", "adding.n_train=256", "adding.n_val=64", "adding.n_test=64", "model.params=600",
         "recipe.epochs=4", "recipe.patience=4"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.bench.speed.pruner_bench")
    p.add_argument("--model", default="lstm")
    p.add_argument("--task", default="adding")
    p.add_argument("--trials", type=int, default=12)
    p.add_argument("--pruner", default="median", choices=["median", "halving"])
    p.add_argument("--preset", default="smoke", help="the preset whose task and recipe the studies tune, as for tune")
    p.add_argument("--set", action="append", default=None,
                   help="as for run (default: with the smoke preset, a small adding task)")
    p.add_argument("--out", default="runs/pruner-bench")
    args = p.parse_args(argv)
    import keras

    from zoo.bench.experiment.experiment import matrix_from_args

    # the backend Keras already has (importing zoo.bench imported it): set KERAS_BACKEND=jax to bench JAX
    small = SMALL if args.preset == "smoke" and args.task == "adding" else []
    cells = matrix_from_args(argparse.Namespace(preset=args.preset, models=args.model, tasks=args.task, seeds="1",
                                                set=args.set or small, backend=keras.backend.backend(),
                                                relaunch=None))
    from zoo import backends
    from zoo.bench.execution import store
    from zoo.bench.experiment import tune

    backends.make_deterministic()
    out = Path(args.out)
    result = {"trials": args.trials, "model": args.model, "task": cells[0].label, "preset": args.preset,
              "set": args.set or small, "backend": keras.backend.backend()}
    for pruner in (args.pruner, "none"):  # the pruned study first: the unpruned one then runs on a warm cache
        folder = out / pruner
        start = time.perf_counter()
        tune.work(cells, folder, args.trials, None, "tpe", pruner, 0, lambda: False, None)
        records = store.load_cells(folder)
        result[pruner] = {"seconds": round(time.perf_counter() - start, 1),
                          "epochs": sum(r.epochs or 0 for r in records),
                          "pruned": sum(r.tuning["state"] == "pruned" for r in records),
                          "best": min(r.tuning["value"] for r in records if r.tuning["value"] is not None)}
    saved = 1 - result[args.pruner]["seconds"] / result["none"]["seconds"]
    result["saved"] = round(saved, 3)
    store.write_json(out / "pruner-bench.json", result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
