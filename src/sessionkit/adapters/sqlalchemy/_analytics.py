"""Analytics in SQL: each aggregate is one ``GROUP BY`` statement the database computes.

The reader owns no table. It filters sessions with the same conditions
``SessionQuery`` pages use (:func:`~._query.session_filters`), so a scope finds
the same sessions here as in a listing. Amounts are summed exactly: NUMERIC
sums on PostgreSQL and MySQL/MariaDB; on SQLite, whose amount column holds
fixed-point text with six places (:class:`~._types.Amount`), the whole and
fractional parts are summed as integers and put together in Python, so no
float ever touches an amount. The attendance and usage statements are in
:mod:`._analytics_use`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from sessionkit.adapters.sqlalchemy._analytics_use import (
    attendance_statement,
    attendance_total,
    usage_statement,
    usage_total,
)
from sessionkit.adapters.sqlalchemy._booking_statements import ran_out
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._kind import SqlUnit, register_reader
from sessionkit.adapters.sqlalchemy._query import session_filters
from sessionkit.adapters.sqlalchemy._types import exact_collation
from sessionkit.adapters.sqlalchemy.booking_rows import bookings_table
from sessionkit.adapters.sqlalchemy.payment_rows import payments_table
from sessionkit.adapters.sqlalchemy.reschedule_rows import reschedules_table
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.model.analytics import (
    ClientBookings,
    CountBy,
    KeyCount,
    PaymentTotal,
    RevenueBy,
    StatusCount,
    TimingCount,
)
from sessionkit.model.analytics_use import AttendanceTotal, UsageTotal
from sessionkit.model.booking import OFFERED, WAITLISTED
from sessionkit.model.payment import CANCELLED, MANUAL, OPEN_PAYMENT_STATUSES, PENDING
from sessionkit.model.query import SessionQuery
from sessionkit.ports import ANALYTICS

__all__ = ["SqlAlchemyAnalytics"]

S = sessions_table
R = session_resources_table.alias("analytics_resources")
B = bookings_table
P = payments_table
Q = reschedules_table


def _waiting(at: datetime) -> ColumnElement[bool]:
    """Payments that only fixed a price for a booking waiting for a seat (memory's ``_waiting``).

    Still waiting at ``at``: an offer or a waitlist place that ran out is a
    cancelled payment, job or no job. Never NULL (the booking's columns are
    compared only where it was found), so its negation keeps every other payment.
    """
    return and_(
        P.c.status == literal(PENDING, P.c.status.type),
        P.c.intent_ref.is_(None),
        P.c.due.is_(None),
        B.c.id.is_not(None),
        or_(
            B.c.status == literal(WAITLISTED, B.c.status.type),
            and_(
                B.c.status == literal(OFFERED, B.c.status.type),
                P.c.provider != literal(MANUAL, P.c.provider.type),
            ),
        ),
        ~ran_out(at),
    )


def _window(
    column: ColumnElement[Any], start_from: datetime | None, start_to: datetime | None
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if start_from is not None:
        found.append(column >= start_from)
    if start_to is not None:
        found.append(column < start_to)
    return found


class SqlAlchemyAnalytics:
    """The :class:`~sessionkit.ports.AnalyticsReader` of a SQLAlchemy unit of work."""

    def __init__(self, unit: SqlUnit) -> None:
        self._unit = unit

    def _exact(self, text: ColumnElement[str]) -> ColumnElement[str]:
        """``text`` compared and grouped by code point (:func:`~._types.exact_collation`).

        A session's status and lifecycle are plain text columns, which a MySQL/MariaDB
        database's default collation folds: ``"Completed"`` and ``"COMPLETED"`` were
        one group there, and a status of ``Outcomes`` matched both, as in no other store.
        """
        # The transaction's connection: its dialect knows MariaDB from MySQL once connected.
        collation = exact_collation(self._unit.core().dialect)
        return text if collation is None else text.collate(collation)

    # ------------------------------------------------------------------ sessions

    def _grouped(
        self,
        tenant: str,
        scope: SessionQuery,
        by: CountBy | None,
        seat_statuses: Collection[str],
        at: datetime,
        columns: Sequence[ColumnElement[Any]],
    ) -> tuple[Select[Any], list[ColumnElement[Any]]]:
        """Return ``SELECT keys, *columns FROM sessions [JOIN ...] WHERE scope`` and the keys."""
        conditions = session_filters(self._unit.backend, tenant, scope)
        keys: list[ColumnElement[Any]]
        if by is None:
            keys = []
            statement = select(*columns).select_from(S)
        elif by == "kind":
            keys = [self._exact(S.c.lifecycle)]
            statement = select(*keys, *columns).select_from(S)
        elif by == "resource":
            keys = [R.c.resource]
            joined = S.join(R, (R.c.tenant == S.c.tenant) & (R.c.session_id == S.c.id))
            statement = select(*keys, *columns).select_from(joined)
        else:
            keys = [B.c.participant_kind, B.c.participant_id]
            joined = S.join(B, (B.c.tenant == S.c.tenant) & (B.c.session_id == S.c.id))
            statement = select(*keys, *columns).select_from(joined)
            conditions += [B.c.status.in_(sorted(seat_statuses)), ~ran_out(at)]
        return statement.where(*conditions), keys

    @staticmethod
    def _key(row: Sequence[Any], width: int) -> str | None:
        if width == 0:
            return None
        if width == 1:
            return str(row[0])
        return f"{row[0]}:{row[1]}"

    def status_counts(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        seat_statuses: Collection[str],
        at: datetime,
    ) -> list[StatusCount]:
        """Return how many sessions in ``scope`` have each status, per group of ``by``."""
        status = self._exact(S.c.status)
        statement, keys = self._grouped(
            tenant, scope, by, seat_statuses, at, [status, func.count()]
        )
        rows = self._db().execute(statement.group_by(*keys, status))
        width = len(keys)
        return [StatusCount(self._key(row, width), row[width], row[width + 1]) for row in rows]

    def rescheduled(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        seat_statuses: Collection[str],
        moved_statuses: Collection[str],
        at: datetime,
    ) -> list[KeyCount]:
        """Return, per group, how many sessions in ``scope`` were moved by a request."""
        statement, keys = self._grouped(tenant, scope, by, seat_statuses, at, [func.count()])
        moved = select(Q.c.session_id).where(
            Q.c.tenant == tenant,
            Q.c.status.in_(sorted(moved_statuses)),
            # Approved at the start the session already had: nothing moved.
            or_(Q.c.new_start.is_(None), Q.c.new_start != Q.c.session_start),
        )
        statement = statement.where(S.c.id.in_(moved))
        if keys:
            statement = statement.group_by(*keys)
        width = len(keys)
        return [
            KeyCount(self._key(row, width), row[width])
            for row in self._db().execute(statement)
            if row[width]
        ]

    def timing(self, tenant: str, scope: SessionQuery, *, now: datetime) -> list[TimingCount]:
        """Return how many sessions in ``scope`` have each status and ended by ``now`` or not."""
        ended = case((S.c.end_at <= now, 1), else_=0)
        status = self._exact(S.c.status)
        statement = (
            select(status, ended, func.count())
            .where(*session_filters(self._unit.backend, tenant, scope))
            .group_by(status, ended)
        )
        return [
            TimingCount(status, bool(done), n) for status, done, n in self._db().execute(statement)
        ]

    # ------------------------------------------------------------------ payments, clients

    def _sums(self, *columns: ColumnElement[Any]) -> list[ColumnElement[Any]]:
        """Return the exact-sum expressions of ``columns`` (two per column on SQLite)."""
        if self._unit.backend.name != "sqlite":
            return [func.sum(c) for c in columns]
        out: list[ColumnElement[Any]] = []
        for c in columns:
            # Fixed-point text with six places: "60.000000" sums as 60 and 0 micro-units.
            out.append(func.sum(cast(func.substr(c, 1, func.length(c) - 7), Integer)))
            out.append(func.sum(cast(func.substr(c, -6), Integer)))
        return out

    def _read_sums(self, values: Sequence[Any]) -> list[Decimal]:
        if self._unit.backend.name != "sqlite":
            return [Decimal(0) if v is None else Decimal(v) for v in values]
        return [
            Decimal(whole or 0) + Decimal(micro or 0).scaleb(-6)  # exact: only the exponent moves
            for whole, micro in zip(values[::2], values[1::2], strict=True)
        ]

    def payment_totals(
        self,
        tenant: str,
        *,
        by: RevenueBy | None,
        start_from: datetime | None,
        start_to: datetime | None,
        at: datetime,
    ) -> list[PaymentTotal]:
        """Return count and exact sums of payments per group of ``by``, currency and status.

        An open payment whose booking ran out by ``at`` is counted CANCELLED;
        one that only waits for a seat (:func:`_waiting`) is no payment yet.
        """
        # Each payment with its status as judged at ``at``, then grouped on that status (a
        # subquery, so the CASE and its bound values are not repeated in the GROUP BY).
        cancelled = and_(P.c.status.in_(sorted(OPEN_PAYMENT_STATUSES)), ran_out(at))
        status = case((cancelled, literal(CANCELLED, P.c.status.type)), else_=P.c.status)
        joined = P.outerjoin(B, and_(B.c.tenant == P.c.tenant, B.c.id == P.c.booking_id))
        judged = (
            select(
                P.c.provider,
                P.c.participant_kind,
                P.c.participant_id,
                P.c.currency,
                P.c.amount,
                P.c.refunded,
                P.c.refund_due,
                status.label("status"),
            )
            .select_from(joined)
            .where(
                P.c.tenant == tenant,
                *_window(P.c.session_start, start_from, start_to),
                ~_waiting(at),
            )
            .subquery("judged")
        )
        j = judged.c
        keys: list[ColumnElement[Any]]
        if by is None or by == "status":
            keys = []
        elif by == "provider":
            keys = [j.provider]
        else:
            keys = [j.participant_kind, j.participant_id]
        sums = self._sums(j.amount, j.refunded, j.refund_due)
        statement = select(*keys, j.currency, j.status, func.count(), *sums).group_by(
            *keys, j.currency, j.status
        )
        width = len(keys)
        found: list[PaymentTotal] = []
        for row in self._db().execute(statement):
            currency, status, count = row[width], row[width + 1], row[width + 2]
            amount, refunded, due = self._read_sums(row[width + 3 :])
            key = status if by == "status" else self._key(row, width)
            found.append(PaymentTotal(key, currency, status, count, amount, refunded, due))
        return found

    def client_bookings(
        self,
        tenant: str,
        *,
        statuses: Collection[str],
        start_from: datetime | None,
        start_to: datetime | None,
        at: datetime,
        no_show: Collection[tuple[str, str]] = (),
    ) -> list[ClientBookings]:
        """Return per participant their bookings in ``statuses`` of sessions in the window.

        Bookings run out by ``at`` are left out, whatever their stored status.
        """
        keys = [B.c.participant_kind, B.c.participant_id]
        missed: ColumnElement[Any] = literal_column("0")
        rows: Any = B
        if no_show:
            # The sessions that ended in a no-show status, each counted once per client.
            ended = or_(
                *(
                    and_(self._exact(S.c.lifecycle) == lifecycle, self._exact(S.c.status) == status)
                    for lifecycle, status in sorted(no_show)
                )
            )
            missed = func.count(case((ended, B.c.session_id)).distinct())
            rows = B.outerjoin(S, and_(S.c.tenant == B.c.tenant, S.c.id == B.c.session_id))
        statement: Select[Any] = (
            select(
                *keys,
                func.count(),
                func.count(B.c.session_id.distinct()),
                func.min(B.c.session_start),
                func.max(B.c.session_start),
                missed,
            )
            .select_from(rows)
            .where(
                B.c.tenant == tenant,
                B.c.status.in_(sorted(statuses)),
                ~ran_out(at),
                *_window(B.c.session_start, start_from, start_to),
            )
            .group_by(*keys)
        )
        return [
            ClientBookings(f"{row[0]}:{row[1]}", row[2], row[3], row[4], row[5], int(row[6]))
            for row in self._db().execute(statement)
        ]

    # ------------------------------------------------------------------ attendance, usage

    def attendance_totals(
        self,
        tenant: str,
        scope: SessionQuery,
        *,
        by: CountBy | None,
        booked_statuses: Collection[str],
        attendee_kinds: Collection[str] = (),
        cancelled: Collection[tuple[str, str]] = (),
    ) -> list[AttendanceTotal]:
        """Return one total per group of ``by``, session in ``scope`` and participant."""
        db = self._db()
        statement, width = attendance_statement(
            self._unit.backend,
            db.get_bind().dialect,
            tenant,
            scope,
            by,
            booked_statuses,
            attendee_kinds,
            cancelled,
        )
        return [attendance_total(row, width) for row in db.execute(statement)]

    def usage_totals(self, tenant: str, *, subscriber: str | None) -> list[UsageTotal]:
        """Return per subscription (of ``subscriber``, or all) and period its ledger counts."""
        return [usage_total(row) for row in self._db().execute(usage_statement(tenant, subscriber))]

    def _db(self) -> Db:
        return self._unit.db()


register_reader(ANALYTICS, SqlAlchemyAnalytics)
