"""to_mermaid renders the declared graph; the diagrams in docs/lifecycle.md stay in step."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from sessionkit.lifecycle import (
    PRESETS,
    Lifecycle,
    Status,
    Timer,
    Transition,
    get_lifecycle,
    nobody_attended,
    roles,
    when,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"
BLOCK = re.compile(r"<!-- mermaid: (\w+) -->\n```mermaid\n(.*?)\n```", re.DOTALL)


def test_mermaid_lists_entry_every_edge_and_exits() -> None:
    lifecycle = Lifecycle(
        "probe",
        statuses=[Status("A", initial=True), Status("B"), Status("C", terminal=True)],
        transitions=[
            Transition("go", "A", "B", guards=[roles("coach")]),
            Transition(
                "stop",
                ["A", "B"],
                "C",
                timer=Timer.before_start(timedelta(hours=1), condition=nobody_attended),
            ),
        ],
    )
    assert lifecycle.to_mermaid().splitlines() == [
        "stateDiagram-v2",
        "    [*] --> A",
        "    A --> B: go [role in coach]",
        "    A --> C: stop at start - 1 h if nobody_attended",
        "    B --> C: stop at start - 1 h if nobody_attended",
        "    C --> [*]",
    ]


def test_mermaid_escapes_characters_that_would_break_a_label() -> None:
    lifecycle = Lifecycle(
        "probe",
        statuses=[Status("A", initial=True), Status("B", terminal=True)],
        transitions=[
            Transition(
                "go",
                "A",
                "B",
                guards=[when(lambda s, now: True, reason="", label="note: x; y")],
                timer=Timer.after_end(condition=lambda s, context: True),
            )
        ],
    )
    assert lifecycle.to_mermaid().splitlines()[2] == (
        "    A --> B: go at end if #lt;lambda#gt; [note#58; x#59; y]"
    )


def test_every_preset_diagram_in_the_docs_is_current() -> None:
    blocks = dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))
    assert sorted(blocks) == sorted(PRESETS)
    for name, diagram in blocks.items():
        expected = get_lifecycle(name).to_mermaid()
        assert diagram == expected, f"docs/lifecycle.md is stale for {name!r}; use:\n{expected}"


@pytest.mark.parametrize("name", list(PRESETS))
def test_diagram_edges_match_the_graph(name: str) -> None:
    lifecycle = get_lifecycle(name)
    arrows = [
        line.strip().split(": ")[0]
        for line in lifecycle.to_mermaid().splitlines()[2:]
        if "[*]" not in line
    ]
    assert arrows == [f"{s} --> {t.target}" for t in lifecycle.transitions for s in t.sources]
