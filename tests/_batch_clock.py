"""A fake monotonic clock for ``--budget`` tests: each batch a tick reports takes 10 seconds."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from sessionkit.services import SessionKit, TickReport


class Seconds:
    """A fake monotonic clock that each committed batch moves on by 10 seconds."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def batch_clock(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> Seconds:
    """``module``'s ``_monotonic`` made a :class:`Seconds`, moved on by each batch reported."""
    clock = Seconds()
    monkeypatch.setattr(module, "_monotonic", clock)
    ticking = SessionKit.tick

    def tick(self: SessionKit, *args: Any, **kwargs: Any) -> TickReport:
        said: Callable[[TickReport], None] | None = kwargs.get("progress")

        def progress(report: TickReport) -> None:
            clock.now += 10  # a batch took 10 s
            if said is not None:
                said(report)

        kwargs["progress"] = progress
        return ticking(self, *args, **kwargs)

    monkeypatch.setattr(SessionKit, "tick", tick)
    return clock
