"""Queries: get, filtered pages with cursors, agendas, and tenancy."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import SeriesNotFound, SessionNotFound, UnknownStatus
from sessionkit.model import ResourceRef, ScheduleItem, SessionQuery, WindowPolicy
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")


@pytest.fixture
def kit() -> SessionKit:
    counter = itertools.count(1)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        ids=lambda: f"id{next(counter):03}",
    )
    for title, day, teacher in (("Chem", "MO", ANA), ("Bio", "TU", BEN), ("Chem B", "WE", ANA)):
        rec = Recurrence.weekly(
            days=(day,), at=time(10), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
        )
        kit.series.create(
            T,
            actor="u1",
            title=title,
            items=[ScheduleItem(day.lower(), rec, [teacher])],
            window=WindowPolicy(initial_months=1),
        )
    return kit


def test_list_filters_sorts_and_pages(kit: SessionKit) -> None:
    everything = kit.queries.list(T)
    assert everything.total == 15
    chem = kit.queries.list(T, SessionQuery(search="chem", limit=5))
    assert (chem.total, len(chem.items), chem.pages) == (10, 5, 2)
    assert all("Chem" in s.title for s in chem.items)
    rest = kit.queries.list(T, SessionQuery(search="chem", limit=5, after=chem.next_cursor))
    assert len(rest.items) == 5
    assert rest.next_cursor is None
    assert {s.id for s in chem.items}.isdisjoint(s.id for s in rest.items)
    ben = kit.queries.list(T, SessionQuery(resources=[BEN], sort="start", descending=True))
    assert ben.total == 5
    assert [s.start for s in ben.items] == sorted((s.start for s in ben.items), reverse=True)


def test_agenda_lists_a_resources_week_in_order(kit: SessionKit) -> None:
    week = kit.queries.agenda(
        T,
        "teacher:ana",
        start=datetime(2026, 3, 9, tzinfo=UTC),
        end=datetime(2026, 3, 16, tzinfo=UTC),
    )
    assert [(s.title, s.start.day) for s in week] == [("Chem", 9), ("Chem B", 11)]
    first = week[0]
    kit.sessions.cancel(T, first.id, actor="u1")
    busy_only = kit.queries.agenda(
        T,
        ANA,
        start=datetime(2026, 3, 9, tzinfo=UTC),
        end=datetime(2026, 3, 16, tzinfo=UTC),
        statuses=("SCHEDULED",),
    )
    assert [s.title for s in busy_only] == ["Chem B"]


def test_agenda_reads_past_one_page(kit: SessionKit) -> None:
    for n in range(1001):
        start = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=n)
        kit.sessions.create_extra(
            T,
            actor="u1",
            start=start,
            end=start + timedelta(minutes=30),
            resources=[BEN],
            lifecycle="lms",
        )
    found = kit.queries.agenda(
        T, BEN, start=datetime(2027, 1, 1, tzinfo=UTC), end=datetime(2028, 1, 1, tzinfo=UTC)
    )
    assert len(found) == 1001


def test_reads_are_scoped_to_the_tenant(kit: SessionKit) -> None:
    some = kit.queries.list(T, SessionQuery(limit=1)).items[0]
    assert kit.queries.list("other").total == 0
    with pytest.raises(SessionNotFound):
        kit.queries.get("other", some.id)
    assert some.series_id is not None
    with pytest.raises(SeriesNotFound):
        kit.queries.get_series("other", some.series_id)
    assert kit.queries.agenda("other", ANA, start=NOW, end=NOW + timedelta(weeks=9)) == ()


@pytest.mark.parametrize("status", ["scheduled", "CANCELLED ", "PAID?", "NOPE"])
def test_a_status_no_lifecycle_has_is_refused_not_matched_by_nothing(
    kit: SessionKit, status: str
) -> None:
    # "scheduled" for "SCHEDULED" found no session and said nothing.
    with pytest.raises(UnknownStatus) as listing:
        kit.queries.list(T, SessionQuery(statuses=["SCHEDULED", status]))
    assert listing.value.value == status
    assert "SCHEDULED" in listing.value.expected
    with pytest.raises(UnknownStatus):
        kit.queries.agenda(T, ANA, start=NOW, end=NOW + timedelta(days=7), statuses=(status,))


def test_a_status_of_any_of_the_kit_s_lifecycles_filters(kit: SessionKit) -> None:
    assert kit.queries.list(T, SessionQuery(statuses=["SCHEDULED"])).total == 15
    # The academy's CANCELLED and the lms' CANCELED are both known; no session has either.
    assert kit.queries.list(T, SessionQuery(statuses=["CANCELLED", "CANCELED"])).total == 0
    week = kit.queries.agenda(
        T, ANA, start=NOW, end=NOW + timedelta(days=7), statuses=("SCHEDULED",)
    )
    assert len(week) == 2
