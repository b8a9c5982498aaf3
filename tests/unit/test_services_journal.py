"""The journal: an entry per change, written in the unit of work of the change.

The coaching seed asks for an audit trail ("all session state changes
tracked", who did what when, the reasons for reschedules and cancellations).
sessionkit published events after each commit but kept none: a host had to
store them itself, after the commit, so a crash in between lost them. A kit
built with ``journal=True`` writes the entries before it commits. Each case
runs on the in-memory store and on SQLite.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

import sessionkit
from sessionkit.errors import (
    CapacityExceeded,
    InvalidValue,
    InvalidWindow,
    NaiveDatetime,
    SessionConflict,
    WrongType,
)
from sessionkit.lifecycle import Lifecycle, Status, Transition
from sessionkit.lifecycle.presets import PRESETS
from sessionkit.model.events import DomainEvent
from sessionkit.model.journal import SUBJECTS, JournalEntry
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef
from sessionkit.policies import FixedPrice, RefundPolicy
from sessionkit.services import SessionDraft, SessionKit
from sessionkit.services._journal_entries import KEPT, _about
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._store_support import STORES, StoreMaker

T = "skileez"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=3)
LEO = ResourceRef("coach", "leo")


class Desk:
    def __init__(self, store: StoreMaker, *, journal: bool = True, priced: bool = False):
        self.clock = ManualClock(NOW)
        self.gateway = FakeGateway(clock=self.clock.now)
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=store(RecordingPublisher()),
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            gateway=self.gateway,
            pricing=FixedPrice(Money.of(40, "EUR")) if priced else None,
            refunds=RefundPolicy(),
            journal=journal,
        )

    def lesson(self, hours: int = 0, capacity: int = 1) -> str:
        start = START + timedelta(hours=hours)
        return self.kit.sessions.create_extra(
            T,
            actor="leo",
            start=start,
            end=start + timedelta(hours=1),
            resources=[LEO],
            lifecycle="coaching",
            capacity=capacity,
            title="German",
        ).id

    def rows(self, session_id: str) -> list[tuple[object, ...]]:
        return [
            (e.event, e.subject, e.actor, e.role, e.previous, e.status, e.transition, e.reason)
            for e in self.kit.journal.for_session(T, session_id)
        ]


ON_STORES = pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())


@ON_STORES
def test_a_sessions_history_says_who_did_what_when_and_why(store: StoreMaker) -> None:
    desk = Desk(store)
    kit = desk.kit
    s = desk.lesson(capacity=2)
    kit.sessions.update(T, s, actor="leo", title="German B1")
    booking = kit.bookings.book(T, s, "student:mia", actor="mia", confirm=True)
    request = kit.reschedules.request(
        T,
        s,
        role="student",
        actor="mia",
        reason="I have an exam that morning",
        proposed_start=START + timedelta(days=1),
    )
    kit.reschedules.decline(T, request.id, role="coach", actor="leo")
    kit.bookings.cancel(T, booking.id, actor="mia", reason="sick")
    desk.clock.set(START + timedelta(hours=1))
    kit.sessions.fire(T, s, "complete", actor="leo", role="coach", notes="good")
    assert desk.rows(s) == [
        ("SessionCreated", "session", "leo", None, None, "SCHEDULED", None, None),
        ("SessionUpdated", "session", "leo", None, None, None, None, None),
        ("BookingConfirmed", "booking", "mia", "attendee", "NEW", "CONFIRMED", "book", None),
        (
            "RescheduleStatusChanged",
            "reschedule",
            "mia",
            "student",
            "NEW",
            "PENDING",
            "request",
            "I have an exam that morning",
        ),
        (
            "RescheduleStatusChanged",
            "reschedule",
            "leo",
            "coach",
            "PENDING",
            "DECLINED",
            "decline",
            None,
        ),
        (
            "BookingCancelled",
            "booking",
            "mia",
            "participant",
            "CONFIRMED",
            "CANCELLED",
            "cancel",
            "sick",
        ),
        (
            "SessionStatusChanged",
            "session",
            "leo",
            "coach",
            "SCHEDULED",
            "COMPLETED",
            "complete",
            None,
        ),
    ]
    history = kit.journal.for_session(T, s)
    assert [e.at for e in history] == [NOW] * 6 + [START + timedelta(hours=1)]
    assert dict(history[1].details) == {"changed": ["title"], "old": {"title": "German"}}
    assert dict(history[2].details) == {"participant": "student:mia", "seats": 1}
    assert history[3].details["proposed_start"] == (START + timedelta(days=1)).isoformat()
    assert [e.event for e in kit.journal.for_subject(T, "booking", booking.id)] == [
        "BookingConfirmed",
        "BookingCancelled",
    ]
    first, second = (
        kit.journal.for_session(T, s, limit=4),
        kit.journal.for_session(T, s, after=kit.journal.for_session(T, s, limit=4)[-1]),
    )
    assert [*first, *second] == history
    assert kit.journal.for_session(T, s, after=first[-1].cursor) == second


@ON_STORES
def test_a_refused_or_rolled_back_change_leaves_no_entry(store: StoreMaker) -> None:
    desk = Desk(store)
    kit = desk.kit
    s = desk.lesson()
    kit.bookings.book(T, s, "student:mia", actor="mia", confirm=True)
    before = kit.journal.for_session(T, s)
    with pytest.raises(CapacityExceeded):
        kit.bookings.book(T, s, "student:max", actor="max", confirm=True)
    draft = SessionDraft(
        start=START, end=START + timedelta(hours=1), resources=[LEO], lifecycle="coaching"
    )
    with pytest.raises(SessionConflict):  # the session of the draft rolls back with it
        kit.bookings.book(T, draft, "student:max", actor="max")
    assert kit.journal.for_session(T, s) == before
    assert len(kit.journal.for_subject(T, "session", s)) == 1
    everything = [entry for subject in SUBJECTS for entry in kit.journal.for_subject(T, subject, s)]
    assert [e.event for e in everything] == ["SessionCreated"]


@ON_STORES
def test_a_kit_without_a_journal_writes_none(store: StoreMaker) -> None:
    desk = Desk(store, journal=False)
    s = desk.lesson()
    desk.kit.sessions.cancel(T, s, actor="leo", reason="ill")
    assert desk.kit.journal.for_session(T, s) == []


@ON_STORES
def test_timed_changes_and_payments_are_kept_with_their_instant(store: StoreMaker) -> None:
    desk = Desk(store, priced=True)
    kit = desk.kit
    s = desk.lesson()
    checkout = kit.payments.book(T, s, "student:mia", actor="mia")
    expiry = checkout.booking.hold_expires_at
    assert expiry is not None
    desk.clock.set(expiry + timedelta(minutes=5))
    assert kit.expire_holds().expired == 1
    rows = [
        (e.event, e.subject, e.actor, e.previous, e.status, e.at)
        for e in kit.journal.for_session(T, s)
    ]
    assert rows[0][0] == "SessionCreated"
    assert ("BookingHeld", "booking", "mia", "NEW", "HELD", NOW) in rows
    assert ("PaymentChanged", "payment", "mia", None, "PENDING", NOW) in rows
    # The tick's expiry: no actor, at the instant the hold ran out.
    assert ("BookingExpired", "booking", None, "HELD", "EXPIRED", expiry) in rows
    payment = [e for e in kit.journal.for_session(T, s) if e.subject == "payment"]
    assert payment[-1].status == "CANCELLED"
    assert payment[0].details["amount"] == "40.00 EUR"


@ON_STORES
def test_a_cancels_role_is_kept_with_the_booking_and_its_payment(store: StoreMaker) -> None:
    # The role a booking is cancelled in decides its refund: the entries say which it was.
    desk = Desk(store, priced=True)
    kit = desk.kit
    s = desk.lesson()
    paid = kit.payments.book(T, s, "student:mia", actor="mia", manual=True, confirm=True)
    kit.payments.mark_paid(T, [paid.payment.id], actor="leo")
    kit.payments.cancel(T, paid.booking.id, actor="boss", role="host", reason="coach ill")
    let_go = kit.payments.book(T, desk.lesson(hours=3), "student:ben", actor="ben", manual=True)
    kit.bookings.cancel(T, let_go.booking.id, actor="boss", role="admin")
    roles = [
        (e.event, e.subject, e.status, e.role)
        for sid in (s, let_go.booking.session_id)
        for e in kit.journal.for_session(T, sid)
        if e.actor == "boss"
    ]
    assert roles == [
        ("BookingCancelled", "booking", "CANCELLED", "host"),
        ("PaymentChanged", "payment", "REFUNDED", "host"),
        ("BookingCancelled", "booking", "CANCELLED", "admin"),
        ("PaymentChanged", "payment", "CANCELLED", "admin"),
    ]


@ON_STORES
def test_the_journal_checks_what_it_is_asked(store: StoreMaker) -> None:
    kit = Desk(store).kit
    with pytest.raises(InvalidValue):
        kit.journal.for_session(T, "s1", limit=0)
    with pytest.raises(WrongType):
        kit.journal.for_session(T, "s1", after=("x",))  # type: ignore[arg-type]
    for seq in (-1, 2**63, 10**30):  # a forged cursor's (SQLite: OverflowError before)
        with pytest.raises(InvalidValue, match=r"after\[1\]") as refused:
            kit.journal.for_session(T, "s1", after=(NOW, seq, "e1"))
        assert refused.value.value == seq
    assert kit.journal.for_session(T, "s1", after=(NOW, 2**63 - 1, "e1")) == []
    with pytest.raises(InvalidValue):
        kit.journal.for_subject(T, "", "b1")
    with pytest.raises(WrongType, match="tenant"):
        kit.journal.list(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="limit"):
        kit.journal.list(T, limit=1001)
    with pytest.raises(WrongType):
        SessionKit(uow=store(RecordingPublisher()), clock=ManualClock(NOW), journal="yes")  # type: ignore[arg-type]


@ON_STORES
def test_a_history_is_narrowed_to_one_actor_and_a_window(store: StoreMaker) -> None:
    """An audit trail asks what one actor did, and what happened between two instants."""
    desk = Desk(store, priced=True)
    kit, clock = desk.kit, desk.clock
    s = desk.lesson(capacity=2)
    hour = timedelta(hours=1)
    clock.set(NOW + hour)
    kit.sessions.update(T, s, actor="leo", title="German B1")
    clock.set(NOW + 2 * hour)
    paid = kit.payments.book(T, s, "student:mia", actor="mia", manual=True, confirm=True)
    clock.set(NOW + 3 * hour)
    kit.payments.cancel(T, paid.booking.id, actor="mia", reason="sick")

    def events(
        actor: str | None = None, since: datetime | None = None, before: datetime | None = None
    ) -> list[tuple[str, str | None]]:
        found = kit.journal.for_session(T, s, actor=actor, since=since, before=before)
        return [(e.event, e.actor) for e in found]

    assert events(actor="mia") == [
        ("BookingConfirmed", "mia"),
        ("PaymentChanged", "mia"),
        ("BookingCancelled", "mia"),
        ("PaymentChanged", "mia"),
    ]
    assert events(actor="Mia") == []
    # [since, before): the instant of since is in it, that of before is not.
    assert events(since=NOW + hour, before=NOW + 3 * hour) == [
        ("SessionUpdated", "leo"),
        ("BookingConfirmed", "mia"),
        ("PaymentChanged", "mia"),
    ]
    berlin = (NOW + hour).astimezone(ZoneInfo("Europe/Berlin"))  # the same instant
    assert events(actor="leo", since=berlin) == [("SessionUpdated", "leo")]
    assert events(actor="leo", before=berlin) == [("SessionCreated", "leo")]
    assert events(since=NOW + hour, before=NOW + hour) == []
    booking = kit.journal.for_subject(T, "booking", paid.booking.id, before=NOW + 3 * hour)
    assert [e.event for e in booking] == ["BookingConfirmed"]
    payment = kit.journal.for_subject(
        T, "payment", paid.payment.id, actor="mia", since=NOW + 3 * hour
    )
    assert [(e.event, e.status) for e in payment] == [("PaymentChanged", "CANCELLED")]
    # Pages of the filtered history, each read on from the last one's entry.
    first = kit.journal.for_session(T, s, actor="mia", limit=3)
    rest = kit.journal.for_session(T, s, actor="mia", after=first[-1], limit=3)
    assert [*first, *rest] == kit.journal.for_session(T, s, actor="mia")
    assert len(rest) == 1


@ON_STORES
def test_the_tenants_journal_says_what_an_actor_did_and_what_happened_when(
    store: StoreMaker,
) -> None:
    """Across sessions, series and tenants' records: one actor's entries, or a window's."""
    desk = Desk(store)
    kit, clock = desk.kit, desk.clock
    first, second = desk.lesson(capacity=2), desk.lesson(hours=2)
    hour = timedelta(hours=1)
    clock.set(NOW + hour)
    booking = kit.bookings.book(T, first, "student:mia", actor="mia", confirm=True)
    kit.sessions.update(T, second, actor="Leo", title="German B2")
    clock.set(NOW + 2 * hour)
    kit.bookings.cancel(T, booking.id, actor="mia", reason="sick")
    kit.sessions.cancel(T, second, actor="leo", reason="ill")
    kit.sessions.create_extra(
        "other", actor="leo", start=START, end=START + hour, resources=[LEO], lifecycle="coaching"
    )

    def rows(
        actor: str | None = None, since: datetime | None = None, before: datetime | None = None
    ) -> list[tuple[str, str | None, str | None]]:
        found = kit.journal.list(T, actor=actor, since=since, before=before)
        return [(e.event, e.session_id, e.actor) for e in found]

    assert rows(actor="leo") == [
        ("SessionCreated", first, "leo"),
        ("SessionCreated", second, "leo"),
        ("SessionCanceled", second, "leo"),
    ]
    assert rows(actor="Leo") == [("SessionUpdated", second, "Leo")]
    assert rows(since=NOW + hour, before=NOW + 2 * hour) == [
        ("BookingConfirmed", first, "mia"),
        ("SessionUpdated", second, "Leo"),
    ]
    assert rows(actor="mia", since=NOW + 2 * hour) == [("BookingCancelled", first, "mia")]
    assert len(rows()) == 6
    assert [(e.tenant, e.actor) for e in kit.journal.list("other")] == [("other", "leo")]
    # Pages of one actor's entries, each read on from the page before's last.
    page = kit.journal.list(T, actor="leo", limit=2)
    rest = kit.journal.list(T, actor="leo", after=page[-1], limit=2)
    assert [*page, *rest] == kit.journal.list(T, actor="leo")
    assert kit.journal.list(T, actor="leo", after=rest[-1].cursor) == []


