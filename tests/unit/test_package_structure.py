"""The split core packages: no import cycles among their modules, none hidden either.

A package's ``__init__`` imports its modules, so a module that imports its own
package (``from sessionkit.conflicts import ...``) closes a cycle; it is a node
of the graph here, not left out. The checks read the source, so an import made
inside a function or behind ``if TYPE_CHECKING:`` counts as well.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGES = ["sessionkit.recurrence", "sessionkit.conflicts", "sessionkit.lifecycle"]


def package_dir(package: str) -> Path:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    return Path(module.__file__).parent


def module_name(package: str, path: Path) -> str:
    return package if path.stem == "__init__" else f"{package}.{path.stem}"


def imported_modules(path: Path, names: set[str]) -> set[str]:
    """The modules among ``names`` that a file imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module in names:
            found.add(node.module)
            # "from package import module" imports the module too.
            found.update(
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in names
            )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in names)
    return found


def graph(package: str) -> dict[str, set[str]]:
    paths = sorted(package_dir(package).glob("*.py"))
    names = {module_name(package, path) for path in paths}
    return {module_name(package, path): imported_modules(path, names) for path in paths}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_hides_an_import_behind_type_checking(package: str) -> None:
    for path in package_dir(package).glob("*.py"):
        assert "TYPE_CHECKING" not in path.read_text(), f"{package}: {path.name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_the_modules_import_one_another_without_a_cycle(package: str) -> None:
    modules = graph(package)
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for other in sorted(modules.get(name, ())):
            visit(other, (*path, name))
        done.add(name)

    for name in modules:
        visit(name, ())


def test_the_cycle_check_sees_an_import_of_the_package_itself(tmp_path: Path) -> None:
    # The check above is only worth having if it would fail; this is the shape it must catch.
    (tmp_path / "__init__.py").write_text("from pkg.a import A\n")
    (tmp_path / "a.py").write_text("def f():\n    from pkg import B\n")
    names = {"pkg", "pkg.a"}
    assert imported_modules(tmp_path / "__init__.py", names) == {"pkg.a"}
    assert imported_modules(tmp_path / "a.py", names) == {"pkg"}


def test_the_conflict_checks_are_a_leaf_below_both_finders() -> None:
    modules = graph("sessionkit.conflicts")
    assert modules["sessionkit.conflicts._checks"] == set()
    assert modules["sessionkit.conflicts._batch"] == {"sessionkit.conflicts._checks"}
    assert modules["sessionkit.conflicts._index"] == {"sessionkit.conflicts._checks"}


def test_public_conflicts_import_paths_still_work() -> None:
    import sessionkit
    import sessionkit.conflicts
    from sessionkit.conflicts import Buffers, Conflict, ConflictIndex, find_conflicts

    assert sessionkit.conflicts.__all__ == [
        "Buffers",
        "Conflict",
        "ConflictIndex",
        "find_conflicts",
    ]
    assert sessionkit.Conflict is Conflict
    assert sessionkit.ConflictIndex is ConflictIndex
    assert sessionkit.find_conflicts is find_conflicts
    assert Buffers is not None


def test_public_lifecycle_machine_import_paths_still_work() -> None:
    import sessionkit.lifecycle as lifecycle
    from sessionkit.lifecycle import machine

    assert machine.__all__ == [
        "ANY",
        "Anchor",
        "Lifecycle",
        "SessionLike",
        "SpanAnchor",
        "Status",
        "StatusChanged",
        "Timer",
        "Transition",
    ]
    for name in machine.__all__:
        assert getattr(machine, name) is getattr(lifecycle, name), name
