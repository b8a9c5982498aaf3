"""The consulting demo's dashboard: the seed's summary figures, computed by the store.

Sessions by status, payments by status, revenue (paid, pending, refunded),
completion and no-show rates, and per-client totals (no-shows too, not the
consultant's) with the repeat clients come from ``kit.analytics`` (a few
``GROUP BY`` rows each; only no-show sessions are read one by one, with their
attendance); the session list beside them, with each session's
payment status, is read through ``kit.queries`` and ``kit.payments.list``.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import attrs

from sessionkit.demo.consulting import (
    CONSULTANTS,
    Consultant,
    Consulting,
)
from sessionkit.model.analytics import RateRow
from sessionkit.model.money import Money
from sessionkit.model.payment import Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.zones import get_zone

__all__ = ["ClientTotals", "Dashboard", "client_name", "counts", "dashboard", "lines", "when"]


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
    """One client of a consultant: her sessions that took place or will, no-shows, paid, pending."""

    email: str
    name: str
    sessions: int
    paid: Money
    pending: Money
    no_shows: int = 0


@attrs.frozen
class Dashboard:
    """The seed's summary figures for one consultant."""

    sessions: Counter[str]
    payments: Counter[str]
    paid: Money
    pending: Money
    refunded: Money
    clients: tuple[ClientTotals, ...]
    rates: RateRow

    @property
    def repeat_clients(self) -> tuple[ClientTotals, ...]:
        """Clients with more than one session."""
        return tuple(c for c in self.clients if c.sessions > 1)


def _names(c: Consulting, tenant: str) -> dict[str, str]:
    """Return each paying client's name (given when booking), by participant reference."""
    names: dict[str, str] = {}
    for payment in c.kit.payments.each(tenant):
        key = str(payment.participant)
        if key not in names:
            names[key] = client_name(c, payment)
    return names


def dashboard(c: Consulting, who: Consultant) -> Dashboard:
    """Return ``who``'s figures: sessions and payments by status, revenue, rates, clients.

    Revenue paid is what came in and stays (refunds taken off), pending what
    open payments still ask for, refunded what went back. A client's
    sessions are those she holds a seat in (cancelled ones are not).
    """
    currency = who.rate.currency
    analytics = c.kit.analytics
    revenue = analytics.revenue(who.tenant)
    by_status = analytics.revenue(who.tenant, by="status")
    stats = analytics.clients(who.tenant)
    names = _names(c, who.tenant)
    clients = []
    for row in stats.rows:
        money = next((m for m in row.money if m.currency == currency), None)
        clients.append(
            ClientTotals(
                email=row.client.partition(":")[2],
                name=names.get(row.client, row.client),
                sessions=row.sessions,
                no_shows=row.no_shows,
                paid=Money.of(0 if money is None else money.paid, currency),
                pending=Money.of(0 if money is None else money.pending, currency),
            )
        )
    return Dashboard(
        sessions=Counter(analytics.counts(who.tenant).by_status()),
        payments=Counter({r.key or "": r.payments for r in by_status.rows}),
        paid=revenue.total("kept", currency),
        pending=revenue.total("pending", currency),
        refunded=revenue.total("refunded", currency),
        clients=tuple(clients),
        rates=analytics.rates(who.tenant).get(),
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


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
            (
                f"  rates                completion {_pct(board.rates.completion_rate)}, no-show "
                f"{_pct(board.rates.no_show_rate)} of {board.rates.held} held; cancellation "
                f"{_pct(board.rates.cancellation_rate)} of {board.rates.sessions}"
            ),
            f"  {'session':<31} {'client':<12} {'status':<10} {'payment':<9} amount",
        ]
        payments = {p.session_id: p for p in c.kit.payments.each(who.tenant)}
        # By start, then by when each was made (a cancelled session before its rebooking).
        by_start = SessionQuery(order=[("start", "asc"), ("created", "asc")])
        for session in c.kit.queries.each(who.tenant, by_start):
            payment = payments[session.id]
            out.append(
                f"  {when(session):<31} {client_name(c, payment):<12} {session.status:<10} "
                f"{payment.status:<9} {payment.amount} {payment.provider}"
            )
        out.append(f"  clients: {len(board.clients)}, {len(board.repeat_clients)} repeat")
        out += [
            f"    {client.name:<12} {client.email:<23} {client.sessions} session(s), "
            f"{client.no_shows} no-show(s), paid {client.paid}, pending {client.pending}"
            for client in board.clients
        ]
    return out
