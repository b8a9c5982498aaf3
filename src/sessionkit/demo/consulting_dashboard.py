"""The consulting demo's dashboard: the seed's summary figures from the library's paged reads.

Sessions by status, payments by status, revenue (paid, pending, refunded),
a session list with each session's payment status beside its own, and
per-client totals with the repeat clients. Everything is read through
``kit.queries`` and ``kit.payments.list`` page by page; analytics proper
(rates, trends) is a later issue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

import attrs

from sessionkit.demo._common import every_payment, every_session
from sessionkit.demo.consulting import (
    CONSULTANTS,
    Consultant,
    Consulting,
)
from sessionkit.model.money import Money, sum_money
from sessionkit.model.payment import CANCELLED, FAILED, OPEN_PAYMENT_STATUSES, REFUNDED, Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.zones import get_zone

__all__ = ["ClientTotals", "Dashboard", "client_name", "counts", "dashboard", "lines", "when"]

_LOST = frozenset({FAILED, CANCELLED, REFUNDED})
"""Payments of sessions that did not take place: declined, released, cancelled and refunded."""


def when(session: Session) -> str:
    """Return the session's start in its own zone and its length."""
    local = session.start.astimezone(get_zone(session.tz))
    return f"{local:%a %d %b %H:%M %Z} ({session.span.duration // timedelta(minutes=1)} min)"


def counts(counter: Counter[str]) -> str:
    """Return ``"2 CANCELLED, 5 COMPLETED"`` for a counter of statuses."""
    return ", ".join(f"{n} {status}" for status, n in sorted(counter.items())) or "none"


def client_name(c: Consulting, payment: Payment) -> str:
    """Return the name the client gave when booking (kept in the booking's metadata)."""
    booking = c.kit.bookings.get(payment.tenant, payment.booking_id)
    return str(booking.metadata.get("name", booking.participant.id))


@attrs.frozen
class ClientTotals:
    """One client of a consultant: her sessions that took place or will, paid and pending."""

    email: str
    name: str
    sessions: int
    paid: Money
    pending: Money


@attrs.frozen
class Dashboard:
    """The seed's summary figures for one consultant."""

    sessions: Counter[str]
    payments: Counter[str]
    paid: Money
    pending: Money
    refunded: Money
    clients: tuple[ClientTotals, ...]

    @property
    def repeat_clients(self) -> tuple[ClientTotals, ...]:
        """Clients with more than one session."""
        return tuple(c for c in self.clients if c.sessions > 1)


def _open(payments: Iterable[Payment], currency: str) -> Money:
    return sum_money((p.amount for p in payments if p.status in OPEN_PAYMENT_STATUSES), currency)


def dashboard(c: Consulting, who: Consultant) -> Dashboard:
    """Return ``who``'s figures: sessions and payments by status, revenue, clients.

    Revenue paid is what came in and stays (refunds taken off), pending what
    open payments still ask for, refunded what went back.
    """
    currency = who.rate.currency
    payments = list(every_payment(c.kit, who.tenant))
    by_client: dict[str, list[Payment]] = {}
    for payment in payments:
        by_client.setdefault(payment.participant.id, []).append(payment)
    clients = tuple(
        ClientTotals(
            email=email,
            name=client_name(c, mine[0]),
            sessions=sum(1 for p in mine if p.status not in _LOST),
            paid=sum_money((p.kept for p in mine), currency),
            pending=_open(mine, currency),
        )
        for email, mine in sorted(by_client.items())
    )
    return Dashboard(
        sessions=Counter(s.status for s in every_session(c.kit, who.tenant)),
        payments=Counter(p.status for p in payments),
        paid=sum_money((p.kept for p in payments), currency),
        pending=_open(payments, currency),
        refunded=Money.of(sum((p.refunded for p in payments), Decimal(0)), currency),
        clients=clients,
    )


def lines(c: Consulting) -> list[str]:
    """Return every consultant's dashboard: figures, sessions beside payments, clients."""
    out: list[str] = []
    for who in CONSULTANTS:
        board = dashboard(c, who)
        revenue = f"paid {board.paid}, pending {board.pending}, refunded {board.refunded}"
        out += [
            "",
            f"Dashboard of {who.name} (tenant {who.tenant}):",
            f"  sessions by status   {counts(board.sessions)}",
            f"  payments by status   {counts(board.payments)}",
            f"  revenue              {revenue}",
            f"  {'session':<31} {'client':<12} {'status':<10} {'payment':<9} amount",
        ]
        payments = {p.session_id: p for p in every_payment(c.kit, who.tenant)}
        # By start, then by when each was made (a cancelled session before its rebooking).
        by_start = SessionQuery(order=[("start", "asc"), ("created", "asc")])
        for session in every_session(c.kit, who.tenant, by_start):
            payment = payments[session.id]
            out.append(
                f"  {when(session):<31} {client_name(c, payment):<12} {session.status:<10} "
                f"{payment.status:<9} {payment.amount} {payment.provider}"
            )
        out.append(f"  clients: {len(board.clients)}, {len(board.repeat_clients)} repeat")
        out += [
            f"    {client.name:<12} {client.email:<23} {client.sessions} session(s), "
            f"paid {client.paid}, pending {client.pending}"
            for client in board.clients
        ]
    return out
