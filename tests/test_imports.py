"""The house's imports run one way: the library (zoo/ outside zoo/bench/, and tasks/) never imports the bench,
and no modules of zoo/ and tasks/ import each other in a circle; the bench's rooms import only the rooms before
them (ROOMS); and `import zoo` itself loads no Keras.

Read from the source with ast, so nothing is imported to check it. Every import counts: at module level, in a
function (run later, but a circle there is a circle all the same) and under `if TYPE_CHECKING:`. An import names
the deepest module it reaches (`from zoo import backends` is zoo.backends). Not counted: a package importing
its own submodules on the way (Python initialises `zoo` before `zoo.spec`), and imports by name in a string
(importlib.import_module), such as the registries' built-ins.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_EXCEPTIONS = {"zoo.__main__"}  # `python -m zoo`: the command's program entry, which no module imports
# zoo/bench/'s rooms, lowest first (zoo/bench/__init__.py says what each holds); its top-level modules are the
# command layer above them all, which no room imports
ROOMS = ["design", "execution", "analysis", "reporting", "experiment", "speed"]


def modules(root: Path) -> dict[str, Path]:
    """{dotted name: file} of every module of zoo/ and tasks/ under `root`."""
    found = {}
    for path in sorted([*root.glob("zoo/**/*.py"), *root.glob("tasks/**/*.py")]):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported module of `known`, line) for every import statement in the file."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import zoo.bench.x.y` names the module zoo.bench.x
                target = target.rpartition(".")[0]
            if target and target != name and (target, node.lineno) not in found:
                found.append((target, node.lineno))
    return found


def graph(root: Path) -> dict[str, list[tuple[str, int]]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def is_bench(name: str) -> bool:
    return name == "zoo.bench" or name.startswith("zoo.bench.")


def bench_imports(edges: dict[str, list[tuple[str, int]]]) -> list[str]:
    """'A imports B (line N)' for every import of zoo.bench from the library."""
    return [f"{a} imports {b} (line {line})" for a, targets in edges.items() for b, line in targets
            if not is_bench(a) and a not in LIBRARY_EXCEPTIONS and is_bench(b)]


def room_imports(edges: dict[str, list[tuple[str, int]]]) -> list[str]:
    """'A imports B (line N)' for every import in zoo.bench of a later room, or of the command layer, from a room."""
    def room(name: str) -> int | None:
        parts = name.split(".")
        if not is_bench(name) or len(parts) < 3:
            return None
        return ROOMS.index(parts[2]) if parts[2] in ROOMS else len(ROOMS)  # a top-level module: the command layer

    return [f"{a} imports {b} (line {line})" for a, targets in edges.items() for b, line in targets
            if room(a) is not None and room(a) < len(ROOMS) and room(b) is not None and room(b) > room(a)]


def circles(edges: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a path A -> B -> ... -> A."""
    graph_ = {a: sorted({b for b, _ in targets}) for a, targets in edges.items()}
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph_.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                groups.append(_path(sorted(group), graph_))

    for v in sorted(graph_):
        if v not in index:
            visit(v)
    return groups


def _path(group: list[str], graph_: dict[str, list[str]]) -> list[str]:
    """One circle through the group's first module, found breadth first, to name in the failure."""
    start, members = group[0], set(group)
    came = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in graph_[v]:
            if w == start:
                path = [v]
                while came[path[-1]] is not None:
                    path.append(came[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
            if w in members and w not in came:
                came[w] = v
                queue.append(w)
    return group


def test_the_library_never_imports_the_bench():
    found = bench_imports(graph(ROOT))
    assert not found, "zoo/ (outside zoo/bench/) and tasks/ must not import zoo.bench:\n" + "\n".join(found)


def test_no_import_circle_in_zoo_and_tasks():
    found = circles(graph(ROOT))
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_bench_rooms_import_one_way():
    rooms = {p.name for p in (ROOT / "zoo/bench").iterdir() if (p / "__init__.py").exists()}
    assert rooms == set(ROOMS), "a room of zoo/bench/ missing from ROOMS, or gone"
    found = room_imports(graph(ROOT))
    assert not found, f"a room of zoo/bench/ imports only the rooms before it ({', '.join(ROOMS)}):\n" + "\n".join(found)


def test_the_checks_name_what_they_find(tmp_path):
    """A library module importing the bench, and a circle through a function-level import, are both named."""
    files = {"zoo/__init__.py": "", "zoo/bench/__init__.py": "", "tasks/__init__.py": "",
             "zoo/bench/cli.py": "from zoo.bench import runner\n",
             "zoo/bench/runner.py": "def f():\n    from zoo.bench.cli import main\n",
             "tasks/base.py": "from zoo.spec import Spec\n", "zoo/spec.py": "def g():\n    import zoo.bench.cli\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = graph(tmp_path)
    assert bench_imports(edges) == ["zoo.spec imports zoo.bench.cli (line 2)"]
    assert circles(edges) == [["zoo.bench.cli", "zoo.bench.runner", "zoo.bench.cli"]]


def test_the_room_check_names_an_import_against_the_order(tmp_path):
    files = {"zoo/__init__.py": "", "zoo/bench/__init__.py": "", "zoo/bench/cli.py": "",
             "zoo/bench/design/__init__.py": "", "zoo/bench/execution/__init__.py": "",
             "zoo/bench/design/matrix.py": "def f():\n    from zoo.bench.execution import store\n",
             "zoo/bench/execution/store.py": "from zoo.bench.design.matrix import f\nfrom zoo.bench import cli\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert room_imports(graph(tmp_path)) == ["zoo.bench.design.matrix imports zoo.bench.execution.store (line 2)",
                                             "zoo.bench.execution.store imports zoo.bench.cli (line 2)"]


@pytest.mark.parametrize("first", ["import zoo", "from zoo.scan_rnn import ScanRNN", "import keras"])
def test_import_zoo_loads_no_keras_and_keras_finds_zoos_classes_whatever_comes_first(first):
    """`import zoo` leaves the backend open (no Keras), yet `keras.saving.load_model` after `import zoo` finds
    every zoo class, whichever of the two, or a zoo module that imports Keras itself, comes first."""
    code = (f"import sys\n{first}\nprint('keras' in sys.modules)\nimport zoo, keras\n"
            "print(all(keras.saving.get_registered_object(f'zoo>{n}') for n in ('PeepholeLSTMCell', 'ChronoBias', "
            "'SequencePooling', 'LRUCell')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == [str(first != "import zoo"), "True"]
