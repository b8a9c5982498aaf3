"""Drawing a lifecycle as a Mermaid ``stateDiagram-v2`` (timers and guards as edge labels)."""

from __future__ import annotations

from collections.abc import Sequence

from sessionkit.lifecycle.definition import Status, Transition

__all__ = ["mermaid"]

# Mermaid ends a transition label at ":" and ";" and reads "<" as HTML; a lambda
# condition is labelled "<lambda>". Its entity codes keep such labels intact.
_MERMAID_ESCAPES = str.maketrans({":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;"})


def _mermaid_text(text: str) -> str:
    return text.translate(_MERMAID_ESCAPES)


def mermaid(
    initial: str, entry: str, transitions: Sequence[Transition], statuses: Sequence[Status]
) -> str:
    """Return the diagram: the start edges, one edge per (source, transition), the end edges.

    A value with a time enters ``entry``; when that differs from ``initial``
    it is drawn as a second start edge labelled ``scheduled``.
    """
    lines = ["stateDiagram-v2", f"    [*] --> {initial}"]
    if entry != initial:
        lines.append(f"    [*] --> {entry}: scheduled")
    lines.extend(
        f"    {source} --> {t.target}: {_mermaid_text(t.label())}"
        for t in transitions
        for source in t.sources
    )
    lines.extend(f"    {s.name} --> [*]" for s in statuses if s.terminal)
    return "\n".join(lines)
