"""The consulting seed (003, the Naksha platform) replayed on sessionkit.

Consultants are tenants, clients are participants ``client:<email>``, a
consultation is a ``consulting`` session with one seat whose booking carries
the payment (:mod:`sessionkit.demo.consulting`). Every scenario runs on each
store of the ``desk`` fixture: in memory always, SQLite once payments are
storable there (until then that parameter skips, saying why).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo.consulting import (
    CONSULTANTS,
    DEMO_NOW,
    Booked,
    Consultant,
    Consulting,
    Request,
    book_public,
    build_consulting,
    client_ref,
    confirm_paid,
    create_manual,
    deliver,
    find_request,
    pay,
    require_payments,
    showcase,
)
from sessionkit.demo.consulting_dashboard import dashboard
from sessionkit.demo.consulting_story import play
from sessionkit.errors import (
    BookingRefused,
    InvalidTransition,
    InvalidValue,
    PaymentNotFound,
    SessionConflict,
    SessionNotFound,
    TransitionRefused,
)
from sessionkit.model import SessionQuery
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD
from sessionkit.model.events import SessionCanceled
from sessionkit.model.money import Money
from sessionkit.model.payment import FAILED, PAID, PARTIALLY_REFUNDED, PENDING, REFUNDED
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.clocks import RecordingPublisher

PRIYA, ARJUN = CONSULTANTS


@attrs.define
class Desk:
    """The platform on one store, with the events it published."""

    c: Consulting
    events: RecordingPublisher
    uow: UnitOfWorkFactory
    count: int = 0

    def request(
        self,
        who: Consultant = PRIYA,
        email: str = "asha@example.com",
        *,
        name: str | None = None,
        start: datetime | None = None,
        minutes: int = 60,
        fee: Decimal | None = None,
    ) -> Request:
        self.count += 1
        if start is None:
            start = showcase(self.c, who, minutes=minutes)[0].start
        return Request(
            key=f"r{self.count}",
            who=who,
            email=email,
            name=name or email.split("@")[0].title(),
            phone="+91 90000",
            start=start,
            minutes=minutes,
            fee=fee,
        )

    def paid(
        self, who: Consultant = PRIYA, email: str = "asha@example.com", *, minutes: int = 60
    ) -> Booked:
        return pay(self.c, book_public(self.c, self.request(who, email, minutes=minutes)))

    def status(self, booked: Booked) -> tuple[str, str, str]:
        kit, tenant = self.c.kit, booked.session.tenant
        return (
            kit.queries.get(tenant, booked.session.id).status,
            kit.bookings.get(tenant, booked.booking.id).status,
            kit.payments.get(tenant, booked.payment.id).status,
        )


def _sqlite(tmp_path: Path, events: RecordingPublisher) -> UnitOfWorkFactory:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'consulting.sqlite3'}")
    upgrade(engine)
    store = SqlAlchemyStore(engine, publisher=events)
    require_payments(store.unit_of_work)  # SQLite keeps them: an UnsupportedKind fails, not skips
    return store.unit_of_work


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Desk:
    events = RecordingPublisher()
    if request.param == "memory":
        uow: UnitOfWorkFactory = InMemoryStore(publisher=events).unit_of_work
    else:
        uow = _sqlite(tmp_path, events)
    return Desk(c=build_consulting(DEMO_NOW, uow=uow), events=events, uow=uow)


# ---------------------------------------------------------------------- public booking


def test_a_public_booking_creates_the_client_once(desk: Desk) -> None:
    kit = desk.c.kit
    first = book_public(desk.c, desk.request(email="asha.rao@example.com", name="Asha Rao"))
    assert first.new_client
    assert (first.session.status, first.booking.status, first.payment.status) == (
        "PENDING",
        HELD,
        PENDING,
    )
    assert first.payment.amount == Money.of("2000.00", "INR")
    assert first.client_secret is not None
    assert first.session.resources == (PRIYA.ref,)
    assert dict(first.session.metadata) == {
        "request": "r1",
        "type": "PERSONAL",
        "platform": "ZOOM",
        "client": "asha.rao@example.com",
    }
    assert dict(first.booking.metadata) == {"name": "Asha Rao", "phone": "+91 90000"}
    # The same client, typed differently: no second client record.
    again = book_public(desk.c, desk.request(email="  Asha.Rao@EXAMPLE.com", name="Asha Rao"))
    assert not again.new_client
    assert (
        again.booking.participant == first.booking.participant == client_ref("asha.rao@example.com")
    )
    mine = kit.bookings.for_participant(PRIYA.tenant, client_ref("asha.rao@example.com"))
    assert [b.id for b in mine] == [first.booking.id, again.booking.id]


def test_paying_confirms_the_booking_and_the_consultant_confirms_paid_sessions(
    desk: Desk,
) -> None:
    booked = desk.paid()
    assert desk.status(booked) == ("PENDING", CONFIRMED, PAID)
    unpaid = book_public(desk.c, desk.request(email="ben@example.com"))
    confirmed = confirm_paid(desk.c, PRIYA)
    assert [s.id for s in confirmed] == [booked.session.id]
    assert desk.status(booked) == ("CONFIRMED", CONFIRMED, PAID)
    assert desk.status(unpaid) == ("PENDING", HELD, PENDING)
    assert confirm_paid(desk.c, PRIYA) == []


def test_a_request_sent_again_writes_nothing(desk: Desk) -> None:
    request = desk.request()
    first = pay(desk.c, book_public(desk.c, request))
    events = len(desk.events.events)
    again = book_public(desk.c, request)
    assert (again.session.id, again.booking.id, again.payment.id) == (
        first.session.id,
        first.booking.id,
        first.payment.id,
    )
    assert again.payment.status == PAID
    assert len(desk.events.events) == events
    assert desk.c.kit.queries.list(PRIYA.tenant).total == 1


def test_a_declined_card_cancels_the_session_and_frees_its_time(desk: Desk) -> None:
    request = desk.request(email="vikram@example.com")
    desk.c.gateway.decline_next("card_declined")
    declined = book_public(desk.c, request)
    assert desk.status(declined) == ("CANCELLED", CANCELLED, FAILED)
    assert desk.c.kit.payments.get(PRIYA.tenant, declined.payment.id).failure == "card_declined"
    assert showcase(desk.c, PRIYA)[0].start == request.start
    replay = book_public(desk.c, request)
    assert (replay.session.id, replay.payment.status) == (declined.session.id, FAILED)
    retry = desk.paid(email="vikram@example.com")  # a new request, another card
    assert retry.session.start == request.start
    assert desk.status(retry) == ("PENDING", CONFIRMED, PAID)


def test_a_card_declined_later_cancels_the_session_and_frees_its_time(desk: Desk) -> None:
    # The webhook's decline, an abandoned checkout and a client's cancel left the
    # consultation PENDING and its time blocked (only a decline at once was handled).
    request = desk.request(email="vikram@example.com")
    booked = book_public(desk.c, request)
    assert desk.status(booked) == ("PENDING", HELD, PENDING)
    desk.c.gateway.decline(booked.payment.intent_ref or "")
    deliver(desk.c)
    assert desk.status(booked) == ("CANCELLED", CANCELLED, FAILED)
    assert showcase(desk.c, PRIYA)[0].start == request.start


def test_a_public_booking_takes_only_what_the_showcase_offers(desk: Desk) -> None:
    # The showcase listed her hours from a day ahead, but book_public took any time a
    # form sent: 13:30 in her lunch break, 03:00 at night, an hour from now.
    kit, zone = desk.c.kit, ZoneInfo(PRIYA.zone)
    lunch = datetime(2026, 3, 4, 13, 30, tzinfo=zone)  # Wednesday, 13:00-14:00 is her break
    night = datetime(2026, 3, 4, 3, tzinfo=zone)
    for start in (lunch, night):
        with pytest.raises(BookingRefused) as refused:
            book_public(desk.c, desk.request(start=start.astimezone(ZoneInfo("America/New_York"))))
        assert refused.value.rule == "outside_hours"
        assert "10:00-13:00, 14:00-18:00 (Asia/Kolkata)" in str(refused.value)
    soon = DEMO_NOW + timedelta(hours=1, minutes=30)  # Monday 12:00 in Kolkata: in her hours
    with pytest.raises(BookingRefused) as refused:
        book_public(desk.c, desk.request(start=soon))
    assert refused.value.rule == "notice"
    assert kit.queries.list(PRIYA.tenant, SessionQuery()).total == 0  # nothing written
    assert kit.bookings.for_participant(PRIYA.tenant, client_ref("asha@example.com")) == []
    # A client in New York books the first hour offered, given in her own zone.
    first = showcase(desk.c, PRIYA)[0].start
    booked = book_public(desk.c, desk.request(start=first.astimezone(ZoneInfo("America/New_York"))))
    assert (booked.session.start, booked.session.tz) == (first, PRIYA.zone)
    # The consultant adding a session by hand needs no notice.
    by_hand = create_manual(desk.c, desk.request(email="dev@example.com", start=soon))
    assert desk.status(by_hand) == ("CONFIRMED", CONFIRMED, PENDING)


def _busy(desk: Desk, booked: Booked) -> list[str]:
    """Priya's busy sessions over the booked consultation's time (its showcase leaves them out)."""
    span = booked.session.span
    agenda = desk.c.kit.queries.agenda(PRIYA.tenant, PRIYA.ref, start=span.start, end=span.end)
    return [s.id for s in agenda if s.busy]


def test_an_abandoned_checkout_frees_its_time_when_its_hold_runs_out(desk: Desk) -> None:
    booked = book_public(desk.c, desk.request(email="vikram@example.com"))
    assert _busy(desk, booked) == [booked.session.id]
    desk.c.clock.advance(timedelta(minutes=31))  # the checkout is held 30 minutes
    desk.c.kit.tick(PRIYA.tenant)
    assert desk.status(booked)[:2] == ("CANCELLED", EXPIRED)
    assert _busy(desk, booked) == []
    reasons = [e.reason for e in desk.events.events if isinstance(e, SessionCanceled)]
    assert reasons == ["its last booking ran out"]


def test_a_client_cancelling_frees_the_consultants_time(desk: Desk) -> None:
    booked = desk.paid()
    desk.c.clock.set(booked.session.start - timedelta(hours=10))
    desk.c.kit.payments.cancel(PRIYA.tenant, booked.booking.id, actor="asha", role="client")
    assert desk.status(booked) == ("CANCELLED", CANCELLED, PARTIALLY_REFUNDED)
    assert _busy(desk, booked) == []


# ---------------------------------------------------------------------- manual creation


def test_manual_creation_for_a_new_and_an_existing_client(desk: Desk) -> None:
    kit = desk.c.kit
    desk.paid(email="meera@example.com")
    calls = len(desk.c.gateway.calls)
    start = DEMO_NOW + timedelta(days=2, hours=6)
    existing = create_manual(
        desk.c, desk.request(email="meera@example.com", start=start, fee=Decimal(2500))
    )
    new = create_manual(
        desk.c, desk.request(email="rohan@example.com", start=start + timedelta(days=1))
    )
    assert (existing.new_client, new.new_client) == (False, True)
    for made in (existing, new):
        assert desk.status(made) == ("CONFIRMED", CONFIRMED, PENDING)
        assert (made.payment.provider, made.payment.due, made.booking.hold_expires_at) == (
            "manual",
            None,
            None,
        )
    assert existing.payment.amount == Money.of("2500.00", "INR")  # the fee typed in
    assert new.payment.amount == Money.of("2000.00", "INR")  # an hour at the rate
    assert len(desk.c.gateway.calls) == calls  # no provider involved
    meera = kit.bookings.for_participant(PRIYA.tenant, client_ref("meera@example.com"))
    assert len(meera) == 2
    assert find_request(desk.c, PRIYA.tenant, new.session.metadata["request"]) == new.session


def test_payments_are_listed_and_filtered_by_status_beside_the_session(desk: Desk) -> None:
    kit = desk.c.kit
    card = desk.paid()
    start = DEMO_NOW + timedelta(days=3)
    manual = create_manual(desk.c, desk.request(email="dev@example.com", start=start))
    pending = kit.payments.list(PRIYA.tenant, statuses=[PENDING])
    paid = kit.payments.list(PRIYA.tenant, statuses=[PAID])
    assert [p.session_id for p in pending] == [manual.session.id]
    assert [p.session_id for p in paid] == [card.session.id]
    rows = {
        p.session_id: (kit.queries.get(PRIYA.tenant, p.session_id).status, p.status)
        for p in kit.payments.list(PRIYA.tenant)
    }
    assert rows == {card.session.id: ("PENDING", PAID), manual.session.id: ("CONFIRMED", PENDING)}


# ---------------------------------------------------------------------- bulk changes


def _week(desk: Desk) -> list[Booked]:
    start = DEMO_NOW + timedelta(days=1, hours=6)
    made = [
        create_manual(
            desk.c, desk.request(email=f"{n}@example.com", start=start + timedelta(days=d))
        )
        for d, n in enumerate(("dev", "rohan", "kiran"))
    ]
    desk.c.clock.set(DEMO_NOW + timedelta(weeks=1))
    return made


def test_bulk_mark_completed_is_all_or_nothing(desk: Desk) -> None:
    kit = desk.c.kit
    made = _week(desk)
    pending = book_public(desk.c, desk.request(email="late@example.com"))  # still PENDING
    ids = [b.session.id for b in made]
    events = len(desk.events.events)
    with pytest.raises(InvalidTransition) as refused:
        kit.sessions.fire_many(PRIYA.tenant, [*ids, pending.session.id], "complete", actor="priya")
    assert (refused.value.session_id, refused.value.status) == (pending.session.id, "PENDING")
    assert [kit.queries.get(PRIYA.tenant, i).status for i in ids] == ["CONFIRMED"] * 3
    assert len(desk.events.events) == events
    done = kit.sessions.fire_many(PRIYA.tenant, ids, "complete", actor="priya")
    assert [s.status for s in done] == ["COMPLETED"] * 3


def test_bulk_mark_paid_is_all_or_nothing(desk: Desk) -> None:
    kit = desk.c.kit
    card = desk.paid(email="asha@example.com")
    made = _week(desk)
    ids = [b.payment.id for b in made]
    with pytest.raises(InvalidValue):
        kit.payments.mark_paid(PRIYA.tenant, [*ids, card.payment.id], actor="priya")
    with pytest.raises(PaymentNotFound):
        kit.payments.mark_paid(PRIYA.tenant, [*ids, "no-such-payment"], actor="priya")
    assert [kit.payments.get(PRIYA.tenant, i).status for i in ids] == [PENDING] * 3
    marked = kit.payments.mark_paid(PRIYA.tenant, ids, actor="priya")
    assert [p.status for p in marked] == [PAID] * 3
    assert [desk.status(b)[1] for b in made] == [CONFIRMED] * 3


# ---------------------------------------------------------------------- cancelling


def test_the_consultant_cancelling_refunds_the_client_in_full(desk: Desk) -> None:
    kit = desk.c.kit
    booked = desk.paid()
    desk.c.clock.set(booked.session.start - timedelta(hours=1))  # late, yet hers to cancel
    kit.sessions.cancel(PRIYA.tenant, booked.session.id, actor="priya", reason="unwell")
    assert desk.status(booked) == ("CANCELLED", CANCELLED, REFUNDED)
    refunded = kit.payments.get(PRIYA.tenant, booked.payment.id)
    assert (refunded.refunded, refunded.kept) == (Decimal("2000.00"), Money.zero("INR"))
    assert desk.c.gateway.collected("INR") == Money.zero("INR")


def test_a_client_cancelling_late_gets_half_back(desk: Desk) -> None:
    kit = desk.c.kit
    booked = desk.paid()
    desk.c.clock.set(booked.session.start - timedelta(hours=3))
    payment = kit.payments.cancel(PRIYA.tenant, booked.booking.id, actor="asha")
    assert payment is not None
    assert (payment.status, payment.refunded) == (PARTIALLY_REFUNDED, Decimal("1000.00"))
    assert desk.c.gateway.collected("INR") == Money.of("1000.00", "INR")


# ---------------------------------------------------------------------- figures and isolation


def test_per_client_totals_and_repeat_clients(desk: Desk) -> None:
    desk.paid(email="asha@example.com")
    desk.paid(email="asha@example.com", minutes=90)
    refunded = desk.paid(email="meera@example.com")
    desk.c.kit.sessions.cancel(PRIYA.tenant, refunded.session.id, actor="priya")
    desk.c.gateway.decline_next()
    book_public(desk.c, desk.request(email="vikram@example.com"))
    create_manual(
        desk.c,
        desk.request(email="rohan@example.com", start=DEMO_NOW + timedelta(days=4, hours=6)),
    )
    board = dashboard(desk.c, PRIYA)
    assert dict(board.sessions) == {"CANCELLED": 2, "CONFIRMED": 1, "PENDING": 2}
    assert dict(board.payments) == {FAILED: 1, PAID: 2, PENDING: 1, REFUNDED: 1}
    assert (board.paid, board.pending, board.refunded) == (
        Money.of(5000, "INR"),
        Money.of(2000, "INR"),
        Money.of(2000, "INR"),
    )
    totals = {c.email: (c.sessions, c.paid.amount, c.pending.amount) for c in board.clients}
    assert totals == {
        "asha@example.com": (2, Decimal(5000), Decimal(0)),
        "meera@example.com": (0, Decimal(0), Decimal(0)),
        "rohan@example.com": (1, Decimal(0), Decimal(2000)),
        "vikram@example.com": (0, Decimal(0), Decimal(0)),
    }
    assert [c.email for c in board.repeat_clients] == ["asha@example.com"]


def test_per_client_no_shows(desk: Desk) -> None:
    # Seed 003: "Client statistics (repeat clients, no-shows)".
    first = desk.paid(email="asha@example.com")
    desk.paid(email="asha@example.com", minutes=90)
    desk.paid(email="meera@example.com")
    desk.c.kit.sessions.fire(PRIYA.tenant, first.session.id, "confirm", actor="priya")
    desk.c.clock.set(first.session.end + timedelta(minutes=5))
    desk.c.kit.sessions.fire(PRIYA.tenant, first.session.id, "no_show", actor="priya")
    board = dashboard(desk.c, PRIYA)
    assert {c.email: (c.sessions, c.no_shows) for c in board.clients} == {
        "asha@example.com": (2, 1),
        "meera@example.com": (1, 0),
    }


def test_the_consultants_no_show_uses_no_credit_and_refunds_the_client_who_came(
    desk: Desk,
) -> None:
    # Seed 003's NO_SHOW counts usage; a client holding a package of consultations was
    # charged a credit when the consultant was the one who did not come. The client's own
    # no-show still uses one (and keeps the payment, ``no_show_percent`` 0).
    kit, tenant = desk.c.kit, PRIYA.tenant
    packages = {
        email: kit.usage.subscribe(
            tenant,
            actor="priya",
            subscriber=client_ref(email),
            credits=4,
            starts=DEMO_NOW - timedelta(days=1),
        ).id
        for email in ("asha@example.com", "meera@example.com")
    }
    waited = desk.paid(email="asha@example.com")
    missed = desk.paid(email="meera@example.com")
    assert len(confirm_paid(desk.c, PRIYA)) == 2
    desk.c.clock.set(max(waited.session.end, missed.session.end) + timedelta(minutes=5))
    for booked, status in ((waited, "present"), (missed, "absent")):
        kit.attendance.override(
            tenant, booked.session.id, booked.booking.participant, status=status, actor="priya"
        )
        kit.sessions.fire(tenant, booked.session.id, "no_show", actor="priya")
    deliver(desk.c)
    used = {
        email: kit.usage.balance(tenant, sub, at=waited.session.start).used
        for email, sub in packages.items()
    }
    assert used == {"asha@example.com": 0, "meera@example.com": 1}
    assert desk.status(waited) == ("NO_SHOW", CONFIRMED, REFUNDED)
    assert desk.status(missed) == ("NO_SHOW", CONFIRMED, PAID)
    outcomes = {
        b.booking.participant.id: [
            (o.outcome, o.rule) for o in kit.attendance.outcomes(tenant, b.session.id)
        ]
        for b in (waited, missed)
    }
    assert outcomes == {
        "asha@example.com": [("attended", "host_no_show")],
        "meera@example.com": [("no_show", "no_show")],
    }


def test_the_consultants_no_show_is_no_no_show_of_the_client_who_came(desk: Desk) -> None:
    # The client statistics and the dashboard counted every NO_SHOW session of a client
    # as her no-show, also one she waited in while the consultant never came (refunded
    # in full as host_no_show, no credit used). Without attendance records, it is hers.
    kit, tenant = desk.c.kit, PRIYA.tenant
    waited = desk.paid(email="asha@example.com")
    missed = desk.paid(email="meera@example.com")
    unrecorded = desk.paid(email="rohan@example.com")
    again = desk.paid(email="asha@example.com", minutes=90)
    assert len(confirm_paid(desk.c, PRIYA)) == 4
    everyone = (waited, missed, unrecorded, again)
    desk.c.clock.set(max(b.session.end for b in everyone) + timedelta(minutes=5))
    for booked, status in ((waited, "present"), (missed, "absent"), (again, "absent")):
        kit.attendance.override(
            tenant, booked.session.id, booked.booking.participant, status=status, actor="priya"
        )
    for booked in everyone:
        kit.sessions.fire(tenant, booked.session.id, "no_show", actor="priya")
    stats = kit.analytics.clients(tenant)
    assert {r.client: (r.sessions, r.no_shows) for r in stats.rows} == {
        "client:asha@example.com": (2, 1),  # her own no-show, not the consultant's
        "client:meera@example.com": (1, 1),
        "client:rohan@example.com": (1, 1),  # nothing recorded: the status is all there is
    }
    board = dashboard(desk.c, PRIYA)
    assert {c.email: c.no_shows for c in board.clients} == {
        "asha@example.com": 1,
        "meera@example.com": 1,
        "rohan@example.com": 1,
    }
    # A window holding only the session she waited in: no no-show of hers there.
    alone = kit.analytics.clients(
        tenant, start_from=waited.session.start, start_to=waited.session.end
    )
    assert [(r.client, r.no_shows) for r in alone.rows if r.sessions] == [
        ("client:asha@example.com", 0)
    ]


def test_each_consultant_sees_only_her_own_clients_sessions_and_payments(desk: Desk) -> None:
    kit = desk.c.kit
    with_priya = desk.paid(PRIYA, "asha@example.com")
    with_arjun = desk.paid(ARJUN, "asha@example.com")
    assert with_arjun.new_client  # a client of each consultant, separately
    assert with_arjun.payment.amount == Money.of("80.00", "GBP")
    with pytest.raises(SessionNotFound):
        kit.queries.get(PRIYA.tenant, with_arjun.session.id)
    with pytest.raises(SessionNotFound):
        kit.sessions.fire_many(PRIYA.tenant, [with_arjun.session.id], "confirm", actor="priya")
    with pytest.raises(PaymentNotFound):
        kit.payments.mark_paid(PRIYA.tenant, [with_arjun.payment.id], actor="priya")
    assert [p.id for p in kit.payments.list(PRIYA.tenant)] == [with_priya.payment.id]
    assert kit.queries.list(PRIYA.tenant, SessionQuery(resources=[ARJUN.ref])).total == 0
    assert confirm_paid(desk.c, PRIYA)[0].id == with_priya.session.id
    assert kit.queries.get(ARJUN.tenant, with_arjun.session.id).status == "PENDING"
    priya, arjun = dashboard(desk.c, PRIYA), dashboard(desk.c, ARJUN)
    assert (priya.paid, arjun.paid) == (Money.of(2000, "INR"), Money.of(80, "GBP"))
    assert [len(priya.clients), len(arjun.clients)] == [1, 1]


# ---------------------------------------------------------------------- the demo


def test_running_the_demo_again_on_the_same_store_is_idempotent(desk: Desk) -> None:
    first = play(DEMO_NOW, uow=desk.uow)
    # A rerun's provider is a new fake: the first run must leave no provider call due.
    assert desk.c.kit.run_payment_calls().done == 0
    events = len(desk.events.events)
    sessions = {t.tenant: desk.c.kit.queries.list(t.tenant).total for t in CONSULTANTS}
    again = play(DEMO_NOW, uow=desk.uow)
    assert len(desk.events.events) == events  # nothing written, nothing published
    assert {t.tenant: desk.c.kit.queries.list(t.tenant).total for t in CONSULTANTS} == sessions
    assert first.split("\nDashboard of")[1:] == again.split("\nDashboard of")[1:]
    assert "mark completed: 5 COMPLETED" in first
    assert "mark completed: 0 COMPLETED" in again
    assert again.count("already") == 5  # every card payment of the story


# ---------------------------------------------------------------------- the session list


def test_the_session_list_filters_by_status_type_dates_client_and_search(desk: Desk) -> None:
    # Seed 003's "Advanced Filtering & Search": status, session type, date range, client, and
    # search (the title names the client, the client field holds the email); the payment
    # status beside it is kit.payments.list.
    kit, tenant = desk.c.kit, PRIYA.tenant
    card = desk.paid(email="asha@example.com")
    later = DEMO_NOW + timedelta(days=3)
    webinar = create_manual(
        desk.c, attrs.evolve(desk.request(email="meera@example.com", start=later), kind="WEBINAR")
    )
    again = create_manual(
        desk.c, desk.request(email="asha@example.com", start=later + timedelta(days=1))
    )

    def ids(query: SessionQuery) -> list[str]:
        return [s.id for s in kit.queries.list(tenant, query).items]

    assert ids(SessionQuery(statuses=["CONFIRMED"])) == [webinar.session.id, again.session.id]
    assert ids(SessionQuery(fields={"type": "WEBINAR"})) == [webinar.session.id]
    assert ids(SessionQuery(fields={"client": "asha@example.com"})) == [
        card.session.id,
        again.session.id,
    ]
    assert ids(SessionQuery(start_from=later, start_to=later + timedelta(days=1))) == [
        webinar.session.id
    ]
    assert ids(SessionQuery(search="meera")) == [webinar.session.id]
    assert ids(SessionQuery(statuses=["PENDING"], search="asha")) == [card.session.id]
    # The seed's search covers the client's email too: the title names "Meera", not her address.
    assert ids(SessionQuery(search="@EXAMPLE.com")) == []
    by_email = SessionQuery(search="@EXAMPLE.com", search_fields=["client"])
    assert ids(by_email) == [card.session.id, webinar.session.id, again.session.id]
    assert ids(SessionQuery(search="meera@", search_fields=["client"])) == [webinar.session.id]
    unpaid = {p.session_id for p in kit.payments.list(tenant, statuses=[PENDING])}
    assert unpaid == {webinar.session.id, again.session.id}


def test_the_consultant_moves_a_booked_session_and_its_payment_stays(desk: Desk) -> None:
    # PUT /api/sessions/:id: a booked consultation is moved (RULES.lock_booked is False), its
    # booking and payment follow, and never onto another of her sessions.
    kit, tenant = desk.c.kit, PRIYA.tenant
    booked = desk.paid()
    other = create_manual(
        desk.c, desk.request(email="dev@example.com", start=DEMO_NOW + timedelta(days=3))
    )
    with pytest.raises(SessionConflict):
        kit.sessions.update(tenant, booked.session.id, actor="priya", start=other.session.start)
    new_start = booked.session.start + timedelta(hours=2)
    moved = kit.sessions.update(tenant, booked.session.id, actor="priya", start=new_start)
    assert (moved.start, moved.span.duration) == (new_start, booked.session.span.duration)
    assert desk.status(booked) == ("PENDING", CONFIRMED, PAID)
    payment = kit.payments.get(tenant, booked.payment.id)
    assert (payment.amount, payment.refunded) == (booked.payment.amount, Decimal(0))


# ---------------------------------------------------------------------- analytics


def test_completion_and_no_show_rates_and_revenue_week_by_week(desk: Desk) -> None:
    # Seed 003 "Analytics & Reporting": sessions by status, "Session completion rates", the
    # no-shows, "Payment success rates" (payments by status), "Revenue tracking (total,
    # pending, completed)" and "Revenue trends" (the same figures over a window of start times).
    kit, tenant = desk.c.kit, PRIYA.tenant
    asha = desk.paid(email="asha@example.com")
    again = desk.paid(email="asha@example.com", minutes=90)
    meera = desk.paid(email="meera@example.com")
    desk.c.gateway.decline_next()
    vikram = book_public(desk.c, desk.request(email="vikram@example.com"))
    week2 = DEMO_NOW + timedelta(days=7)
    rohan = create_manual(
        desk.c, desk.request(email="rohan@example.com", start=week2 + timedelta(days=1, hours=6))
    )
    assert len(confirm_paid(desk.c, PRIYA)) == 3
    desk.c.clock.set(rohan.session.end + timedelta(minutes=5))
    kit.sessions.fire_many(
        tenant, [asha.session.id, again.session.id, rohan.session.id], "complete", actor="priya"
    )
    kit.sessions.fire(tenant, meera.session.id, "no_show", actor="priya")
    kit.payments.mark_paid(tenant, [rohan.payment.id], actor="priya")
    assert desk.status(vikram) == ("CANCELLED", CANCELLED, FAILED)

    counts = kit.analytics.counts(tenant).by_status()
    assert dict(counts) == {"COMPLETED": 3, "NO_SHOW": 1, "CANCELLED": 1}
    rates = kit.analytics.rates(tenant).get()
    assert (rates.sessions, rates.held, rates.completed, rates.no_show, rates.cancelled) == (
        5,
        4,
        3,
        1,
        1,
    )
    assert (rates.completion_rate, rates.no_show_rate, rates.cancellation_rate) == (
        0.75,
        0.25,
        0.2,
    )
    by_status = kit.analytics.revenue(tenant, by="status")
    assert {r.key: r.payments for r in by_status.rows} == {PAID: 4, FAILED: 1}
    total = kit.analytics.revenue(tenant)
    assert (total.total("kept", "INR"), total.total("pending", "INR")) == (
        Money.of(9000, "INR"),  # 2000 + 3000 + 2000 by card, 2000 by hand
        Money.zero("INR"),
    )
    first = kit.analytics.revenue(tenant, start_from=DEMO_NOW, start_to=week2)
    second = kit.analytics.revenue(tenant, start_from=week2, start_to=week2 + timedelta(days=7))
    assert (first.total("kept", "INR"), second.total("kept", "INR")) == (
        Money.of(7000, "INR"),
        Money.of(2000, "INR"),
    )


def test_the_status_flow_is_the_seeds(desk: Desk) -> None:
    # "PENDING -> CONFIRMED -> COMPLETED, CONFIRMED -> CANCELLED, CONFIRMED -> NO_SHOW" (and a
    # pending booking is cancelled too, DELETE /sessions/:id); a client misses a consultation
    # only once its time has come; a completed, cancelled or missed one stays as it is.
    kit, tenant = desk.c.kit, PRIYA.tenant
    made = [desk.paid(email=f"{n}@example.com") for n in ("asha", "meera", "dev", "kiran")]
    asha, meera, dev, kiran = (b.session.id for b in made)
    for trigger in ("complete", "no_show"):
        with pytest.raises(InvalidTransition) as pending:
            kit.sessions.fire(tenant, asha, trigger, actor="priya")
        assert (pending.value.status, pending.value.allowed) == ("PENDING", ("confirm", "cancel"))
    assert kit.sessions.cancel(tenant, kiran, actor="priya").status == "CANCELLED"
    assert len(confirm_paid(desk.c, PRIYA)) == 3
    with pytest.raises(TransitionRefused, match="has not started yet"):
        kit.sessions.fire(tenant, meera, "no_show", actor="priya")
    desk.c.clock.set(max(b.session.end for b in made) + timedelta(minutes=5))
    statuses = {
        asha: kit.sessions.fire(tenant, asha, "complete", actor="priya").status,
        meera: kit.sessions.fire(tenant, meera, "no_show", actor="priya").status,
        dev: kit.sessions.cancel(tenant, dev, actor="priya").status,
        kiran: "CANCELLED",
    }
    assert statuses == {asha: "COMPLETED", meera: "NO_SHOW", dev: "CANCELLED", kiran: "CANCELLED"}
    for session_id, status in statuses.items():
        for trigger in ("confirm", "complete", "cancel", "no_show"):
            with pytest.raises(InvalidTransition) as done:
                kit.sessions.fire(tenant, session_id, trigger, actor="priya")
            assert (done.value.status, done.value.allowed) == (status, ())
    assert {s: kit.queries.get(tenant, s).status for s in statuses} == statuses
