"""Analytics: counts, rates, revenue, progress, clients, attendance and usage, by the store.

``kit.analytics`` asks the store's :class:`~sessionkit.ports.AnalyticsReader`
for a few aggregate rows per figure (one or two ``GROUP BY`` statements in
SQL) and turns them into the values of :mod:`sessionkit.model.analytics`;
no session, booking or payment is loaded into Python, but for the no-show
sessions ``clients`` reads with their attendance (a host's no-show is not
the client's). Every definition (what
counts as held, rescheduled, kept, on track) is in ``docs/analytics.md``.

This module owns :class:`Analytics` and its figures of sessions, money,
attendance and usage; the checks every figure makes of its grouping, window,
scope and outcomes are in :mod:`sessionkit.services._analytics_scope`, and the
per-client figures (:meth:`Analytics.clients`, a method its class body takes
as an attribute) in :mod:`sessionkit.services._analytics_clients`.
"""

from __future__ import annotations

import functools
from datetime import datetime

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import plain_int, shown
from sessionkit.model.analytics import (
    COUNT_DIMENSIONS,
    REVENUE_DIMENSIONS,
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
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import MOVED_STATUSES
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.ports import ANALYTICS, AnalyticsReader
from sessionkit.services import _analytics_clients
from sessionkit.services._analytics_money import revenue_row
from sessionkit.services._analytics_scope import (
    check_by,
    chosen_outcomes,
    scope_of,
    sort_key,
    window_ends,
)
from sessionkit.services._analytics_use import attendance_stats, subscription_use
from sessionkit.services._context import Context, Tx
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.services.queries import known_session_statuses

__all__ = ["Analytics"]


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
        chosen = scope_of(query, start_from, start_to)
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
        check_by(by, COUNT_DIMENSIONS)
        chosen = self._scope(scope, start_from, start_to)
        with self._ctx.transaction() as tx:
            rows = self._reader(tx).status_counts(
                tenant, chosen, by=by, seat_statuses=SEAT_STATUSES, at=tx.now
            )
        rows.sort(key=lambda r: (sort_key(r.key), r.status))
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
        check_by(by, COUNT_DIMENSIONS)
        chosen = self._scope(scope, start_from, start_to)
        kinds = chosen_outcomes(self._ctx, outcomes)
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
            for key, statuses in sorted(groups.items(), key=lambda item: sort_key(item[0]))
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
        check_by(by, REVENUE_DIMENSIONS)
        lo, hi = window_ends(start_from, start_to)
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
                grouped.items(), key=lambda item: (sort_key(item[0][0]), item[0][1])
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
        kinds = chosen_outcomes(self._ctx, outcomes)
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

    clients = _analytics_clients.clients

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
        lists them. A session in a status its lifecycle marks cancelled (its
        status now, as ``for_session`` without ``as_of`` judges it) expected
        nobody: neither its bookings nor its resources are records of it,
        only presence and overrides are. The
        store sums each record's presence (one statement); the status and
        minutes are the teacher's when given, else derived by the kit's
        attendance thresholds. ``outcomes`` says which session statuses are
        held (completed or no-show) for the no-show rate.
        """
        check_tenant(tenant)
        check_actor(actor)
        check_by(by, COUNT_DIMENSIONS)
        chosen = self._scope(scope, start_from, start_to)
        kinds = chosen_outcomes(self._ctx, outcomes)
        ctx = self._ctx
        # As kit.attendance.for_session: a session its lifecycle marks cancelled expected nobody.
        lifecycles = ctx.lifecycles
        cancelled = [(n, s) for n in lifecycles for s in lifecycles.get(n).cancelled_statuses]
        with ctx.transaction() as tx:
            read_totals = functools.partial(
                self._reader(tx).attendance_totals,
                tenant,
                chosen,
                by=by,
                booked_statuses=(CONFIRMED,),
                attendee_kinds=self._attendee_kinds,
            )
            # Passed only when it says something: a reader of its own written before the
            # keyword keeps working for a kit whose lifecycles cancel nothing, where it is moot.
            totals = read_totals(cancelled=cancelled) if cancelled else read_totals()
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
        check_by(by, USAGE_DIMENSIONS, optional=False)
        who = None if subscriber is None else str(participant_ref(subscriber))
        with self._ctx.transaction(now) as tx:
            at = tx.now
            totals = self._reader(tx).usage_totals(tenant, subscriber=who)
        return subscription_use(tenant, by, totals, at)


# The method the class body took from _analytics_clients shows as its own, and its type hints
# (``self: Analytics``) resolve there: FastAPI and get_type_hints read them.
Analytics.clients.__module__, Analytics.clients.__qualname__ = __name__, "Analytics.clients"
vars(_analytics_clients)["Analytics"] = Analytics
