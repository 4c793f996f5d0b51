"""`python -m zoo`: the `rnn-zoo` command."""
import sys

from zoo.bench.cli import main

sys.exit(main())
