r"""Benchmark tasks for recurrent models: adding problem, copy memory, IMDB sentiment, (permuted) sequential
MNIST, polyphonic music (JSB Chorales, Nottingham, MuseData, Piano-midi.de), and length generalisation
(Delétang et al.'s regular, context-free and context-sensitive tasks, selective copying, associative recall).

    import tasks
    task = tasks.create_task("adding", T=200)
    splits = task.data(seed=0)          # train / val / test batches (keras.utils.PyDataset, any backend)
    model = zoo.create_model("gru", task.spec)

Importing tasks never chooses the Keras backend: KERAS_BACKEND or ~/.keras/keras.json does.

## Tasks

| task | what | metric (baseline) | solved |
|---|---|---|---|
| `adding` | two channels: U(0,1) values and two markers, one in each half; predict the sum of the marked values (Hochreiter & Schmidhuber 1997) | MSE (1/6: always predict 1) | MSE ≤ 0.01 |
| `copy` | 10 symbols from 8, T−1 blanks, a delimiter, 10 blanks; output the 10 symbols at the end (Arjovsky et al. 2016) | per-step cross-entropy (10 ln 8/(T+20): the memoryless predictor); recall accuracy on the 10 symbols | recall accuracy ≥ 0.99 |
| `imdb` | sentiment of real movie reviews, 25,000 train / 25,000 test (Maas et al. 2011) | accuracy (0.5) | accuracy ≥ 0.85 |
| `smnist` | a handwritten digit read pixel by pixel, 784 steps (`pixels_per_step=28`: rows); 60,000 train (5,000 validation by seed) / 10,000 test (Le et al. 2015; Bai et al. 2018) | accuracy (0.1135: always "1") | accuracy ≥ 0.95 |
| `psmnist` | `smnist` with the pixels in one fixed order, `np.random.default_rng(0).permutation(784)` | accuracy (0.1135) | accuracy ≥ 0.95 |
| `jsb` | JSB Chorales piano rolls (88 keys), 229 / 76 / 77 pieces: predict each next frame (Boulanger-Lewandowski et al. 2012); next-step, so no bidirectional model | frame NLL: the 88 keys' Bernoulli NLL summed, averaged over every predicted frame (11.09: each key's training frequency) | NLL ≤ 8.45 (Bai et al. 2018's LSTM) |
| `nottingham` | Nottingham folk tunes, 694 / 173 / 170 pieces, next frame | frame NLL (10.26) | NLL ≤ 3.29 (Bai et al. 2018's LSTM) |
| `musedata` | MuseData classical scores, 524 / 135 / 124 pieces, next frame | frame NLL (11.51) | NLL below the baseline |
| `piano_midi` | Piano-midi.de piano pieces, 87 / 12 / 25, next frame | frame NLL (11.05) | NLL below the baseline |
| `even_pairs` | a binary string; is its number of 01 and 10 pairs odd (= first and last symbols differ)? Trained on lengths 1–40, tested to 500 (Delétang et al. 2023, regular) | per-sequence accuracy beyond training (0.5) | accuracy ≥ 0.9 beyond training |
| `parity_check` | a binary string; is its number of 1s odd? Lengths 1–40, tested to 500 (Delétang et al. 2023, regular) | per-sequence accuracy beyond training (0.5) | accuracy ≥ 0.9 beyond training |
| `cycle_navigation` | moves −1/0/+1 on a cycle of 5 from 0; the end position. Lengths 1–40, tested to 500 (Delétang et al. 2023, regular) | per-sequence accuracy beyond training (0.2) | accuracy ≥ 0.9 beyond training |
| `modular_arithmetic` | digits 0–4 joined by +, −, × (× first); the value mod 5. Lengths 1–40 (odd), tested to 500 (Delétang et al. 2023, regular) | per-sequence accuracy beyond training (~0.2, the most frequent value) | accuracy ≥ 0.9 beyond training |
| `stack_manipulation` | a binary stack, then pop / push 0 / push 1; output the final stack top to bottom and a terminator. Lengths 1–40, tested to 500 (Delétang et al. 2023, DCF) | per-sequence accuracy up to the terminator, beyond training (the most frequent symbol) | accuracy ≥ 0.9 beyond training |
| `reverse_string` | a binary string, output reversed. Lengths 1–40, tested to 500 (Delétang et al. 2023, DCF) | per-sequence accuracy beyond training (0.5) | accuracy ≥ 0.9 beyond training |
| `modular_arithmetic_brackets` | a bracketed expression of digits 0–4 with +, −, ×; its value mod 5. Lengths 1–40, tested to 500 (Delétang et al. 2023, DCF) | per-sequence accuracy beyond training (the most frequent value) | accuracy ≥ 0.9 beyond training |
| `solve_equation` | a bracketed equation with +, − and one unknown x mod 5; the x that solves it. Lengths 1–40, tested to 500 (Delétang et al. 2023, DCF) | per-sequence accuracy beyond training (~0.2) | accuracy ≥ 0.9 beyond training |
| `duplicate_string` | a binary string, output twice. Lengths 1–40, tested to 500 (Delétang et al. 2023, CS) | per-sequence accuracy beyond training (0.5) | accuracy ≥ 0.9 beyond training |
| `bucket_sort` | a string over 5 symbols, output sorted. Lengths 1–40, tested to 500 (Delétang et al. 2023, CS) | per-sequence accuracy beyond training (0.2) | accuracy ≥ 0.9 beyond training |
| `selective_copy` | 8 symbols (of 8) at random positions among noise; output them in order (Gu & Dao 2023). Lengths 8–40, tested to 500 | per-sequence accuracy beyond training (1/8) | accuracy ≥ 0.9 beyond training |
| `associative_recall` | 4 key–value pairs, then noise with each key asked once (power-law gaps); answer its value, 64 tokens (Arora et al. 2023, MQAR). Lengths 16–64, tested to 512 | per-sequence accuracy beyond training (~1/32) | accuracy ≥ 0.9 beyond training |

Synthetic data is vectorised NumPy (adding T=600 × 50,000 in about a second), from independent
seeded streams for train, validation and test. IMDB's validation split is carved from train with
the seed; the vocabulary (`TextVectorization`'s conventions: 0 padding, 1 unknown, words by
frequency) comes from the training split only; sequences are right-padded (`bucket=True` batches
reviews of similar length, cut to the longest in the batch).
"""
from zoo import _keras_backend  # noqa: F401,I001  (before any task module imports keras)
from tasks import adding, copy_memory, imdb, mnist, music  # noqa: F401  (registers the tasks)
from tasks import context_free, context_sensitive, recall, regular  # noqa: F401  (the length tasks)
from tasks.base import Criterion, DataUnavailableError, Recipe, Splits, Task
from tasks.batches import Batches
from tasks.registry import create_task, list_tasks, register_task, task_params

__all__ = ["Batches", "Criterion", "DataUnavailableError", "Recipe", "Splits", "Task", "create_task", "list_tasks",
           "register_task", "task_params"]
