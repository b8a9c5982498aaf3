"""The recurrence package's module structure: no import cycles, none hidden either."""

from __future__ import annotations

import ast
from pathlib import Path

import sessionkit.recurrence

PACKAGE = Path(sessionkit.recurrence.__file__).parent
PREFIX = "sessionkit.recurrence"


def imported_modules(path: Path) -> set[str]:
    """Every sessionkit.recurrence module a file imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PREFIX + "."))
    return found - {PREFIX}


def modules() -> dict[str, set[str]]:
    return {
        f"{PREFIX}.{path.stem}": imported_modules(path)
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem != "__init__"
    }


def test_no_module_hides_an_import_behind_type_checking() -> None:
    for path in PACKAGE.glob("*.py"):
        assert "TYPE_CHECKING" not in path.read_text(), path.name


def test_the_plan_module_is_a_leaf() -> None:
    assert modules()[f"{PREFIX}._plan"] == set()


def test_the_recurrence_modules_import_one_another_without_a_cycle() -> None:
    graph = modules()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for other in graph.get(name, ()):
            visit(other, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_public_import_paths_still_work() -> None:
    from sessionkit import Occurrence as TopOccurrence
    from sessionkit import Recurrence as TopRecurrence
    from sessionkit.recurrence import MAX_CANDIDATES, Occurrence, Recurrence
    from sessionkit.recurrence.expand import MAX_CANDIDATES as EXPAND_MAX
    from sessionkit.recurrence.recurrence import Occurrence as ModuleOccurrence

    assert TopRecurrence is Recurrence
    assert TopOccurrence is Occurrence is ModuleOccurrence
    assert MAX_CANDIDATES == EXPAND_MAX == 100_000
