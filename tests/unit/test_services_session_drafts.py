"""``SessionDraft``: a session created in the unit of work that books it.

The consulting rebuild's showcase makes a session for each client's booking.
Made in two units of work, a crash or a refused booking between them left a
PENDING session holding the consultant's hour with nobody in it. With a draft
in place of the session id, ``kit.bookings.book`` and ``kit.payments.book``
create the session and book it together, or write nothing. Each case runs on
the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.errors import (
    BookingRefused,
    IdempotencyKeyReused,
    InvalidTimeSpan,
    InvalidValue,
    NaiveDatetime,
    PaymentDeclined,
    PaymentRequired,
    SessionConflict,
    UnknownLifecycle,
    UnknownTimeZone,
    WrongType,
)
from sessionkit.model.booking import CONFIRMED, HELD
from sessionkit.model.money import Money
from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, FixedPrice
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionDraft, SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._store_support import STORES, StoreMaker

T = "naksha"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=2)
ASHA = ResourceRef("consultant", "asha")


def hour(hours: int = 0, **changes: object) -> SessionDraft:
    start = START + timedelta(hours=hours)
    values: dict[str, object] = {
        "start": start,
        "end": start + timedelta(hours=1),
        "resources": [ASHA],
        "lifecycle": "consulting",
        "title": "Consultation",
        "metadata": {"request": "web-1"},
    }
    values.update(changes)
    return SessionDraft(**values)  # type: ignore[arg-type]


class Desk:
    def __init__(self, store: StoreMaker, *, priced: bool = False):
        self.events = RecordingPublisher()
        self.clock = ManualClock(NOW)
        self.gateway = FakeGateway(clock=self.clock.now)
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=store(self.events),
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            booking_rules=BookingRules(when_emptied="cancel", min_notice=timedelta(hours=1)),
            gateway=self.gateway,
            pricing=FixedPrice(Money.of(2000, "INR")) if priced else None,
        )

    def sessions(self) -> list[tuple[str, str, str]]:
        page = self.kit.queries.list(T)
        return [(s.id, s.status, s.title) for s in page.items]

    def event_names(self) -> list[str]:
        return [type(event).__name__ for event in self.events.events]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_draft_is_created_and_booked_in_one_unit(store: StoreMaker) -> None:
    desk = Desk(store)
    booking = desk.kit.bookings.book(
        T, hour(), "client:ravi", actor="ravi", role="client", confirm=True, idempotency_key="r1"
    )
    session = desk.kit.queries.get(T, booking.session_id)
    assert (booking.status, booking.participant, booking.session_start) == (
        CONFIRMED,
        ResourceRef("client", "ravi"),
        START,
    )
    assert (session.title, session.resources, session.capacity, session.created_by) == (
        "Consultation",
        (ASHA,),
        1,
        "ravi",
    )
    assert session.metadata["request"] == "web-1"
    assert desk.event_names() == ["SessionCreated", "BookingConfirmed"]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_refused_booking_leaves_no_session(store: StoreMaker) -> None:
    desk = Desk(store)
    soon = SessionDraft(
        start=NOW + timedelta(minutes=30),
        end=NOW + timedelta(minutes=90),
        resources=[ASHA],
        lifecycle="consulting",
    )
    with pytest.raises(BookingRefused) as refused:
        desk.kit.bookings.book(T, soon, "client:ravi", actor="ravi")
    assert refused.value.rule == "min_notice"
    with pytest.raises(InvalidValue) as too_many:
        desk.kit.bookings.book(T, hour(), "client:ravi", actor="ravi", seats=2)
    # The drafted session went with the refusal: an id of it would lead nowhere.
    assert str(too_many.value) == "seats=2 is more than the capacity 1 of the drafted session"
    assert desk.sessions() == []
    assert desk.event_names() == []
    # The hour is free: nothing of the refused requests holds it.
    booking = desk.kit.bookings.book(T, hour(), "client:mia", actor="mia")
    assert booking.status == HELD


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_replay_returns_the_first_booking_and_makes_no_second_session(
    store: StoreMaker,
) -> None:
    desk = Desk(store)
    first = desk.kit.bookings.book(T, hour(), "client:ravi", actor="ravi", idempotency_key="r1")
    again = desk.kit.bookings.book(T, hour(), "client:ravi", actor="ravi", idempotency_key="r1")
    assert again == first
    assert [sid for sid, _, _ in desk.sessions()] == [first.session_id]
    with pytest.raises(IdempotencyKeyReused) as reused:
        desk.kit.bookings.book(T, hour(1), "client:ravi", actor="ravi", idempotency_key="r1")
    assert reused.value.booking_id == first.id
    with pytest.raises(IdempotencyKeyReused):  # a session id is another request than a draft
        desk.kit.bookings.book(
            T, first.session_id, "client:ravi", actor="ravi", idempotency_key="r1"
        )
    assert len(desk.sessions()) == 1


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_taken_hour_is_a_conflict_and_writes_nothing(store: StoreMaker) -> None:
    desk = Desk(store)
    taken = desk.kit.bookings.book(T, hour(), "client:ravi", actor="ravi", idempotency_key="r1")
    with pytest.raises(SessionConflict) as conflict:
        desk.kit.bookings.book(
            T, hour(title="Other"), "client:mia", actor="mia", idempotency_key="m1"
        )
    assert [s.id for s in conflict.value.conflicts] == [taken.session_id]
    assert [title for _, _, title in desk.sessions()] == ["Consultation"]
    assert desk.kit.bookings.for_participant(T, ResourceRef("client", "mia")) == []


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_paid_draft_is_held_with_its_payment_and_a_decline_frees_the_hour(
    store: StoreMaker,
) -> None:
    desk = Desk(store, priced=True)
    checkout = desk.kit.payments.book(
        T, hour(), "client:ravi", actor="ravi", role="client", idempotency_key="r1"
    )
    assert (checkout.booking.status, checkout.payment.status, str(checkout.payment.amount)) == (
        HELD,
        "PENDING",
        "2000.00 INR",
    )
    assert checkout.payment.session_id == checkout.booking.session_id
    desk.gateway.decline_next("card_declined")
    with pytest.raises(PaymentDeclined):
        desk.kit.payments.book(
            T, hour(2), "client:vik", actor="vik", role="client", idempotency_key="v1"
        )
    replay = desk.kit.payments.book(
        T, hour(2), "client:vik", actor="vik", role="client", idempotency_key="v1"
    )
    assert replay.payment.status == "FAILED"
    statuses = {sid: status for sid, status, _ in desk.sessions()}
    assert statuses == {
        checkout.booking.session_id: "PENDING",
        replay.booking.session_id: "CANCELLED",
    }
    # The declined hour is free again: another client takes it.
    other = desk.kit.payments.book(T, hour(2), "client:mia", actor="mia", role="client")
    assert other.booking.status == HELD


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("confirm", [False, True], ids=["held", "confirmed"])
def test_a_priced_draft_booked_without_paying_names_no_session(
    store: StoreMaker, confirm: bool
) -> None:
    desk = Desk(store, priced=True)
    with pytest.raises(PaymentRequired) as refused:
        desk.kit.bookings.book(T, hour(), "client:ravi", actor="ravi", confirm=confirm)
    # The drafted session went with the refusal: an id of it would lead nowhere.
    assert (refused.value.session_id, refused.value.booking_id, refused.value.status) == (
        None,
        None,
        "missing",
    )
    assert str(refused.value).startswith("the drafted session is priced: a seat in it is taken")
    assert desk.sessions() == []


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_draft_without_a_known_lifecycle_writes_nothing(store: StoreMaker) -> None:
    desk = Desk(store)
    with pytest.raises(UnknownLifecycle):
        desk.kit.bookings.book(T, hour(lifecycle="nope"), "client:ravi", actor="ravi")
    with pytest.raises(InvalidValue, match="needs a lifecycle name"):
        desk.kit.bookings.book(T, hour(lifecycle=None), "client:ravi", actor="ravi")
    assert desk.sessions() == []


def test_a_draft_is_checked_when_made() -> None:
    with pytest.raises(NaiveDatetime):
        SessionDraft(start=datetime(2026, 3, 4, 9), end=START, lifecycle="lms")
    with pytest.raises(InvalidTimeSpan):
        SessionDraft(start=START, end=START, lifecycle="lms")
    with pytest.raises(UnknownTimeZone):
        hour(tz="Mars/Olympus")
    with pytest.raises(InvalidValue, match="kept by sessionkit"):
        hour(metadata={"sealed_at": "x"})
    with pytest.raises(WrongType):
        hour(resources=42)
    with pytest.raises(InvalidValue):
        hour(session_id="")
    with pytest.raises(WrongType):
        hour(capacity="two")
    with pytest.raises(InvalidValue, match="capacity must be a positive integer"):
        hour(capacity=0)
    with pytest.raises(WrongType):
        hour(lifecycle=5)
    draft = hour(tz="Asia/Kolkata", resources=["consultant:asha", ASHA])
    assert (draft.tz, draft.resources) == ("Asia/Kolkata", (ASHA,))
    # An empty zone is no zone: refused naming it, where it was stored as UTC unasked.
    with pytest.raises(UnknownTimeZone) as empty:
        hour(tz="")
    assert (empty.value.value, empty.value.name) == ("", "")
    assert hour().tz is None  # the default: the series' zone, else UTC


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_an_empty_zone_is_refused_for_a_series_session_too(store: StoreMaker) -> None:
    desk = Desk(store)
    every_monday = Recurrence.weekly(
        days=("MO",),
        at=time(9),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 9),
    )
    series, _ = desk.kit.series.create(
        T,
        actor="asha",
        title="Mentoring",
        items=[ScheduleItem("mo", every_monday, [ASHA])],
        lifecycle="consulting",
    )
    start = datetime(2026, 3, 5, 9, tzinfo=UTC)

    def extra(tz: str | None, hours: int) -> Session:
        return desk.kit.sessions.create_extra(
            T,
            actor="asha",
            series_id=series.id,
            start=start + timedelta(hours=hours),
            end=start + timedelta(hours=hours, minutes=30),
            tz=tz,
        )

    with pytest.raises(UnknownTimeZone, match="unknown time zone ''") as empty:
        extra("", 0)
    assert empty.value.value == ""
    made = extra(None, 1)
    assert (made.tz, made.title) == ("Europe/Berlin", "Mentoring")
    # Without a series, the default is UTC; an empty zone is refused the same way.
    assert (
        desk.kit.sessions.create_extra(
            T, actor="asha", start=start, end=start + timedelta(hours=1), lifecycle="lms"
        ).tz
        == "UTC"
    )
    with pytest.raises(UnknownTimeZone):
        desk.kit.sessions.create_extra(
            T, actor="asha", start=start, end=start + timedelta(hours=1), lifecycle="lms", tz=""
        )
