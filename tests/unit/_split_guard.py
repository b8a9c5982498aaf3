"""What the split-guard tests share: what a pickle names, a split module's row, its test id.

``test_split_names*.py`` hold split modules to what they exported before the
split. :class:`Split` is one row of the parametrized table in
``test_split_names.py``; the ``*_values`` builders make values of the classes
the second round of splits moved, for that table and for the tests of
``test_split_names_model2.py``.
"""

from __future__ import annotations

import pickle
import pickletools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _pickled_globals(value: object) -> list[tuple[str, str]]:
    """The ``(module, name)`` of each class and function a pickle of ``value`` names."""
    found: list[tuple[str, str]] = []
    for op, arg, _ in pickletools.genops(pickle.dumps(value, protocol=2)):
        if op.name == "GLOBAL":
            module, _, name = str(arg).partition(" ")
            found.append((module, name))
    return found


def pickled_names(value: object) -> set[str]:
    """The modules a pickle of ``value`` names (its classes' and functions' paths)."""
    return {module for module, _ in _pickled_globals(value)}


def pickled_paths(value: object) -> set[str]:
    """The ``module.name`` paths a pickle of ``value`` names."""
    return {f"{module}.{name}" for module, name in _pickled_globals(value)}


@dataclass(frozen=True)
class Split:
    """A public module whose definitions moved into private ones beside it."""

    module: str
    moved: str
    """Names defined in a private module now (space-separated), each shown as the public one's."""
    values: Callable[[ModuleType], list[Any]] | None = None
    """Values of the moved classes, which pickle naming the public module only."""
    exported: str | None = None
    """The module's ``__all__`` before the split, space-separated (``""``: it had none;
    ``None``: the table does not check it)."""
    hinted: bool = False
    """Whether each moved name also has type hints, which resolve in the public module."""


def split_id(split: Split) -> str:
    """The test id of ``split``: its module, less the ``sessionkit.`` prefix."""
    return split.module.removeprefix("sessionkit.")


def query_values(query: ModuleType) -> list[Any]:
    """A cursor of ``sessionkit.model.query``."""
    return [query.Cursor((("start", "asc"),), (AT,), "s1")]


def records_values(records: ModuleType) -> list[Any]:
    """A column's values of ``sessionkit.model.records``."""
    return [records.Values("n", "int", False, [1, 2])]


def analytics_values(analytics: ModuleType) -> list[Any]:
    """One row of each kind ``sessionkit.model.analytics`` moved."""
    return [
        analytics.StatusCount("teacher:ana", "DONE", 2),
        analytics.KeyCount(None, 3),
        analytics.TimingCount("DONE", True, 1),
        analytics.PaymentTotal(
            None, "EUR", "PAID", 2, Decimal("60.00"), Decimal("10.00"), Decimal(0)
        ),
        analytics.ClientBookings("student:ana", 2, 2, AT, AT + timedelta(days=7), no_shows=1),
    ]


def payments_values(payments: ModuleType) -> list[Any]:
    """An intent of ``sessionkit.testing.payments``' fake gateway."""
    from sessionkit.model.money import Money

    return [payments.FakeIntent("pi_1", Money.of(60, "EUR"), {"payment_id": "p1"})]


def rooms_values(rooms: ModuleType) -> list[Any]:
    """A room of ``sessionkit.testing.rooms``' fake meeting rooms."""
    from sessionkit.ports import Room
    from sessionkit.timespan import TimeSpan

    room = Room(ref="r1", tenant="acme", session_id="s1")
    return [rooms.FakeRoom(room, TimeSpan(AT, AT + timedelta(hours=1)))]
