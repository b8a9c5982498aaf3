"""A value that cannot be printed is still refused with a SessionKitError naming it.

Messages echoed the bad value with a raw ``repr``/``str``: a list nested 5,000
deep (what ``hostile.metadata()`` draws) raised ``RecursionError`` while the
message was built, and an int of 5,000 digits (past Python's limit for
turning ints into text) ``ValueError``. They go through ``shown`` now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sessionkit.availability import Availability
from sessionkit.errors import IdempotencyKeyReused, SessionKitError
from sessionkit.errors._base import shown
from sessionkit.model import SessionQuery
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, NoticePolicy, NoticeWindow, Rate, RefundTier
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _deep(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return {"deep": value}


DEEP: Any = _deep(5000)
HUGE: Any = 10**5000
Call = Callable[[SessionKit, str], object]

COMMANDS: dict[str, Call] = {
    "create_extra(tz=DEEP)": lambda k, _s: k.sessions.create_extra(
        "acme",
        actor="u",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=1),
        lifecycle="lms",
        tz=DEEP,
    ),
    "subscribe(per=DEEP)": lambda k, _s: k.usage.subscribe(
        "acme",
        actor="u",
        subscriber="student:bo",
        credits=4,
        starts=NOW,
        per=DEEP,
    ),
    "progress(total=DEEP)": lambda k, _s: k.analytics.progress(
        "acme",
        SessionQuery(),
        total=DEEP,
    ),
    "override(status=DEEP)": lambda k, s: k.attendance.override(
        "acme",
        s,
        "student:ana",
        status=DEEP,
        actor="t",
    ),
    "book(seats=HUGE)": lambda k, s: k.bookings.book(
        "acme", s, "student:ana", actor="u", seats=HUGE
    ),
    "agenda(days=HUGE)": lambda k, _s: k.bookings.agenda("acme", "student:ana", days=HUGE),
    "expire_holds(limit=HUGE)": lambda k, _s: k.expire_holds("acme", limit=HUGE),
    "update(expected_version=HUGE)": lambda k, s: k.sessions.update(
        "acme", s, actor="u", title="x", expected_version=HUGE
    ),
    "subscribe(credits=HUGE)": lambda k, _s: k.usage.subscribe(
        "acme", actor="u", subscriber="student:bo", credits=HUGE, starts=NOW
    ),
}

VALUES: dict[str, Callable[[], object]] = {
    "Availability.always(tz=DEEP)": lambda: Availability.always(tz=DEEP),
    "Availability.always(tz=HUGE)": lambda: Availability.always(tz=HUGE),
    "NoticePolicy(min_lead=DEEP)": lambda: NoticePolicy(min_lead=DEEP),
    "NoticePolicy(reason_length=HUGE)": lambda: NoticePolicy(reason_length=(HUGE, 1)),
    "RefundTier(notice=DEEP)": lambda: RefundTier(DEEP, Decimal(50)),
    "BookingRules(offer_for=HUGE)": lambda: BookingRules(offer_for=HUGE),
    "Rate(per=HUGE)": lambda: Rate(Money.of(40, "EUR"), per=HUGE),
    "Money.of(HUGE)": lambda: Money.of(HUGE, "EUR"),
    "SessionQuery(limit=HUGE)": lambda: SessionQuery(limit=HUGE),
    "NoticeWindow(action=HUGE)": lambda: NoticeWindow(HUGE, timedelta(hours=1), {"host"}),
    "Recurrence.weekly(interval=HUGE)": lambda: Recurrence.weekly(
        ["MO"],
        at=time(9),
        duration=timedelta(hours=1),
        tz="UTC",
        start=date(2026, 3, 2),
        interval=HUGE,
    ),
}


@pytest.mark.parametrize("call", list(COMMANDS.values()), ids=list(COMMANDS))
def test_a_command_refuses_an_unprintable_value_and_writes_nothing(call: Call) -> None:
    h = Harness.in_memory(NOW)
    session = h.kit.sessions.create_extra(
        "acme",
        actor="u",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        lifecycle="lms",
        capacity=3,
    )
    published = len(h.events.events)
    with pytest.raises(SessionKitError) as caught:
        call(h.kit, session.id)
    assert str(caught.value)
    assert len(h.events.events) == published
    assert [s.id for s in h.kit.queries.list("acme").items] == [session.id]


@pytest.mark.parametrize("make", list(VALUES.values()), ids=list(VALUES))
def test_a_value_refuses_an_unprintable_argument(make: Callable[[], object]) -> None:
    with pytest.raises(SessionKitError) as caught:
        make()
    assert str(caught.value)


def test_long_keys_and_paths_are_shown_whole_and_only_giants_cut() -> None:
    # The first cut of this change kept 132 characters: a 148-character folder a save
    # must be told to create, or a 174-character idempotency key, lost their middles.
    # Now 300: a 255-character key (the longest taken) is whole.
    folder = "/srv/reports/" + "/".join(f"part-{n:02d}" for n in range(17))
    assert len(folder) >= 148
    assert shown(folder) == repr(folder)
    key = "order-" + "x" * 249
    refused = IdempotencyKeyReused(key, "s2")
    assert key in str(refused)
    giant = "y" * 10_000_000
    assert len(shown(giant)) <= 300
    assert shown(list(range(50))) == repr(list(range(50)))
