"""The exit codes of every rnn-zoo command: the one table."""
import signal

EXIT_OK = 0
EXIT_FAILED = 1  # the run finished, but some cell failed or diverged (its record says why)
EXIT_USAGE = 2  # bad input, refused in one line before anything was written
EXIT_NO_SPACE = 3  # a file could not be written (disk full, quota, read-only): every finished cell is kept
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number, as a shell reports it
EXIT_INTERRUPTED = EXIT_SIGNAL[signal.SIGINT]