@ON_STORES
def test_the_journals_filters_are_checked(store: StoreMaker) -> None:
    kit = Desk(store).kit
    reads: list[Callable[..., list[JournalEntry]]] = [
        functools.partial(kit.journal.for_session, T, "s1"),
        functools.partial(kit.journal.for_subject, T, "booking", "b1"),
        functools.partial(kit.journal.list, T),
    ]
    for read in reads:
        with pytest.raises(NaiveDatetime, match="since"):
            read(since=datetime(2026, 3, 2, 8))
        with pytest.raises(NaiveDatetime, match="before"):
            read(before=datetime(2026, 3, 2, 8))
        with pytest.raises(InvalidWindow) as swapped:
            read(since=NOW, before=NOW - timedelta(seconds=1))
        assert str(swapped.value) == (
            "before 2026-03-02T07:59:59+00:00 is before since 2026-03-02T08:00:00+00:00"
        )
        assert swapped.value.expected == "before >= since"
        with pytest.raises(WrongType, match="actor"):
            read(actor=5)
        with pytest.raises(InvalidValue, match="actor") as long:
            read(actor="a" * 256)
        assert long.value.expected == "<= 255 characters"
        with pytest.raises(InvalidValue, match="actor"):
            read(actor="ana\x00")
        with pytest.raises(WrongType, match="since"):
            read(since="2026-03-02T08:00:00+00:00")
        with pytest.raises(InvalidValue, match="before"):
            read(before=datetime(1, 1, 2, tzinfo=UTC))
        assert read(actor="a" * 255, since=NOW, before=NOW) == []


