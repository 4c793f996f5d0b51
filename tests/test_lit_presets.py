"""The literature presets: music (CPU), mnist (CPU, rows), bai (Bai et al. 2018's budgets, one GPU)."""
import pytest

from zoo.bench.cli import build_parser, main
from zoo.bench.experiment.experiment import matrix_from_args

CAUSAL = ["cifg_lstm", "deep_gru", "deep_lstm", "deep_rnn", "gru", "indrnn", "lru", "lstm", "mingru", "minlstm",
          "peephole_lstm", "rnn"]


def cells_of(preset: str, capsys=None):
    cells = matrix_from_args(build_parser().parse_args(["run", "--preset", preset]))
    return cells, (capsys.readouterr().err if capsys else "")


def test_music_runs_every_causal_model_on_the_four_sets_at_one_budget(capsys):
    cells, err = cells_of("music", capsys)
    assert {c.task for c in cells} == {"jsb", "nottingham", "musedata", "piano_midi"}
    assert sorted({c.model for c in cells}) == CAUSAL
    assert {c.hparams["params"] for c in cells} == {100_000} and not any("units" in c.hparams for c in cells)
    assert err.count("skipping attention_bilstm, bigru, bilstm, birnn: bidirectional") == 4


def test_mnist_reads_rows_on_the_cpu():
    cells, _ = cells_of("mnist")
    assert {(c.task, c.task_params["pixels_per_step"], c.task_params["limit"]) for c in cells} == {
        ("smnist", 28, 20_000), ("psmnist", 28, 20_000)}


def test_mnist_pixel_reads_every_pixel_of_every_training_image_at_bai_s_size_and_recipe():
    cells, _ = cells_of("mnist-pixel")
    assert {(c.task, c.task_params.get("pixels_per_step", 1), c.task_params.get("limit")) for c in cells} == {
        ("smnist", 1, None), ("psmnist", 1, None)}
    assert {c.hparams["params"] for c in cells} == {70_000}
    assert {(c.recipe["optimizer"], c.recipe["learning_rate"], c.recipe["clipnorm"], c.recipe["epochs"])
            for c in cells} == {("rmsprop", 1e-3, 1.0, 3)}
    assert sorted({c.model for c in cells}) == ["gru", "indrnn", "lru", "lstm", "mingru", "minlstm", "rnn"]
    assert len(cells) == 7 * 2 * 3


def test_bai_has_bai_et_al_s_budgets_and_settings():
    cells, _ = cells_of("bai")
    by_task = {c.task: c for c in cells}
    assert {t: c.hparams for t, c in by_task.items()} == {
        "smnist": {"params": 70_000}, "psmnist": {"params": 70_000}, "adding": {"params": 70_000},
        "copy": {"params": 16_000}, "jsb": {"params": 300_000, "num_layers": 2, "dropout": 0.2},
        "nottingham": {"params": 1_000_000, "dropout": 0.1}}
    assert by_task["adding"].task_params["T"] == 600 and by_task["copy"].task_params["T"] == 1000
    assert by_task["smnist"].recipe["optimizer"] == "rmsprop" and by_task["nottingham"].recipe["learning_rate"] == 4e-3
    assert sorted({c.model for c in cells}) == ["gru", "indrnn", "lru", "lstm", "mingru", "minlstm", "rnn"]


@pytest.mark.parametrize("what,names", [("tasks", ["smnist", "psmnist", "jsb", "nottingham", "musedata", "piano_midi"]),
                                        ("presets", ["music", "mnist", "mnist-pixel", "bai"])])
def test_rnn_zoo_list_shows_them(what, names, capsys):
    assert main(["list", what]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]}
    assert set(names) <= listed
