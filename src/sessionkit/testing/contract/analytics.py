"""The contract of the analytics reader: every adapter gives the same figures for the same data.

:class:`AnalyticsContract` stores one small, hand-counted data set (sessions
of two kinds on three resources, bookings of three clients, payments in two
currencies and every interesting status, reschedule requests moved and not,
and another tenant's session) through the repositories, then checks each
figure of ``kit.analytics`` against the counts written out here. Subclass
it once per adapter and implement ``make_store``; :func:`seed_analytics` is
public so a property test or a benchmark can reuse the data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.analytics import ClientMoney, ClientRow, RateRow
from sessionkit.model.booking import CANCELLED as BOOKING_CANCELLED
from sessionkit.model.booking import CONFIRMED, HELD, OFFERED, WAITLISTED, Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    AUTHORIZED,
    CANCELLED,
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    Payment,
)
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import APPROVED, AUTO_APPROVED, DECLINED
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, PAYMENTS, RESCHEDULES, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract._support import ANA as TEACHER_ANA
from sessionkit.testing.contract._support import (
    BEN,
    OTHER_TENANT,
    ROOM,
    T0,
    TENANT,
    ContractBase,
    make_session,
)
from sessionkit.testing.contract.reschedules import make_reschedule

__all__ = ["AnalyticsContract", "make_payment", "seed_analytics"]


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_payment(
    payment_id: str,
    booking: Booking,
    amount: str,
    currency: str = "EUR",
    *,
    status: str = PAID,
    provider: str = "card",
    refunded: str = "0",
) -> Payment:
    """Return the payment of ``booking`` of ``amount`` (text, exact) with ``status``."""
    return Payment(
        id=payment_id,
        tenant=booking.tenant,
        booking_id=booking.id,
        session_id=booking.session_id,
        participant=booking.participant,
        session_start=booking.session_start,
        amount=Money.of(amount, currency),
        provider=provider,
        status=status,
        refunded=Decimal(refunded),
        due=None,
        created_at=booking.created_at,
    )


def make_seat(booking_id: str, session: Session, client: str, status: str = CONFIRMED) -> Booking:
    """Return ``client``'s booking (``"kind:id"``) of one seat in ``session``."""
    return Booking(
        id=booking_id,
        tenant=session.tenant,
        session_id=session.id,
        participant=ResourceRef.parse(client),
        role="client",
        status=status,
        session_start=session.start,
        session_end=session.end,
        created_at=session.created_at,
    )


def _consulting(session: Session) -> Session:
    return attrs.evolve(session, lifecycle="consulting")


def seed_analytics(store: UnitOfWorkFactory) -> None:
    """Store the contract's data set (see the module docstring and the tests for its figures)."""
    sessions = [
        _consulting(make_session("s1", at=0, status="COMPLETED")),
        _consulting(make_session("s2", at=24, status="COMPLETED", resources=(TEACHER_ANA, ROOM))),
        _consulting(make_session("s3", at=48, status="NO_SHOW", resources=(BEN,))),
        _consulting(make_session("s4", at=72, status="CANCELLED", resources=(BEN,), busy=False)),
        attrs.evolve(make_session("s5", at=200, status="SCHEDULED"), lifecycle="coaching"),
        make_session("g1", tenant=OTHER_TENANT, at=0, status="COMPLETED"),
    ]
    s1, s2, s3, s4, s5, g1 = sessions
    seats = [
        make_seat("b1", s1, "client:x"),
        make_seat("b2", s2, "client:x"),
        make_seat("b3", s3, "client:y"),
        make_seat("b4", s4, "client:y", BOOKING_CANCELLED),
        make_seat("b5", s5, "client:z"),
        make_seat("g1", g1, "client:x"),
    ]
    b1, b2, b3, b4, b5, gb = seats
    payments = [
        make_payment("p1", b1, "60.00"),
        make_payment("p2", b2, "60.00", status=PARTIALLY_REFUNDED, refunded="20.00"),
        make_payment("p3", b3, "40.00", status=PENDING, provider="manual"),
        make_payment("p4", b4, "40.00", status=REFUNDED, refunded="40.00"),
        make_payment("p5", b5, "50.00", "USD", status=FAILED),
        make_payment("g1", gb, "999.99"),
    ]
    requests = [
        make_reschedule("r1", session_id="s2", status=APPROVED),
        make_reschedule("r2", session_id="s2", status=AUTO_APPROVED, created=1),
        make_reschedule("r3", session_id="s3", status=DECLINED),
        make_reschedule("r4", session_id="s5", status=APPROVED),
        make_reschedule("g1", tenant=OTHER_TENANT, session_id="g1", status=APPROVED),
    ]
    with store() as uow:
        uow.sessions.add_many(sessions)
        uow.repository(BOOKINGS).add_many(seats)
        uow.repository(PAYMENTS).add_many(payments)
        uow.repository(RESCHEDULES).add_many(requests)
        uow.commit()


