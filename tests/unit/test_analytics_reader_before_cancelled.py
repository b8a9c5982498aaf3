"""An analytics reader of its own written before ``attendance_totals`` took ``cancelled=``.

``kit.analytics.attendance`` passed ``cancelled=`` (the ``(lifecycle, status)``
pairs its lifecycles mark cancelled, 4da8b5b6) even when there were none, so
such a reader failed with a ``TypeError`` for a kit whose lifecycles cancel
nothing, where the keyword changes no figure. It is passed only when it says
something; a kit that has cancelled statuses still needs a reader that takes
it, and fails loudly rather than count a cancelled session's bookings.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from sessionkit.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from sessionkit.lifecycle import PRESETS, Lifecycle, LifecycleRegistry, Status, Transition
from sessionkit.model.analytics import CountBy
from sessionkit.model.analytics_use import AttendanceTotal
from sessionkit.model.query import SessionQuery
from sessionkit.ports import ANALYTICS, AnalyticsReader, Kind, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)

# Nothing in this lifecycle is a cancellation.
CLUB = Lifecycle(
    name="club",
    statuses=[
        Status("OPEN", initial=True, editable=True, busy=True),
        Status("DONE", terminal=True, busy=True),
    ],
    transitions=[Transition("done", "OPEN", "DONE")],
)


class _OldReader:
    """The store's reader behind ``attendance_totals`` as it was before ``cancelled=``."""

    def __init__(self, inner: AnalyticsReader) -> None:
        self._inner = inner

    def attendance_totals(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        booked_statuses: Collection[str],
        attendee_kinds: Collection[str] = (),
    ) -> list[AttendanceTotal]:
        return self._inner.attendance_totals(
            tenant,
            scope,
            by=by,
            booked_statuses=booked_statuses,
            attendee_kinds=attendee_kinds,
        )


class _OldUnit(InMemoryUnitOfWork):
    """A unit of work of someone else's adapter, whose analytics reader is :class:`_OldReader`."""

    def repository(self, kind: Kind[Any]) -> Any:
        found = super().repository(kind)
        return _OldReader(found) if kind is ANALYTICS else found


def _kit(lifecycles: LifecycleRegistry, lifecycle: str) -> SessionKit:
    """A kit on an old reader: ana booked in a lesson a day ago, never there."""
    store = InMemoryStore()
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(
        uow=cast("UnitOfWorkFactory", lambda: _OldUnit(store)), clock=clock, lifecycles=lifecycles
    )
    lesson = kit.sessions.create_extra(
        T, actor="t", start=START, end=START + timedelta(hours=1), lifecycle=lifecycle, capacity=2
    )
    kit.bookings.book(T, lesson.id, "student:ana", actor="admin", confirm=True)
    clock.set(START + timedelta(hours=2))
    return kit


def test_a_kit_whose_lifecycles_cancel_nothing_reads_through_an_old_reader() -> None:
    kit = _kit(LifecycleRegistry([CLUB]), "club")
    row = kit.analytics.attendance(T).get()
    assert (row.records, row.absent, row.pending) == (1, 1, 0)


def test_a_kit_with_cancelled_statuses_needs_a_reader_that_takes_them() -> None:
    kit = _kit(PRESETS, "academy")
    with pytest.raises(TypeError, match="cancelled"):
        kit.analytics.attendance(T)