def _events() -> list[type[DomainEvent]]:
    for module in pkgutil.walk_packages(sessionkit.__path__, "sessionkit."):
        skipped = ("sessionkit.contrib", "sessionkit.adapters.sqlalchemy", "sessionkit.demo")
        if not module.name.startswith(skipped) and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[DomainEvent]] = []
    waiting = [DomainEvent]
    while waiting:
        for sub in waiting.pop().__subclasses__():
            found.append(sub)
            waiting.append(sub)
    return found


def test_every_event_sessionkit_publishes_has_an_entry() -> None:
    """A new event class without its entry would be left out of every history."""
    events = _events()
    names = {event.__name__ for event in events}
    assert {"SessionCreated", "BookingExpired", "PaymentChanged", "UsageRecorded"} <= names
    assert [e.__name__ for e in events if not issubclass(e, KEPT)] == []
    unknown = attrs.make_class("Unknown", [], bases=(DomainEvent,), kw_only=True)
    assert _about(unknown(tenant=T, actor=None, at=NOW)) is None


def test_an_entry_is_checked_when_made() -> None:
    with pytest.raises(InvalidValue):
        JournalEntry(id="", tenant=T, at=NOW, seq=1, event="E", subject="session", subject_id="s")
    with pytest.raises(InvalidValue):
        JournalEntry(
            id="e",
            tenant=T,
            at=NOW,
            seq=1,
            event="E",
            subject="session",
            subject_id="s",
            reason="x" * 2001,
        )


