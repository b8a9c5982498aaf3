"""What a newcomer found using bookings and the marketplace as an app developer would.

Each test pins one thing the docs (README.md, docs/marketplace.md,
docs/availability.md) promised and the code did not do: a demo rerun at the
same instant given with another offset, the argument a bad ``seats`` names,
and ``free_slots``' horizon against ``BookingRules``'. The cancels' event
order it found is pinned in tests/integration/test_event_order_edges.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.availability import Availability, free_slots
from sessionkit.demo import marketplace_story
from sessionkit.demo.marketplace import DEMO_NOW, TENANT
from sessionkit.errors import InvalidValue
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_marketplace_demo_says_now_in_utc_for_a_now_given_with_an_offset() -> None:
    # 08:00 at +01:00 is the demo's default instant, 07:00 UTC (Berlin's 08:00).
    berlin_winter = timezone(timedelta(hours=1))
    report = marketplace_story.play(datetime(2026, 3, 2, 8, tzinfo=berlin_winter))
    assert report.splitlines()[0].endswith("now is Mon 2026-03-02 07:00 UTC"), report[:120]


def _bookings_stored(store: InMemoryStore) -> int:
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(DEMO_NOW))
    return sum(len(kit.bookings.for_session(TENANT, s.id)) for s in kit.queries.each(TENANT))


def test_a_marketplace_rerun_at_the_same_instant_with_another_offset_writes_nothing_twice() -> None:
    # docs/marketplace.md: "a rerun at the same --now writes nothing twice and prints the same
    # figures". 07:00Z and 08:00+01:00 are one instant (python -m sessionkit demo marketplace
    # --now 2026-03-02T08:00+01:00 on the database a default run made shows the same).
    store = InMemoryStore()
    marketplace_story.play(DEMO_NOW, uow=store.unit_of_work)
    first = _bookings_stored(store)
    again = marketplace_story.play(
        DEMO_NOW.astimezone(timezone(timedelta(hours=1))), uow=store.unit_of_work
    )
    assert _bookings_stored(store) == first
    assert "already played at this --now" in again


def _harness() -> Harness:
    return Harness.in_memory(NOW, booking_rules=BookingRules(waitlist=True))


@pytest.mark.parametrize("seats", [0, -1, 3])
def test_a_bad_seats_value_names_the_argument_as_a_field(seats: int) -> None:
    h = _harness()
    group = h.kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
        capacity=2,
    )
    with pytest.raises(InvalidValue) as refused:
        h.kit.bookings.book(T, group.id, "student:ana", actor="ana", seats=seats)
    # The value and what was expected are there; which argument it was is only in the text,
    # so an app (or the problem+json body) cannot attach the error to its field.
    assert refused.value.value == seats
    assert getattr(refused.value, "name", None) == "seats"


def test_free_slots_offers_the_start_the_booking_rules_horizon_allows() -> None:
    horizon = timedelta(weeks=4)
    at_horizon = NOW + horizon
    h = Harness.in_memory(NOW, booking_rules=BookingRules(max_horizon=horizon))
    slot = h.kit.sessions.create_extra(
        T,
        actor="tina",
        title="Last bookable",
        start=at_horizon,
        end=at_horizon + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
    )
    # The kit takes a booking of a session starting exactly max_horizon ahead, and lists it.
    assert h.kit.bookings.can_book(T, slot.id, "student:ana") is None
    listed = h.kit.bookings.bookable(T, start=NOW, end=at_horizon + timedelta(hours=1))
    assert [b.session_id for b in listed] == [slot.id]
    # docs/availability.md: "the tutoring rules ... at most four weeks ahead, that is
    # now=now, horizon=timedelta(weeks=4)". The same start is not offered as a slot.
    slots = free_slots(
        Availability.always(tz="Europe/Berlin"),
        [],
        window=(at_horizon - timedelta(hours=1), at_horizon + timedelta(hours=1)),
        duration=timedelta(hours=1),
        now=NOW,
        horizon=horizon,
    )
    assert at_horizon in [s.start for s in slots]
