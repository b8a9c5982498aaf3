"""Attendance and subscription-use figures, built from the few totals the store aggregates.

Private to the services package; :class:`~sessionkit.services.analytics.Analytics`
reads the totals and hands them here. The store sums each participant's
presence in each session (first join, last leave, attended time); the status
is derived from those sums by the kit's
:class:`~sessionkit.model.attendance.AttendanceThresholds`, the rule
``kit.attendance`` applies to the events themselves, and the teacher's
override wins. Credits granted are counted from each subscription's terms:
every period it has begun by ``now``, and any other period with entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from sessionkit.model.analytics import CountBy, Outcomes
from sessionkit.model.analytics_use import (
    AttendanceRow,
    AttendanceStats,
    AttendanceTotal,
    SubscriptionUse,
    UsageBy,
    UsageRow,
    UsageTotal,
)
from sessionkit.model.attendance import (
    ABSENT,
    LATE,
    LEFT_EARLY,
    PARTIAL,
    PRESENT,
    Attendance,
    AttendanceThresholds,
    Interval,
)
from sessionkit.model.session import ResourceRef
from sessionkit.model.usage import TOTAL, Subscription
from sessionkit.timespan import TimeSpan

__all__ = ["attendance_stats", "subscription_use"]

_MONTHS = 12


def _sort_key(key: str | None) -> tuple[bool, str]:
    return (key is not None, key or "")


def effective(total: AttendanceTotal, thresholds: AttendanceThresholds) -> tuple[str, int]:
    """Return the status and attended minutes that count for ``total``: the teacher's first.

    The derived status reads only the first join and the last leave of the
    stays (and whether there is any), so one interval spanning the two gives
    the very status the full list of stays gives.
    """
    stays = () if total.first_join is None else (Interval(total.first_join, total.last_leave),)
    span = TimeSpan(total.start, total.end)
    measured = Attendance(
        session_id=total.session_id,
        participant=ResourceRef.parse(total.participant),
        intervals=stays,
        attended=total.attended,
        status=thresholds.status(stays, span, total.attended),
    )
    if total.override_status is None:
        return measured.status, measured.minutes
    minutes = measured.minutes if total.override_minutes is None else total.override_minutes
    return total.override_status, minutes


@attrs.define
class _Tally:
    records: int = 0
    statuses: dict[str, int] = attrs.Factory(dict)
    minutes: int = 0
    overridden: int = 0
    held: int = 0
    held_absent: int = 0

    def row(self, key: str | None) -> AttendanceRow:
        counts = self.statuses
        return AttendanceRow(
            key=key,
            records=self.records,
            present=counts.get(PRESENT, 0),
            late=counts.get(LATE, 0),
            left_early=counts.get(LEFT_EARLY, 0),
            partial=counts.get(PARTIAL, 0),
            absent=counts.get(ABSENT, 0),
            minutes=self.minutes,
            overridden=self.overridden,
            held=self.held,
            held_absent=self.held_absent,
        )


def attendance_stats(
    tenant: str,
    by: CountBy | None,
    totals: Iterable[AttendanceTotal],
    thresholds: AttendanceThresholds,
    outcomes: Outcomes,
) -> AttendanceStats:
    """Return the attendance figures of ``totals``, one row per group, sorted by key."""
    held_statuses = outcomes.completed | outcomes.no_show
    groups: dict[str | None, _Tally] = {}
    for total in totals:
        status, minutes = effective(total, thresholds)
        tally = groups.setdefault(total.key, _Tally())
        tally.records += 1
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        tally.minutes += minutes
        tally.overridden += total.override_status is not None
        if total.session_status in held_statuses:
            tally.held += 1
            tally.held_absent += status == ABSENT
    rows = tuple(
        tally.row(key) for key, tally in sorted(groups.items(), key=lambda i: _sort_key(i[0]))
    )
    return AttendanceStats(tenant=tenant, by=by, rows=rows)


def _months(first: str, last: str) -> list[str]:
    """Return the periods ``"YYYY-MM"`` from ``first`` to ``last``, both included."""
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    found: list[str] = []
    while (year, month) <= end:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == _MONTHS else (year, month + 1)
    return found


def begun(subscription: Subscription, now: datetime) -> list[str]:
    """Return the periods of ``subscription`` that have begun by ``now`` (inside its window)."""
    if now < subscription.starts:
        return []
    if subscription.per == TOTAL:
        return [TOTAL]
    last = now if subscription.active_at(now) else subscription.ends
    assert last is not None  # not active after its start: it has ended
    if last == subscription.ends:
        last -= timedelta(microseconds=1)  # its last instant: ends is exclusive
    return _months(subscription.period_of(subscription.starts), subscription.period_of(last))


def _terms(tenant: str, total: UsageTotal) -> Subscription:
    return Subscription(
        id=total.subscription_id,
        tenant=tenant,
        subscriber=total.subscriber,
        credits=total.credits,
        per=total.per,  # type: ignore[arg-type]  # stored by a Subscription: "month" or "total"
        tz=total.tz,
        starts=total.starts,
        ends=total.ends,
        created_at=total.starts,
    )


def _period_rows(tenant: str, totals: list[UsageTotal], now: datetime) -> list[UsageRow]:
    """Return a row per subscription and period granted, sorted by subscriber, id, period."""
    by_subscription: dict[str, list[UsageTotal]] = {}
    for total in totals:
        by_subscription.setdefault(total.subscription_id, []).append(total)
    rows: list[UsageRow] = []
    for mine in by_subscription.values():
        terms = _terms(tenant, mine[0])
        counted = {t.period: t for t in mine if t.period is not None}
        for period in sorted({*begun(terms, now), *counted}):
            found = counted.get(period)
            rows.append(
                UsageRow(
                    subscriber=str(terms.subscriber),
                    subscription_id=terms.id,
                    period=period,
                    periods=1,
                    granted=terms.credits,
                    used=0 if found is None else found.used,
                    reversed=0 if found is None else found.reversed,
                )
            )
    rows.sort(key=lambda r: (r.subscriber, r.subscription_id or "", r.period or ""))
    return rows


def _summed(rows: Iterable[UsageRow], *, per_subscription: bool) -> list[UsageRow]:
    groups: dict[tuple[str, str | None], list[UsageRow]] = {}
    for row in rows:
        key = (row.subscriber, row.subscription_id if per_subscription else None)
        groups.setdefault(key, []).append(row)
    return [
        UsageRow(
            subscriber=subscriber,
            subscription_id=sub_id,
            period=None,
            periods=sum(r.periods for r in mine),
            granted=sum(r.granted for r in mine),
            used=sum(r.used for r in mine),
            reversed=sum(r.reversed for r in mine),
        )
        for (subscriber, sub_id), mine in groups.items()
    ]


def subscription_use(
    tenant: str, by: UsageBy, totals: Iterable[UsageTotal], now: datetime
) -> SubscriptionUse:
    """Return subscription use per ``by`` from the ledger's totals, as of ``now``.

    A subscription's periods are those begun by ``now`` and any other with
    entries; its row sums theirs, and a subscriber's row sums her
    subscriptions'. A subscription with no period yet has a row of zeros.
    """
    found = list(totals)
    periods = _period_rows(tenant, found, now)
    if by == "period":
        rows = periods
    else:
        known = {r.subscription_id for r in periods}
        idle = [
            UsageRow(
                subscriber=t.subscriber,
                subscription_id=t.subscription_id,
                period=None,
                periods=0,
                granted=0,
                used=0,
                reversed=0,
            )
            for t in found
            if t.subscription_id not in known
        ]
        rows = _summed(periods, per_subscription=True) + idle
        if by == "participant":
            rows = _summed(rows, per_subscription=False)
        rows.sort(key=lambda r: (r.subscriber, r.subscription_id or ""))
    return SubscriptionUse(tenant=tenant, by=by, now=now, rows=tuple(rows))