@ON_STORES
def test_a_journal_refuses_no_command_its_kit_takes(store: StoreMaker) -> None:
    """A role of up to 255 characters (what ``cancel`` and ``fire`` take) is kept whole."""
    desk = Desk(store)
    s = desk.lesson()
    role = "r" * 255
    cancelled = desk.kit.sessions.cancel(T, s, actor="leo", role=role, reason="x" * 4000)
    assert cancelled.status == "CANCELLED"
    [_, entry] = desk.kit.journal.for_session(T, s)
    assert (entry.role, entry.reason) == (role, "x" * 2000)


@ON_STORES
def test_a_session_cancel_s_role_is_kept_with_the_bookings_it_cancels(store: StoreMaker) -> None:
    desk = Desk(store, priced=True)
    kit = desk.kit
    s = desk.lesson()
    paid = kit.payments.book(T, s, "student:mia", actor="mia", manual=True, confirm=True)
    kit.payments.mark_paid(T, [paid.payment.id], actor="leo")
    kit.sessions.cancel(T, s, actor="boss", role="host", reason="coach ill")
    roles = [
        (e.event, e.subject, e.status, e.role)
        for e in kit.journal.for_session(T, s)
        if e.actor == "boss"
    ]
    # Refunded in full whatever the role: nobody who booked cancelled.
    assert roles == [
        ("SessionCanceled", "session", "CANCELLED", "host"),
        ("BookingCancelled", "booking", "CANCELLED", "host"),
        ("PaymentChanged", "payment", "REFUNDED", "host"),
    ]


