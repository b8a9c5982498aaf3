"""Analytics: counts, rates, revenue, progress, clients, attendance and usage, by the store.

``kit.analytics`` asks the store's :class:`~sessionkit.ports.AnalyticsReader`
for a few aggregate rows per figure (one or two ``GROUP BY`` statements in
SQL) and turns them into the values of :mod:`sessionkit.model.analytics`;
no session, booking or payment is loaded into Python, but for the no-show
sessions ``clients`` reads with their attendance (a host's no-show is not
the client's). Every definition (what
counts as held, rescheduled, kept, on track) is in ``docs/analytics.md``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import plain_int, shown
from sessionkit.model.analytics import (
    COUNT_DIMENSIONS,
    REVENUE_DIMENSIONS,
    ClientRow,
    ClientStats,
    CountBy,
    Counts,
    Outcomes,
    PaymentTotal,
    Progress,
    RateRow,
    Rates,
    Revenue,
    RevenueBy,
)
from sessionkit.model.analytics_use import (
    USAGE_DIMENSIONS,
    AttendanceStats,
    SubscriptionUse,
    UsageBy,
)
from sessionkit.model.booking import CONFIRMED, SEAT_STATUSES, participant_ref
from sessionkit.model.query import SessionQuery, check_window_order
from sessionkit.model.reschedule import MOVED_STATUSES
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.ports import ANALYTICS, AnalyticsReader
from sessionkit.services._analytics_money import client_money, revenue_row
from sessionkit.services._analytics_use import attendance_stats, subscription_use
from sessionkit.services._context import Context, Tx
from sessionkit.services._outcomes import came_to_no_shows
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.services.queries import known_session_statuses
from sessionkit.zones import check_instant

__all__ = ["Analytics"]


def _sort_key(key: str | None) -> tuple[bool, str]:
    return (key is not None, key or "")


def _check_by(value: object, allowed: tuple[str, ...], *, optional: bool = True) -> None:
    if value is None and optional:
        return
    choices = ", ".join(allowed)
    if not isinstance(value, str):
        raise WrongType(
            value, name="by", expected=f"None or one of {choices}" if optional else choices
        )
    if value not in allowed:
        raise InvalidValue(
            f"cannot group by {shown(value)}; choose one of {choices}"
            + (" (or None)" if optional else ""),
            value=value,
            expected=", ".join(allowed),
        )


def _optional_instant(value: object, name: str) -> datetime | None:
    return None if value is None else check_instant(value, name)


def _window(start_from: object, start_to: object) -> tuple[datetime | None, datetime | None]:
    """The window's ends, checked; ``InvalidWindow`` when its end is before its start.

    Such a window matches nothing, so its figures were empty, as if there were no data.
    """
    lo = _optional_instant(start_from, "start_from")
    hi = _optional_instant(start_to, "start_to")
    check_window_order(lo, hi)
    return lo, hi


_PRESET_OUTCOMES = Outcomes()
_PRESET_STATUSES = (
    _PRESET_OUTCOMES.completed | _PRESET_OUTCOMES.no_show | _PRESET_OUTCOMES.cancelled
)
"""The default outcomes' statuses: every preset's, whichever lifecycles a kit registered."""


def _outcomes(ctx: Context, value: object) -> Outcomes:
    """Return ``value`` (the presets' for ``None``), its own statuses checked.

    ``UnknownStatus`` for a status of its own that no lifecycle of the kit has:
    a typo would count as no session, and say nothing.
    """
    if value is None:
        return _PRESET_OUTCOMES
    if not isinstance(value, Outcomes):
        raise WrongType(value, name="outcomes", expected="an Outcomes or None")
    named = value.completed | value.no_show | value.cancelled
    known_session_statuses(ctx, tuple(sorted(named - _PRESET_STATUSES)))
    return value


def _scope(query: object, start_from: object, start_to: object) -> SessionQuery:
    """Return the scope: ``query`` (all sessions for ``None``) narrowed by the window.

    The window only narrows: a scope with bounds of its own keeps the later
    start and the earlier end of the two, never sessions it left out. A
    window that misses the scope's bounds narrows it to an empty window at
    the later start (the two ends crossed, the scope was ``InvalidWindow``).
    """
    if query is not None and not isinstance(query, SessionQuery):
        raise WrongType(query, name="scope", expected="a SessionQuery or None")
    scope = SessionQuery() if query is None else query
    lo, hi = _window(start_from, start_to)
    if lo is not None and scope.start_from is not None:
        lo = max(scope.start_from, lo)
    if hi is not None and scope.start_to is not None:
        hi = min(scope.start_to, hi)
    first = scope.start_from if lo is None else lo
    last = scope.start_to if hi is None else hi
    if first is not None and last is not None and last < first:
        last = first  # nothing is in both: the empty [first, first) picks no session
    return attrs.evolve(scope, start_from=first, start_to=last)


class Analytics:
    """Figures over one tenant's sessions, bookings, payments, requests, attendance and usage.

    Each method reads in one unit of work (a consistent snapshot where the
    database gives one) and returns a frozen value with ``to_records()``.
    Sessions are picked by ``scope`` (a :class:`~sessionkit.model.query.SessionQuery`:
    its filters, not its order or paging) and ``start_from``/``start_to``
    (a window on the session start, narrowing the scope's own bounds). ``actor`` is
    accepted for the services' common shape and not recorded. ``attendance``
    is the kit's :class:`~sessionkit.services.attendance.AttendancePolicy`,
    whose thresholds and attendee kinds :meth:`attendance` applies as
    ``kit.attendance`` does.
    """

    def __init__(self, ctx: Context, attendance: AttendancePolicy | None = None) -> None:
        self._ctx = ctx
        policy = AttendancePolicy() if attendance is None else attendance
        self._thresholds = policy.thresholds
        self._attendee_kinds = policy.attendee_kinds

    def _reader(self, tx: Tx) -> AnalyticsReader:
        return tx.uow.repository(ANALYTICS)

    def _scope(self, query: object, start_from: object, start_to: object) -> SessionQuery:
        # A status no lifecycle has (a typo) is refused, as kit.queries refuses it: it
        # would match nothing, and its empty figures would look like no data.
        chosen = _scope(query, start_from, start_to)
        known_session_statuses(self._ctx, chosen.statuses)
        return chosen

    def counts(
        self,
        tenant: str,
        *,
        by: CountBy | None = None,
        scope: SessionQuery | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        actor: str | None = None,  # see class docstring
    ) -> Counts:
        """Return the sessions in scope counted by status, per group of ``by`` (one statement)."""
        check_tenant(tenant)
        check_actor(actor)
        _check_by(by, COUNT_DIMENSIONS)
        chosen = self._scope(scope, start_from, start_to)
        with self._ctx.transaction() as tx:
            rows = self._reader(tx).status_counts(
                tenant, chosen, by=by, seat_statuses=SEAT_STATUSES, at=tx.now
            )
        rows.sort(key=lambda r: (_sort_key(r.key), r.status))
        return Counts(tenant=tenant, by=by, rows=tuple(rows))

    def rates(
        self,
        tenant: str,
        *,
        by: CountBy | None = None,
        scope: SessionQuery | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        outcomes: Outcomes | None = None,
        actor: str | None = None,  # see class docstring
    ) -> Rates:
        """Return completion, no-show, cancellation and reschedule rates per group (two statements).

        ``outcomes`` says which statuses are completed, no-show and cancelled
        (default: the presets'). Groups with no session in scope are left out.
        """
        check_tenant(tenant)
        check_actor(actor)
        _check_by(by, COUNT_DIMENSIONS)
        chosen = self._scope(scope, start_from, start_to)
        kinds = _outcomes(self._ctx, outcomes)
        with self._ctx.transaction() as tx:
            reader = self._reader(tx)
            counted = reader.status_counts(
                tenant, chosen, by=by, seat_statuses=SEAT_STATUSES, at=tx.now
            )
            moved = reader.rescheduled(
                tenant,
                chosen,
                by=by,
                seat_statuses=SEAT_STATUSES,
                moved_statuses=MOVED_STATUSES,
                at=tx.now,
            )
        groups: dict[str | None, dict[str, int]] = {}
        for row in counted:
            group = groups.setdefault(row.key, {})
            group[row.status] = group.get(row.status, 0) + row.sessions
        rescheduled = {row.key: row.sessions for row in moved}
        rows = [
            RateRow(
                key=key,
                sessions=sum(statuses.values()),
                completed=sum(n for s, n in statuses.items() if s in kinds.completed),
                no_show=sum(n for s, n in statuses.items() if s in kinds.no_show),
                cancelled=sum(n for s, n in statuses.items() if s in kinds.cancelled),
                rescheduled=rescheduled.get(key, 0),
            )
            for key, statuses in sorted(groups.items(), key=lambda item: _sort_key(item[0]))
        ]
        return Rates(tenant=tenant, by=by, rows=tuple(rows))

    def revenue(
        self,
        tenant: str,
        *,
        by: RevenueBy | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        actor: str | None = None,  # see class docstring
    ) -> Revenue:
        """Return booked, paid, refunded, kept and pending amounts per group and currency.

        Over the payments of sessions starting in ``[start_from, start_to)``
        (one statement).
        """
        check_tenant(tenant)
        check_actor(actor)
        _check_by(by, REVENUE_DIMENSIONS)
        lo, hi = _window(start_from, start_to)
        with self._ctx.transaction() as tx:
            totals = self._reader(tx).payment_totals(
                tenant, by=by, start_from=lo, start_to=hi, at=tx.now
            )
        grouped: dict[tuple[str | None, str], list[PaymentTotal]] = {}
        for total in totals:
            grouped.setdefault((total.key, total.currency), []).append(total)
        rows = [
            revenue_row(key, currency, mine)
            for (key, currency), mine in sorted(
                grouped.items(), key=lambda item: (_sort_key(item[0][0]), item[0][1])
            )
        ]
        return Revenue(tenant=tenant, by=by, rows=tuple(rows))

    def progress(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        total: int | None = None,
        now: datetime | None = None,
        outcomes: Outcomes | None = None,
        actor: str | None = None,  # see class docstring
    ) -> Progress:
        """Return the progress of the package or contract whose sessions ``scope`` picks.

        ``total``: the sessions it promises (default: its sessions that are
        not cancelled); ``now`` (default: the clock) decides which sessions
        were due (one statement). ``scope`` is required: ``None`` is an
        ``InvalidValue`` (a forgotten package's query), not every session of
        the tenant; ask for those with ``SessionQuery()``.
        """
        check_tenant(tenant)
        check_actor(actor)
        if scope is None:
            raise InvalidValue(
                "progress() needs the scope of one package or contract, got scope=None; pass "
                "SessionQuery() to mean every session of the tenant",
                value=None,
                expected="a SessionQuery that picks the package's sessions",
            )
        chosen = self._scope(scope, None, None)
        total = plain_int(total)
        if total is not None and (
            isinstance(total, bool) or not isinstance(total, int) or total < 0
        ):
            raise InvalidValue(
                f"total must be None or a whole number of sessions >= 0, got {shown(total)}",
                value=total,
                expected="None or an int >= 0",
            )
        kinds = _outcomes(self._ctx, outcomes)
        with self._ctx.transaction(now) as tx:
            at = tx.now
            rows = self._reader(tx).timing(tenant, chosen, now=at)
        cancelled = sum(r.sessions for r in rows if r.status in kinds.cancelled)
        sessions = sum(r.sessions for r in rows) - cancelled
        return Progress(
            tenant=tenant,
            now=at,
            total=sessions if total is None else total,
            sessions=sessions,
            completed=sum(r.sessions for r in rows if r.status in kinds.completed),
            no_show=sum(r.sessions for r in rows if r.status in kinds.no_show),
            cancelled=cancelled,
            due=sum(r.sessions for r in rows if r.ended and r.status not in kinds.cancelled),
        )

    def clients(
        self,
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
        lo, hi = _window(start_from, start_to)
        lifecycles = self._ctx.lifecycles
        if outcomes is None:
            no_show = {
                (name, status)
                for name in lifecycles
                for status in lifecycles.get(name).no_show_statuses
            }
        else:
            named = _outcomes(self._ctx, outcomes).no_show
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

    def attendance(
        self,
        tenant: str,
        *,
        by: CountBy | None = None,
        scope: SessionQuery | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        outcomes: Outcomes | None = None,
        actor: str | None = None,  # see class docstring
    ) -> AttendanceStats:
        """Return attendance per group: records by effective status, attended minutes, no-shows.

        A record is one participant of one session in scope: whoever has
        presence, a teacher's override or a confirmed booking there, and the
        session's resources of the policy's ``attendee_kinds`` (expected, so
        absent when never there, pending while a session not over by its
        status has not ended by the kit's clock), as ``kit.attendance.for_session``
        lists them. The
        store sums each record's presence (one statement); the status and
        minutes are the teacher's when given, else derived by the kit's
        attendance thresholds. ``outcomes`` says which session statuses are
        held (completed or no-show) for the no-show rate.
        """
        check_tenant(tenant)
        check_actor(actor)
        _check_by(by, COUNT_DIMENSIONS)
        chosen = self._scope(scope, start_from, start_to)
        kinds = _outcomes(self._ctx, outcomes)
        with self._ctx.transaction() as tx:
            totals = self._reader(tx).attendance_totals(
                tenant,
                chosen,
                by=by,
                booked_statuses=(CONFIRMED,),
                attendee_kinds=self._attendee_kinds,
            )
        ctx = self._ctx
        over = {n: ctx.lifecycles.get(n).terminal_statuses for n in ctx.lifecycles}
        return attendance_stats(
            tenant, by, totals, self._thresholds, kinds, now=ctx.now(), over=over
        )

    def usage(
        self,
        tenant: str,
        *,
        by: UsageBy = "subscription",
        subscriber: ResourceRef | str | None = None,
        now: datetime | None = None,
        actor: str | None = None,  # see class docstring
    ) -> SubscriptionUse:
        """Return credits granted, used, returned and left per subscription, period or subscriber.

        Over the tenant's subscriptions (``subscriber``'s only, when given)
        and their usage ledger, counted per subscription and period by the
        store (one statement). The periods granted are those begun by ``now``
        (default: the clock) and any other with entries.
        """
        check_tenant(tenant)
        check_actor(actor)
        if by is None:
            raise InvalidValue(
                f"cannot group usage by None; choose one of {', '.join(USAGE_DIMENSIONS)}",
                value=by,
                expected=", ".join(USAGE_DIMENSIONS),
            )
        _check_by(by, USAGE_DIMENSIONS, optional=False)
        who = None if subscriber is None else str(participant_ref(subscriber))
        with self._ctx.transaction(now) as tx:
            at = tx.now
            totals = self._reader(tx).usage_totals(tenant, subscriber=who)
        return subscription_use(tenant, by, totals, at)
