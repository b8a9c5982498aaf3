"""Who the clients are: the per-client figures of :class:`~sessionkit.services.analytics.Analytics`.

Private to the services package. :func:`clients` is the ``clients`` method of
:class:`~sessionkit.services.analytics.Analytics` (its class body takes it as
an attribute): sessions booked, first and last, no-shows (a host's no-show,
which the attendance shows, is not the client's) and money, per client.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from sessionkit.model.analytics import ClientRow, ClientStats, Outcomes, PaymentTotal
from sessionkit.model.booking import SEAT_STATUSES
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.services._analytics_money import client_money
from sessionkit.services._analytics_scope import chosen_outcomes, window_ends
from sessionkit.services._outcomes import came_to_no_shows

if TYPE_CHECKING:
    from sessionkit.services.analytics import Analytics

__all__ = ["clients"]


def clients(
    self: Analytics,
    tenant: str,
    *,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    outcomes: Outcomes | None = None,
    actor: str | None = None,  # see class docstring
) -> ClientStats:
    """Return per client: sessions booked, first and last, repeat or not, no-shows, money.

    Over the bookings and payments of sessions starting in
    ``[start_from, start_to)`` (two statements). A client's no-show is a
    session of hers that ended in a status its lifecycle marks
    ``no_show`` (with ``outcomes``, one in its ``no_show`` statuses
    instead, as :meth:`rates` and :meth:`attendance` count them), unless
    its attendance shows her there: the host's no-show, not hers, as its
    refund and credits read it. Those sessions are read with their seats
    and attendance only when some client has one, a page of sessions at a
    time in batched reads (a few statements per page, none per session).
    """
    check_tenant(tenant)
    check_actor(actor)
    lo, hi = window_ends(start_from, start_to)
    lifecycles = self._ctx.lifecycles
    if outcomes is None:
        no_show = {
            (name, status)
            for name in lifecycles
            for status in lifecycles.get(name).no_show_statuses
        }
    else:
        named = chosen_outcomes(self._ctx, outcomes).no_show
        no_show = {(name, status) for name in lifecycles for status in named}
    with self._ctx.transaction() as tx:
        reader = self._reader(tx)
        booked = reader.client_bookings(
            tenant,
            statuses=SEAT_STATUSES,
            start_from=lo,
            start_to=hi,
            at=tx.now,
            no_show=no_show,
        )
        paid = reader.payment_totals(tenant, by="client", start_from=lo, start_to=hi, at=tx.now)
        # Not hers: a no-show session the attendance shows her at (the host's no-show).
        came = (
            came_to_no_shows(tx, tenant, start_from=lo, start_to=hi, no_show=no_show)
            if any(b.no_shows for b in booked)
            else Counter[str]()
        )
    money: dict[str, dict[str, list[PaymentTotal]]] = {}
    for total in paid:
        assert total.key is not None  # by="client" keys every row
        money.setdefault(total.key, {}).setdefault(total.currency, []).append(total)
    by_client = {b.client: b for b in booked}
    rows = []
    for client in sorted({*by_client, *money}):
        seen = by_client.get(client)
        rows.append(
            ClientRow(
                client=client,
                sessions=0 if seen is None else seen.sessions,
                first_session=None if seen is None else seen.first_session,
                last_session=None if seen is None else seen.last_session,
                no_shows=0 if seen is None else max(seen.no_shows - came[client], 0),
                money=tuple(
                    client_money(currency, totals)
                    for currency, totals in sorted(money.get(client, {}).items())
                ),
            )
        )
    return ClientStats(tenant=tenant, rows=tuple(rows))
