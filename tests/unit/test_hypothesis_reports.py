"""A failing property test shows the example that failed, whatever other plugins are loaded."""

from __future__ import annotations

from hypothesis import core
from hypothesis.vendor import pretty


def test_hypothesis_prints_falsifying_examples_with_its_own_printer() -> None:
    # schemathesis' plugin swaps in a printer that prints nothing: "x=," in every report.
    assert core.RepresentationPrinter is pretty.RepresentationPrinter  # type: ignore[attr-defined]
