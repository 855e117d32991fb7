"""How the helpers package hangs together: no module imports one that imports it
back, at any depth, whether the import sits at the top of a file or in a function."""
import ast
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parent.parent / "helpers"


def module_name(path: Path) -> str:
    parts = path.relative_to(HELPERS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kit_imports(path: Path) -> set[str]:
    """The helpers modules ``path`` imports (relative or absolute), wherever the
    import statement sits."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("helpers"):
                continue
            for alias in node.names:  # `from . import x` names a module; `from .x import y` does not
                sub = f"{target}.{alias.name}"
                found.add(sub if (HELPERS.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (HELPERS.parent / sub.replace(".", "/")).is_dir() else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("helpers")}
    found.discard(name)
    return found


GRAPH = {module_name(p): kit_imports(p) for p in HELPERS.rglob("*.py")}


def cycle_from(start: str) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH.get(node, ()):
            if nxt == start:
                return path + [start]
            if nxt not in path:
                stack.append((nxt, path + [nxt]))
    return None


def test_the_graph_is_read():
    assert "helpers.checks" in GRAPH["helpers.params"]
    assert "helpers.datasets" in GRAPH["helpers.params"]
    assert "helpers.detector" in GRAPH["helpers.baselines"]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_import_cycle(module):
    # A package imports its own submodules, and they may import the package's siblings;
    # what must not happen is a module reaching itself again.
    cycle = cycle_from(module)
    assert cycle is None, " -> ".join(cycle)


def test_checks_is_a_leaf():
    assert GRAPH["helpers.checks"] == set()