@ON_STORES
def test_a_misspelt_subject_is_refused_not_read_as_an_empty_history(store: StoreMaker) -> None:
    """``for_subject(T, "bookings", id)`` read nothing, silently: no entry has that subject."""
    desk = Desk(store)
    s = desk.lesson()
    for wrong in ("sessions", "Session", "bookings"):
        with pytest.raises(InvalidValue, match="subject must be one of") as refused:
            desk.kit.journal.for_subject(T, wrong, s)
        assert refused.value.value == wrong
        assert refused.value.expected == ", ".join(SUBJECTS)
    assert [e.event for e in desk.kit.journal.for_subject(T, "session", s)] == ["SessionCreated"]


@ON_STORES
def test_a_lifecycle_s_long_transition_name_is_kept_cut_not_refused(store: StoreMaker) -> None:
    """A lifecycle takes a transition named longer than an entry's 64 characters.

    Its kit fired it; the same kit with a journal refused every such fire with
    ``InvalidValue`` about ``JournalEntry.transition``, an entry the caller never made.
    """
    name = "confirm_after_the_client_signed_the_engagement_letter_and_paid_the_deposit"
    assert len(name) > 64
    own = Lifecycle(
        "engagement",
        statuses=[
            Status("OPEN", initial=True, busy=True, editable=True),
            Status("SIGNED", terminal=True),
        ],
        transitions=[Transition(name, "OPEN", "SIGNED")],
    )
    kit = SessionKit(
        uow=store(RecordingPublisher()),
        clock=ManualClock(NOW),
        lifecycles=PRESETS.with_lifecycle(own),
        journal=True,
    )
    s = kit.sessions.create_extra(
        T, actor="leo", start=START, end=START + timedelta(hours=1), lifecycle="engagement"
    )
    assert kit.sessions.fire(T, s.id, name, actor="leo").status == "SIGNED"
    [_, entry] = kit.journal.for_session(T, s.id)
    assert (entry.previous, entry.status, entry.transition) == ("OPEN", "SIGNED", name[:64])


