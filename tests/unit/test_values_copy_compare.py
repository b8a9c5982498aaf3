"""Public values as an application uses them beyond sessionkit's calls.

A Django or Redis cache and a job engine pickle them, a test compares them,
``copy.deepcopy`` copies them: each value the services hand out survives a
pickle round trip and a (deep) copy equal to itself, hashes as its copy does
when it hashes at all (``TypeError: unhashable`` otherwise, never a hash by
identity).
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sessionkit import (
    Availability,
    SessionKit,
    TimeSpan,
    TransitionContext,
    get_lifecycle,
    parse_rule,
)
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.ical import read_ical, store_ical
from sessionkit.model import ResourceRef, ScheduleItem, SessionQuery
from sessionkit.model.money import Money
from sessionkit.model.records import SCHEMAS, SESSION
from sessionkit.policies import BookingRules, RefundPolicy, RefundTier, coaching_notice
from sessionkit.recurrence import Recurrence
from sessionkit.services import SeriesSpec
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.contract import T0, seed_analytics, seed_analytics_use

from ._ical_support import event, ics

NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
FIELDS = {"platform": "zoom", "notes": {"b": [1, 2.5, None], "a": "ü"}}


def _weekly(day: str, hour: int, tz: str) -> Recurrence:
    return Recurrence.weekly(
        days=(day,), at=time(hour), duration=timedelta(minutes=90), tz=tz, start=date(2026, 2, 1)
    )


def _service_values() -> Iterator[object]:
    events = RecordingPublisher()
    kit = SessionKit(uow=InMemoryStore(publisher=events).unit_of_work, clock=ManualClock(NOW))
    ana = ResourceRef("teacher", "ana")
    series, made = kit.series.create(
        "acme",
        actor="admin",
        title="Chemistry",
        items=[ScheduleItem("mo", _weekly("MO", 18, "Europe/Berlin"), [ana, "room:lab"])],
        metadata=FIELDS,
        group="g",
    )
    _, clash = kit.series.create(
        "acme",
        actor="admin",
        title="Physics",
        items=[ScheduleItem("mo", _weekly("MO", 18, "Europe/Berlin"), [ana])],
    )
    extra = kit.sessions.create_extra(
        "acme",
        actor="admin",
        title="Revision",
        start=NOW + timedelta(days=4),
        end=NOW + timedelta(days=4, hours=1),
        lifecycle="lms",
        capacity=3,
        metadata=FIELDS,
    )
    booking = kit.bookings.book("acme", extra.id, "student:ben", actor=None, metadata=FIELDS)
    kit.sessions.fire("acme", made.created[0].id, "start", actor="ana")
    change = kit.series.change_schedule(
        "acme",
        series.id,
        actor="admin",
        items=[ScheduleItem("tu", _weekly("TU", 10, "America/New_York"), [ana])],
    )
    spec = SeriesSpec(
        title="Bio", items=[ScheduleItem("fr", _weekly("FR", 9, "Asia/Kolkata"), ["room:b"])]
    )
    yield from (series, made, clash, clash.skipped[0], extra, booking, change, spec)
    yield kit.queries.list("acme", SessionQuery(resources=[ana], limit=5))
    yield kit.bookings.bookable("acme", start=NOW, end=NOW + timedelta(days=7))
    yield kit.series.close("acme", series.id, actor="admin")
    yield kit.top_up(actor="job")
    yield kit.advance_due("acme", actor="job")
    yield kit.tick(actor="job")
    kit.sessions.set_fields("acme", extra.id, actor="admin", set={"platform": "teams"})
    yield from {type(e): e for e in events.events}.values()  # one event of each kind


def _analytics_values() -> Iterator[object]:
    clock = ManualClock(T0 + timedelta(hours=100))
    money, lessons = InMemoryStore(), InMemoryStore()
    seed_analytics(money.unit_of_work)
    seed_analytics_use(lessons.unit_of_work)
    kit = SessionKit(uow=money.unit_of_work, clock=clock)
    yield kit.analytics.counts("acme", by="resource")
    yield kit.analytics.rates("acme", by="kind")
    yield kit.analytics.revenue("acme", by="provider")
    yield kit.analytics.progress("acme", SessionQuery(resources=["teacher:ana"]))
    yield kit.analytics.clients("acme")
    academy = SessionKit(uow=lessons.unit_of_work, clock=clock)
    yield academy.analytics.attendance("acme", by="participant")
    yield academy.analytics.usage("acme", by="period")


def _core_values() -> Iterator[object]:
    berlin = ZoneInfo("Europe/Berlin")
    open_hours = Availability.weekly({"MO": [(time(9), time(12))]}, tz=berlin)
    yield open_hours.with_blocked_date(date(2026, 3, 9)).with_recurrences(_weekly("TU", 9, "UTC"))
    yield TimeSpan(datetime(2026, 3, 29, 1, tzinfo=berlin), datetime(2026, 3, 29, 4, tzinfo=berlin))
    yield parse_rule("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231T000000Z")
    yield RefundPolicy(
        tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50)),
        no_show_fee=Money.of(5, "EUR"),
    )
    yield BookingRules(zone="America/New_York", max_horizon=timedelta(days=30), waitlist=True)
    yield coaching_notice()
    yield get_lifecycle("coaching")
    yield from (*SCHEMAS.values(), SESSION.column("start"))
    yield TransitionContext(now=NOW, facts={"attended": False}, lifecycle="coaching")
    calendar = read_ical(
        ics(
            *event(
                "UID:choir@example.com",
                "SUMMARY:Choir",
                "DTSTART;TZID=Europe/Berlin:20260302T180000",
                "DTEND;TZID=Europe/Berlin:20260302T190000",
                "RRULE:FREQ=WEEKLY;COUNT=4",
            ),
            *event(
                "UID:choir@example.com",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260309T180000",
                "DTSTART;TZID=Europe/Berlin:20260310T180000",
                "DTEND;TZID=Europe/Berlin:20260310T190000",
            ),
            *event("UID:one", "SUMMARY:Talk", "DTSTART:20260320T100000Z", "DURATION:PT1H"),
        )
    )
    events = RecordingPublisher()
    kit = SessionKit(uow=InMemoryStore(publisher=events).unit_of_work, clock=ManualClock(NOW))
    yield from (calendar, *calendar.series, *calendar.events, *calendar.occurrences())
    yield store_ical(kit, "acme", calendar, actor="import", resources=["room:hall"])
    yield from events.events[-3:]


def _values() -> list[Any]:
    return [*_core_values(), *_service_values(), *_analytics_values()]


VALUES = _values()


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_value_pickles_and_copies_equal_to_itself(value: object) -> None:
    again = pickle.loads(pickle.dumps(value))
    assert type(again) is type(value)
    assert again == value
    assert copy.copy(value) == value
    assert copy.deepcopy(value) == value


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_value_hashes_as_its_copies_do_or_says_it_cannot(value: object) -> None:
    assert type(value).__hash__ is not object.__hash__  # never a hash by identity
    try:
        expected = hash(value)
    except TypeError:
        with pytest.raises(TypeError, match="unhashable"):
            hash(value)
        return
    assert hash(pickle.loads(pickle.dumps(value))) == expected
    assert hash(copy.deepcopy(value)) == expected
