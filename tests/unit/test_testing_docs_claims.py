"""What docs/testing.md says of sessionkit's own suite, held to the suite's numbers.

The page said each fuzzed call must answer within 10 seconds long after the suite's bound
became 30: a reader sizing their own bound on ours took the old one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _constant(path: Path, name: str) -> object:
    """Return the value a module assigns to ``name`` at its top level, read without importing."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            name
        ]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} assigns no {name}")


def test_the_fuzz_bound_the_page_gives_is_the_suites() -> None:
    bound = _constant(ROOT / "tests" / "fuzz" / "test_fuzz_services.py", "CALL_BOUND")
    assert isinstance(bound, float)
    page = " ".join((ROOT / "docs" / "testing.md").read_text(encoding="utf-8").split())
    assert f"each call must answer within {bound:g} seconds" in page
