"""zoo's Keras classes registered as soon as Keras and zoo are both imported, in whichever order, so that
`import zoo` + `keras.saving.load_model` finds them, while `import zoo` alone loads no Keras.

Until then a finder at the front of sys.meta_path watches two kinds of import: Keras's own, and zoo's
submodules'. After either finishes, once Keras is loaded and no zoo module is halfway through its own
import (a module that imports Keras is, at that line), it imports the modules in `load` and steps aside.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import sys
from typing import Callable


class WithKeras:
    def __init__(self, load: Callable[[], None]):
        self.load = load

    def find_spec(self, name, path=None, target=None):
        if name != "keras" and not name.startswith("zoo."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None  # the other finders (an editable install's) answer, unwatched
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            self.ready(module)

        spec.loader.exec_module = exec_module  # this import's loader only
        return spec

    def ready(self, finished) -> None:
        if self not in sys.meta_path or "keras" not in sys.modules:
            return
        halfway = [m for n, m in list(sys.modules.items()) if (n == "zoo" or n.startswith("zoo.")) and m is not finished
                   and getattr(getattr(m, "__spec__", None), "_initializing", False)]
        if not halfway:
            sys.meta_path.remove(self)
            self.load()


def watch(load: Callable[[], None]) -> None:
    """Call `load` now if Keras is loaded, else when it is (see the module's docstring)."""
    if "keras" in sys.modules:
        load()
    else:
        sys.meta_path.insert(0, WithKeras(load))