@ON_STORES
def test_an_own_field_changed_to_another_json_type_is_named(store: StoreMaker) -> None:
    """``set_fields`` stores 1 -> True (and 2 -> 2.0) as a change; its entry named no field."""
    desk = Desk(store)
    s = desk.lesson()
    kit = desk.kit
    kit.sessions.set_fields(T, s, actor="leo", set={"paid": 1, "hours": 2, "marks": [1, 0]})
    kit.sessions.set_fields(T, s, actor="leo", set={"paid": True, "hours": 2.0, "marks": [1, 0]})
    kit.sessions.set_fields(T, s, actor="leo", set={"marks": [True, False]})
    fields = [e.details["fields"] for e in kit.journal.for_session(T, s)[1:]]
    assert fields == [["hours", "marks", "paid"], ["hours", "paid"], ["marks"]]


def _mia_consumed(desk: Desk) -> str:
    """A lesson Mia, subscribed, booked and was charged a credit for; its id."""
    s = desk.lesson()
    desk.kit.usage.subscribe(T, actor="boss", subscriber="student:mia", credits=4, starts=NOW)
    desk.kit.bookings.book(T, s, "student:mia", actor="mia", confirm=True)
    desk.kit.usage.consume(T, s, actor="leo")
    return s


@ON_STORES
def test_a_credit_returned_keeps_the_reason_given(store: StoreMaker) -> None:
    """``kit.usage.reverse(..., reason=)`` stores the reason on the ledger; its entry had none."""
    desk = Desk(store)
    kit, s = desk.kit, _mia_consumed(desk)
    kit.usage.reverse(T, s, actor="boss", reason="the coach was late")
    kit.usage.consume(T, s, actor="leo")
    usage = [
        (e.details["change"], e.actor, e.reason)
        for e in kit.journal.for_session(T, s)
        if e.subject == "usage"
    ]
    assert usage == [
        ("consumed", "leo", None),
        ("reversed", "boss", "the coach was late"),
        ("consumed", "leo", None),
    ]


@ON_STORES
def test_a_usage_entry_names_whose_credit_moved(store: StoreMaker) -> None:
    """A usage entry said only "consumed" and the subscription: not whose credit it was."""
    desk = Desk(store)
    kit, s = desk.kit, _mia_consumed(desk)
    [entry] = [e for e in kit.journal.for_session(T, s) if e.subject == "usage"]
    assert (entry.details["participant"], "used_by" in entry.details) == ("student:mia", False)
    # A makeup's credit is charged as the cancelled session it replaces: its entry is in that
    # session's history, and says which session used it.
    cancelled, makeup = desk.lesson(hours=2), desk.lesson(hours=26)
    for lesson in (cancelled, makeup):
        kit.bookings.book(T, lesson, "student:mia", actor="mia", confirm=True)
    kit.sessions.cancel(T, cancelled, actor="leo")
    kit.usage.mark_makeup(T, makeup, replaces=cancelled, actor="leo")
    kit.usage.consume(T, makeup, actor="leo")
    [made_up] = [e for e in kit.journal.for_session(T, cancelled) if e.subject == "usage"]
    assert (made_up.details["participant"], made_up.details["used_by"]) == ("student:mia", makeup)
