"""A model that builds the same network as another on a task is not trained twice (pooling on per-step heads)."""
import json

import zoo
from zoo.bench.execution import store
from zoo.bench.cli import main as cli_main
from zoo.bench.design.matrix import MatrixSpec, build_trials, expand_models

TINY = dict(T=4, n_train=8, n_val=8, n_test=8)
TWIN = ("attention_bilstm: the same network as bilstm here (a per-step head never pools, so "
        "pooling='attention' does not apply): see bilstm's row")


def test_attention_pooling_on_a_per_step_task_is_skipped_as_bilstm_s_twin_and_kept_where_it_pools():
    lines = []
    spec = MatrixSpec(expand_models("*"), {"copy": TINY, "adding": TINY}, [0, 1], {"units": 4})
    cells = build_trials(spec, say=lines.append)
    on = {task: sorted({c.model for c in cells if c.task == task}) for task in ("copy", "adding")}
    assert on["adding"] == sorted(zoo.list_models())
    assert on["copy"] == sorted(set(zoo.list_models()) - {"attention_bilstm"})
    assert lines == [f"copy(T=4): skipping {TWIN}"]


def test_the_twin_is_kept_when_the_model_it_equals_is_not_in_the_matrix_whatever_the_order():
    alone = build_trials(MatrixSpec(["attention_bilstm"], {"copy": TINY}, [0], {"units": 4}), say=print)
    assert [c.model for c in alone] == ["attention_bilstm"]
    lines = []
    first = build_trials(MatrixSpec(["attention_bilstm", "bilstm"], {"copy": TINY}, [0], {"units": 4}), lines.append)
    assert [c.model for c in first] == ["bilstm"] and len(lines) == 1


def test_a_run_s_results_say_which_models_it_left_out_and_why(tmp_path):
    out = tmp_path / "run"
    code = cli_main(["run", "--preset", "smoke", "--models", "bilstm,attention_bilstm", "--tasks", "copy",
                     "--seeds", "1", "--out", str(out)])
    assert code == 0
    assert sorted(r.model for r in store.load_cells(out)) == ["bilstm"]
    info = json.loads((out / "run.json").read_text())
    assert info["skipped"] == [f"copy(T=5): skipping {TWIN}"]
    assert f"Not run: copy(T=5): skipping {TWIN}." in (out / "results.md").read_text()