class AnalyticsContract(ContractBase):
    """Every figure of ``kit.analytics`` on the seeded data set; implement ``make_store``."""

    @pytest.fixture
    def kit(self, store: UnitOfWorkFactory) -> SessionKit:
        """A kit over the store, with the data set stored and the clock at ``T0 + 100h``."""
        seed_analytics(store)
        return SessionKit(uow=store, clock=ManualClock(_at(100)))

    def test_counts_by_status_for_the_tenant_only(self, kit: SessionKit) -> None:
        """Sessions by status, the tenant's only; an unknown tenant has none."""
        counts = kit.analytics.counts(TENANT)
        assert counts.by_status() == {"CANCELLED": 1, "COMPLETED": 2, "NO_SHOW": 1, "SCHEDULED": 1}
        assert counts.to_records()[0] == {"key": None, "status": "CANCELLED", "sessions": 1}
        assert kit.analytics.counts(OTHER_TENANT).by_status() == {"COMPLETED": 1}
        assert kit.analytics.counts("nobody").rows == ()

    def test_counts_by_kind_resource_and_participant(self, kit: SessionKit) -> None:
        """Grouped by lifecycle, by each resource, by each seat holder."""
        by_kind = kit.analytics.counts(TENANT, by="kind")
        assert by_kind.keys() == ["coaching", "consulting"]
        assert by_kind.by_status("consulting") == {"CANCELLED": 1, "COMPLETED": 2, "NO_SHOW": 1}
        by_resource = kit.analytics.counts(TENANT, by="resource").to_records()
        assert [(r["key"], r["status"], r["sessions"]) for r in by_resource] == [
            ("room:r1", "COMPLETED", 1),
            ("teacher:ana", "COMPLETED", 2),
            ("teacher:ana", "SCHEDULED", 1),
            ("teacher:ben", "CANCELLED", 1),
            ("teacher:ben", "NO_SHOW", 1),
        ]
        by_participant = kit.analytics.counts(TENANT, by="participant")
        # y's cancelled booking holds no seat: her cancelled session is not hers any more.
        assert [(r.key, r.status, r.sessions) for r in by_participant.rows] == [
            ("client:x", "COMPLETED", 2),
            ("client:y", "NO_SHOW", 1),
            ("client:z", "SCHEDULED", 1),
        ]

    def test_counts_over_a_window_and_a_scope(self, kit: SessionKit) -> None:
        """A window on the start and a SessionQuery's filters pick the sessions."""
        window = kit.analytics.counts(TENANT, start_from=_at(24), start_to=_at(72))
        assert window.by_status() == {"COMPLETED": 1, "NO_SHOW": 1}
        scoped = kit.analytics.counts(TENANT, scope=SessionQuery(resources=[BEN]))
        assert scoped.by_status() == {"CANCELLED": 1, "NO_SHOW": 1}
        assert scoped.total == 2
        # A wider window never brings back what the scope's own bounds left out.
        bounded = SessionQuery(start_from=_at(24), start_to=_at(72))
        lo, hi = _at(-100), _at(1000)
        wide = kit.analytics.counts(TENANT, scope=bounded, start_from=lo, start_to=hi)
        assert wide.by_status() == {"COMPLETED": 1, "NO_SHOW": 1}
        rates = kit.analytics.rates(TENANT, scope=bounded, start_from=lo, start_to=hi)
        assert rates.get().sessions == 2
        narrower = kit.analytics.counts(TENANT, scope=bounded, start_from=_at(48))
        assert narrower.by_status() == {"NO_SHOW": 1}

    @pytest.mark.parametrize(
        ("nothing", "everything"),
        [
            (SessionQuery(resources=[]), SessionQuery(resources=None)),
            (SessionQuery(statuses=[]), SessionQuery(statuses=None)),
        ],
        ids=["resources", "statuses"],
    )
    def test_an_empty_any_of_scope_counts_no_session(
        self, kit: SessionKit, nothing: SessionQuery, everything: SessionQuery
    ) -> None:
        """A scope's ``resources=[]`` or ``statuses=[]`` picks no session; ``None``, every one.

        Each figure over it is empty, however grouped, and a package so
        scoped has no session: a dashboard's empty selection of teachers.
        """
        assert kit.analytics.counts(TENANT, scope=everything).total == 5
        for by in (None, "kind", "resource", "participant"):
            assert kit.analytics.counts(TENANT, by=by, scope=nothing).rows == ()
            assert kit.analytics.rates(TENANT, by=by, scope=nothing).rows == ()
            assert kit.analytics.attendance(TENANT, by=by, scope=nothing).rows == ()
        progress = kit.analytics.progress(TENANT, nothing)
        assert (progress.total, progress.sessions, progress.due) == (0, 0, 0)

    def test_a_scope_searching_own_fields_counts_what_the_query_lists(
        self, store: UnitOfWorkFactory, kit: SessionKit
    ) -> None:
        """A scope's ``search_fields`` pick the sessions ``kit.queries`` lists, beyond ASCII too.

        Each store lowers an own field's text as its queries do (SQLite only
        ASCII letters, PostgreSQL ``İ`` as one ``i``), its figures so too.
        """
        texts = ["ÉMILE@exämple.com", "İstanbul Office", "ΣΟΦΙΑ"]
        with store() as uow:
            uow.sessions.add_many(
                [
                    attrs.evolve(make_session(f"sf{n}", at=n, resources=()), metadata={"client": t})
                    for n, t in enumerate(texts)
                ]
            )
            uow.commit()
        found: dict[str, tuple[int, int]] = {}
        for needle in [*texts, "émile@", "istanbul", "σοφια"]:
            scope = SessionQuery(search=needle, search_fields=["client"])
            listed = kit.queries.list(TENANT, scope).total
            found[needle] = (listed, kit.analytics.counts(TENANT, scope=scope).total)
        assert [found[text] for text in texts] == [(1, 1)] * 3
        assert {n: listed for n, (listed, _) in found.items()} == {
            n: counted for n, (_, counted) in found.items()
        }

    def test_rates_count_a_rescheduled_session_once_and_not_as_cancelled(
        self, kit: SessionKit
    ) -> None:
        """Two moving requests make one rescheduled session, which stays uncancelled."""
        rates = kit.analytics.rates(TENANT)
        assert rates.get() == RateRow(
            key=None, sessions=5, completed=2, no_show=1, cancelled=1, rescheduled=2
        )
        row = rates.get()
        assert (row.held, row.completion_rate, row.no_show_rate) == (3, 2 / 3, 1 / 3)
        assert (row.cancellation_rate, row.reschedule_rate) == (0.2, 0.4)
        by_resource = {
            r.key: (r.sessions, r.rescheduled)
            for r in kit.analytics.rates(TENANT, by="resource").rows
        }
        assert by_resource == {"room:r1": (1, 1), "teacher:ana": (3, 2), "teacher:ben": (2, 0)}
        by_participant = kit.analytics.rates(TENANT, by="participant")
        assert by_participant.get("client:x").rescheduled == 1
        assert by_participant.get("nobody").completion_rate is None

    def test_revenue_per_currency_and_provider(self, kit: SessionKit) -> None:
        """Booked, paid, refunded, kept and pending, exact, per currency and group."""
        revenue = kit.analytics.revenue(TENANT)
        assert revenue.to_records() == [
            {
                "key": None,
                "currency": "EUR",
                "payments": 4,
                "booked": Decimal(200),
                "paid": Decimal(160),
                "refunded": Decimal(60),
                "refund_due": Decimal(0),
                "kept": Decimal(100),
                "pending": Decimal(40),
            },
            {
                "key": None,
                "currency": "USD",
                "payments": 1,
                "booked": Decimal(0),
                "paid": Decimal(0),
                "refunded": Decimal(0),
                "refund_due": Decimal(0),
                "kept": Decimal(0),
                "pending": Decimal(0),
            },
        ]
        assert revenue.total("kept", "EUR") == Money.of("100.00", "EUR")
        # In the currency's places whichever store summed them (SQL sums carry six).
        assert [str(revenue.rows[0].booked), str(revenue.rows[1].pending)] == ["200.00", "0.00"]
        by_provider = kit.analytics.revenue(TENANT, by="provider")
        assert [(r.key, r.currency, r.payments, r.kept, r.pending) for r in by_provider.rows] == [
            ("card", "EUR", 3, Decimal(100), Decimal(0)),
            ("card", "USD", 1, Decimal(0), Decimal(0)),
            ("manual", "EUR", 1, Decimal(0), Decimal(40)),
        ]
        by_status = {r.key: r.payments for r in kit.analytics.revenue(TENANT, by="status").rows}
        assert by_status == {FAILED: 1, PAID: 1, PARTIALLY_REFUNDED: 1, PENDING: 1, REFUNDED: 1}
        window = kit.analytics.revenue(TENANT, start_from=_at(24), start_to=_at(49))
        assert [(r.currency, r.booked, r.kept) for r in window.rows] == [
            ("EUR", Decimal(100), Decimal(40))
        ]

    def test_client_statistics(self, kit: SessionKit) -> None:
        """Sessions held, first and last, repeat or not, no-shows, and money per currency."""
        stats = kit.analytics.clients(TENANT)
        assert stats.rows == (
            ClientRow(
                client="client:x",
                sessions=2,
                first_session=_at(0),
                last_session=_at(24),
                money=(
                    ClientMoney(
                        currency="EUR", paid=Decimal(100), pending=Decimal(0), refunded=Decimal(20)
                    ),
                ),
            ),
            ClientRow(
                client="client:y",
                sessions=1,
                first_session=_at(48),
                last_session=_at(48),
                money=(
                    ClientMoney(
                        currency="EUR", paid=Decimal(0), pending=Decimal(40), refunded=Decimal(40)
                    ),
                ),
                no_shows=1,  # its session ended NO_SHOW (consulting's no-show status)
            ),
            ClientRow(
                client="client:z",
                sessions=1,
                first_session=_at(200),
                last_session=_at(200),
                money=(
                    ClientMoney(
                        currency="USD", paid=Decimal(0), pending=Decimal(0), refunded=Decimal(0)
                    ),
                ),
            ),
        )
        assert [r.client for r in stats.repeat_clients] == ["client:x"]
        assert stats.to_records()[0]["repeat"] is True
        assert [r["no_shows"] for r in stats.to_records()] == [0, 1, 0]
        assert len(stats.to_records()) == 3

    def test_holds_that_ran_out_count_in_no_figure(
        self, kit: SessionKit, store: UnitOfWorkFactory
    ) -> None:
        """A hold or offer past its expiry counts nowhere, whether or not a job marked it.

        At the clock's ``T0 + 100h``, w's hold ran out an hour ago and u's offer
        runs out at that very instant; v's hold runs another hour. Their
        payments are open; those of w and u count as CANCELLED, as the expiry
        job leaves them, so they are neither booked nor pending.
        """
        group = attrs.evolve(make_session("s6", at=150, resources=(BEN,)), capacity=4)
        with store() as uow:
            uow.sessions.add(group)
            seats = [
                attrs.evolve(make_seat("bw", group, "client:w", HELD), hold_expires_at=_at(99)),
                attrs.evolve(make_seat("bu", group, "client:u", OFFERED), hold_expires_at=_at(100)),
                attrs.evolve(make_seat("bv", group, "client:v", HELD), hold_expires_at=_at(101)),
            ]
            uow.repository(BOOKINGS).add_many(seats)
            bw, bu, bv = seats
            uow.repository(PAYMENTS).add_many(
                [
                    make_payment("pw", bw, "30.00", status=PENDING),
                    make_payment("pu", bu, "20.00", status=AUTHORIZED),
                    make_payment("pv", bv, "25.00", status=PENDING),
                ]
            )
            uow.commit()
        by_participant = kit.analytics.counts(TENANT, by="participant")
        assert by_participant.keys() == ["client:v", "client:x", "client:y", "client:z"]
        rates = kit.analytics.rates(TENANT, by="participant")
        assert [r.key for r in rates.rows] == ["client:v", "client:x", "client:y", "client:z"]
        (revenue,) = [r for r in kit.analytics.revenue(TENANT).rows if r.currency == "EUR"]
        assert (revenue.payments, revenue.booked, revenue.pending) == (
            7,
            Decimal(225),
            Decimal(65),
        )
        by_status = {r.key: r.payments for r in kit.analytics.revenue(TENANT, by="status").rows}
        assert (by_status[CANCELLED], by_status[PENDING]) == (2, 2)
        assert AUTHORIZED not in by_status
        clients = {r.client: r for r in kit.analytics.clients(TENANT).rows}
        assert (clients["client:v"].sessions, clients["client:w"].sessions) == (1, 0)
        assert clients["client:w"].money == (
            ClientMoney(currency="EUR", paid=Decimal(0), pending=Decimal(0), refunded=Decimal(0)),
        )
        assert str(clients["client:v"].money[0].pending) == "25.00"
        earlier = SessionKit(uow=store, clock=ManualClock(_at(98)))
        assert earlier.analytics.counts(TENANT, by="participant").keys() == [
            "client:u",
            "client:v",
            "client:w",
            "client:x",
            "client:y",
            "client:z",
        ]
        assert earlier.analytics.revenue(TENANT).total("pending", "EUR") == Money.of("115", "EUR")

    def test_a_payment_waiting_for_a_seat_counts_in_no_figure(
        self, kit: SessionKit, store: UnitOfWorkFactory
    ) -> None:
        """A waitlisted booking's payment, or an unclaimed offer's, asks for no money yet.

        ``kit.payments.book(waitlist=True)`` fixes the price in a PENDING
        payment without an intent: w's (card) and m's (manual) wait on the
        waitlist, o's offer is not claimed. c claimed hers (its intent is
        due), and n's manual offer is collected by hand: those two count.
        """
        group = attrs.evolve(make_session("s7", at=150, resources=(BEN,)), capacity=3)
        with store() as uow:
            uow.sessions.add(group)
            ends = _at(120)
            seats = [
                attrs.evolve(make_seat("bw", group, "client:w", WAITLISTED), position=1),
                attrs.evolve(make_seat("bm", group, "client:m", WAITLISTED), position=2),
                attrs.evolve(
                    make_seat("bo", group, "client:o", OFFERED), position=3, hold_expires_at=ends
                ),
                attrs.evolve(
                    make_seat("bc", group, "client:c", OFFERED), position=4, hold_expires_at=ends
                ),
                attrs.evolve(
                    make_seat("bn", group, "client:n", OFFERED), position=5, hold_expires_at=ends
                ),
            ]
            uow.repository(BOOKINGS).add_many(seats)
            bw, bm, bo, bc, bn = seats
            uow.repository(PAYMENTS).add_many(
                [
                    make_payment("pw", bw, "30.00", status=PENDING),
                    make_payment("pm", bm, "30.00", status=PENDING, provider="manual"),
                    make_payment("po", bo, "30.00", status=PENDING),
                    attrs.evolve(make_payment("pc", bc, "25.00", status=PENDING), due="create"),
                    make_payment("pn", bn, "15.00", status=PENDING, provider="manual"),
                ]
            )
            uow.commit()
        (revenue,) = [r for r in kit.analytics.revenue(TENANT).rows if r.currency == "EUR"]
        assert (revenue.payments, revenue.booked, revenue.pending) == (
            6,
            Decimal(240),
            Decimal(80),
        )
        by_status = {r.key: r.payments for r in kit.analytics.revenue(TENANT, by="status").rows}
        assert by_status[PENDING] == 3
        money = {
            r.client: [(m.currency, m.pending) for m in r.money]
            for r in kit.analytics.clients(TENANT).rows
            if r.client in {"client:w", "client:m", "client:o", "client:c", "client:n"}
        }
        # o's offer holds a seat, so she is a client of the session, with nothing to pay yet.
        assert money == {
            "client:o": [],
            "client:c": [("EUR", Decimal(25))],
            "client:n": [("EUR", Decimal(15))],
        }

    def test_a_waiting_payment_whose_place_ran_out_counts_as_the_job_leaves_it(
        self, kit: SessionKit, store: UnitOfWorkFactory
    ) -> None:
        """Offers past their claim window and waitlist places of a started session.

        Their payments count CANCELLED at once, as the expiry job leaves them:
        the figures are the same before the job runs and after.
        """
        group = attrs.evolve(make_session("s8", at=150, resources=(BEN,)), capacity=3)
        with store() as uow:
            uow.sessions.add(group)
            seats = [
                attrs.evolve(make_seat("qw", group, "client:qw", WAITLISTED), position=1),
                attrs.evolve(
                    make_seat("qo", group, "client:qo", OFFERED),
                    position=2,
                    hold_expires_at=_at(120),
                ),
            ]
            uow.repository(BOOKINGS).add_many(seats)
            uow.repository(PAYMENTS).add_many(
                [
                    make_payment("xw", seats[0], "30.00", status=PENDING),
                    make_payment("xo", seats[1], "30.00", status=PENDING),
                ]
            )
            uow.commit()

        def figures(at: float) -> object:
            analytics = SessionKit(uow=store, clock=ManualClock(_at(at))).analytics
            return (
                analytics.revenue(TENANT, by="status").rows,
                analytics.revenue(TENANT, by="client").rows,
                analytics.clients(TENANT).rows,
            )

        waiting = {r.key for r in kit.analytics.revenue(TENANT, by="client").rows}
        assert {"client:qw", "client:qo"}.isdisjoint(waiting)  # both still wait at 100h
        ran_out = figures(151)  # the offer ran out at 120h, the session started at 150h
        clients = {r.key for r in ran_out[1]}  # type: ignore[index]  # the tuple above
        assert {"client:qw", "client:qo"} <= clients
        SessionKit(uow=store, clock=ManualClock(_at(151))).expire_holds(TENANT)
        assert figures(151) == ran_out

    def test_progress_of_a_package(self, kit: SessionKit) -> None:
        """Completed of total, what was due by now, and on track or not."""
        ana = kit.analytics.progress(TENANT, SessionQuery(resources=[TEACHER_ANA]))
        assert (ana.total, ana.completed, ana.due, ana.remaining, ana.on_track) == (
            3,
            2,
            2,
            1,
            True,
        )
        assert ana.ratio == 2 / 3
        ben = kit.analytics.progress(TENANT, SessionQuery(resources=[BEN]), total=4)
        assert (ben.sessions, ben.cancelled, ben.no_show, ben.due) == (1, 1, 1, 1)
        assert (ben.remaining, ben.on_track) == (4, False)
        later = kit.analytics.progress(TENANT, SessionQuery(resources=[TEACHER_ANA]), now=_at(300))
        assert (later.due, later.on_track) == (3, False)

    def test_bad_arguments_are_refused_with_what_was_expected(self, kit: SessionKit) -> None:
        """A bad dimension, scope or total is a SessionKitError naming it."""
        with pytest.raises(InvalidValue) as bad:
            kit.analytics.counts(TENANT, by="colour")  # type: ignore[arg-type]
        assert bad.value.value == "colour"
        with pytest.raises(WrongType):
            kit.analytics.rates(TENANT, scope="all")  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            kit.analytics.progress(TENANT, SessionQuery(), total=-1)
