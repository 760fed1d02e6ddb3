"""How the package's modules import one another: one way down, no cycle, nothing hidden in a
function. Read from the source with `ast`, plus one real import of each module on its own."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import jobboard

PACKAGE = Path(jobboard.__file__).parent

# Top to bottom: a module imports from its own layer or a lower one, never a higher one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entry points", ("jobboard.app", "jobboard.cli")),
    ("web", ("jobboard.web",)),
    ("services", ("jobboard.services",)),
    ("search and mail", ("jobboard.search", "jobboard.mail")),
    ("models", ("jobboard.models", "jobboard.db", "jobboard.migrations")),
    (
        "helpers",
        (
            "jobboard",
            "jobboard.clock",
            "jobboard.settings",
            "jobboard.formats",
            "jobboard.markdown",
            "jobboard.passwords",
            "jobboard.metrics",
        ),
    ),
    ("domain", ("jobboard.domain",)),
)
# Within one layer only these groups may import each other (small leaf modules).
SHARED_LAYERS = frozenset({"helpers"})
# Pure rules: no web framework, ORM or search engine under jobboard/domain/.
DOMAIN_FORBIDDEN = ("starlette", "tortoise", "whoosh", "jinja2", "anyio")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> list[tuple[str, int]]:
    """The jobboard modules `name` imports, with the line of each import."""
    tree = ast.parse(MODULES[name].read_text())
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("jobboard")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("jobboard"):
                continue
            for alias in node.names:  # `from jobboard.web import htmx` imports a module
                sub = f"{node.module}.{alias.name}"
                found.append((sub if sub in MODULES else node.module, node.lineno))
    return found


def _layer(name: str) -> tuple[int, str, str]:
    """(rank, layer, group) of a module; the longest matching prefix decides."""
    best: tuple[int, str, str] | None = None
    for rank, (layer, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = name == prefix or (prefix != "jobboard" and name.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > len(best[2])):
                best = (rank, layer, prefix)
    assert best is not None, f"{name} belongs to no layer: add it to LAYERS"
    return best


Graph = dict[str, list[tuple[str, int]]]


def import_graph() -> Graph:
    return {name: _imports(name) for name in MODULES}


def layering_problems(graph: Graph) -> list[str]:
    problems = []
    for name, targets in graph.items():
        rank, layer, group = _layer(name)
        for target, line in targets:
            t_rank, t_layer, t_group = _layer(target)
            same_layer_ok = t_rank == rank and (t_group == group or layer in SHARED_LAYERS)
            if t_rank < rank or (t_rank == rank and not same_layer_ok):
                problems.append(f"{name}:{line} ({layer}) imports {target} ({t_layer})")
    return problems


def cycles(imports: Graph) -> list[list[str]]:
    graph = {name: sorted({t for t, _ in targets} - {name}) for name, targets in imports.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in graph.get(node, []):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name)
    return found


def function_level_imports(source: str) -> list[int]:
    """Lines of `import` statements inside a function or class body."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    lines.append(inner.lineno)
    return sorted(set(lines))


def test_imports_point_one_way_down_the_layers() -> None:
    assert layering_problems(import_graph()) == []


def test_no_import_cycle_in_the_package() -> None:
    assert cycles(import_graph()) == []


def test_no_module_imports_inside_a_function() -> None:
    hidden = {
        name: lines
        for name, path in MODULES.items()
        if (lines := function_level_imports(path.read_text()))
    }
    assert hidden == {}


def test_domain_imports_no_framework() -> None:
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith("jobboard.domain"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{name}: {n}" for n in names if n.split(".")[0] in DOMAIN_FORBIDDEN]
    assert offenders == []


_IMPORT_EACH = """
import importlib, json, sys
failures = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "jobboard" or m.startswith("jobboard.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failures[name] = repr(exc)
print(json.dumps(failures))
"""


def test_every_module_imports_on_its_own() -> None:
    """Each module imported first, in a fresh jobboard namespace (one process for speed:
    third-party modules stay loaded), so a cycle shows whatever the entry point."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, json.dumps(sorted(MODULES))],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
        timeout=300,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


# The checks themselves, on made-up cases: each would catch what it is for.


def test_the_checks_catch_what_they_are_for() -> None:
    assert function_level_imports("def f():\n    import os\n") == [2]
    assert function_level_imports("class A:\n    from os import path\n") == [2]
    assert function_level_imports("import os\n\ndef f():\n    return os\n") == []
    upward: Graph = {"jobboard.services.x": [("jobboard.web.htmx", 3)], "jobboard.web.htmx": []}
    assert layering_problems(upward) == [
        "jobboard.services.x:3 (services) imports jobboard.web.htmx (web)"
    ]
    sideways: Graph = {"jobboard.mail": [("jobboard.search.store", 1)]}
    assert len(layering_problems(sideways)) == 1
    loop: Graph = {
        "jobboard.web.a": [("jobboard.web.b", 1)],
        "jobboard.web.b": [("jobboard.web.c", 1)],
        "jobboard.web.c": [("jobboard.web.a", 1)],
    }
    assert cycles(loop) == [
        ["jobboard.web.a", "jobboard.web.b", "jobboard.web.c", "jobboard.web.a"]
    ]
    assert _layer("jobboard")[1] == "helpers" and _layer("jobboard.web.htmx")[1] == "web"
