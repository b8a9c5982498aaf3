"""The analytics contract's money figures: revenue, clients, and payments that wait or ran out.

Revenue per currency and group, each client's sessions and money, and the
payments no figure may count: a hold or offer past its expiry, a payment
waiting for a seat, one whose place ran out before the expiry job marked it. A
topic mixin of :class:`~sessionkit.testing.contract.analytics.AnalyticsContract`,
which gives these tests its ``kit`` (the data set of :mod:`._analytics_data`)
and is the class to subclass; kept in a module of its own by the style's size limit.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from sessionkit.model.analytics import ClientMoney, ClientRow
from sessionkit.model.booking import HELD, OFFERED, WAITLISTED
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    AUTHORIZED,
    CANCELLED,
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
)
from sessionkit.ports import BOOKINGS, PAYMENTS, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract._analytics_data import _at, make_payment, make_seat
from sessionkit.testing.contract._support import (
    BEN,
    TENANT,
    ContractBase,
    make_session,
)

__all__ = ["AnalyticsMoneyContract"]


class AnalyticsMoneyContract(ContractBase):
    """Revenue, client statistics, and the payments that count in no figure yet (or any more)."""

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
