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

from collections.abc import Iterable, Mapping
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
    PENDING,
    PRESENT,
    Attendance,
    AttendanceThresholds,
    Interval,
    told_minutes,
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
    span = TimeSpan(total.start, total.end if total.held_end is None else total.held_end)
    measured = Attendance(
        session_id=total.session_id,
        participant=ResourceRef.parse(total.participant),
        intervals=stays,
        attended=total.attended,
        status=thresholds.status(stays, span, total.attended),
    )
    if total.override_status is None:
        return measured.status, measured.minutes
    told = total.override_status
    most = span.duration // timedelta(minutes=1)  # held: a report from before an early end
    return told, told_minutes(told, total.override_minutes, measured.minutes, most=most)


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
            pending=counts.get(PENDING, 0),
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
    *,
    now: datetime | None = None,
    over: Mapping[str, frozenset[str]] | None = None,
) -> AttendanceStats:
    """Return the attendance figures of ``totals``, one row per group, sorted by key.

    With ``now``, a record measured absent with no override, of a session that
    ends after ``now`` in a status not terminal in its lifecycle (``over``:
    the terminal statuses by lifecycle), is pending, as
    ``kit.attendance.for_session`` reads it.
    """
    held_statuses = outcomes.completed | outcomes.no_show
    terminal = {} if over is None else over
    anywhere = frozenset().union(*terminal.values())
    groups: dict[str | None, _Tally] = {}
    for total in totals:
        status, minutes = effective(total, thresholds)
        # Its own lifecycle's: a status terminal in another (coaching's MISSED) may not be.
        ended = (
            anywhere
            if total.session_lifecycle is None
            else terminal.get(total.session_lifecycle, frozenset())
        )
        if (
            status == ABSENT
            and total.override_status is None
            and now is not None
            and now < total.end
            and total.session_status not in ended
        ):
            status = PENDING
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


def _month(period: str) -> int:
    """Return the period ``"YYYY-MM"`` as a count of months (to subtract and compare)."""
    year, month = period.split("-")
    return int(year) * _MONTHS + int(month) - 1


def _months(first: str, last: str) -> list[str]:
    """Return the periods ``"YYYY-MM"`` from ``first`` to ``last``, both included."""
    return [
        f"{n // _MONTHS:04d}-{n % _MONTHS + 1:02d}" for n in range(_month(first), _month(last) + 1)
    ]


Span = tuple[str, str] | None
"""The first and the last period a subscription has begun (``None``: none yet)."""


def begun_span(subscription: Subscription, now: datetime) -> Span:
    """Return the first and last periods of ``subscription`` begun by ``now`` (in its window)."""
    if now < subscription.starts:
        return None
    if subscription.per == TOTAL:
        return (TOTAL, TOTAL)
    last = now if subscription.active_at(now) else subscription.ends
    assert last is not None  # not active after its start: it has ended
    if last == subscription.ends:
        last -= timedelta(microseconds=1)  # its last instant: ends is exclusive
    return (subscription.period_of(subscription.starts), subscription.period_of(last))


def _listed(span: Span) -> list[str]:
    if span is None:
        return []
    return [TOTAL] if span[0] == TOTAL else _months(*span)


def _count(span: Span) -> int:
    if span is None:
        return 0
    return 1 if span[0] == TOTAL else _month(span[1]) - _month(span[0]) + 1


def _within(period: str, span: Span) -> bool:
    # Zero-padded "YYYY-MM" compare as text in time order; "total" only equals itself.
    return span is not None and span[0] <= period <= span[1]


def begun(subscription: Subscription, now: datetime) -> list[str]:
    """Return the periods of ``subscription`` that have begun by ``now`` (inside its window)."""
    return _listed(begun_span(subscription, now))


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


class _Spans:
    """The periods begun by one instant, worked out once per set of terms (start, end, zone)."""

    def __init__(self, tenant: str, now: datetime) -> None:
        self._tenant = tenant
        self._now = now
        self._known: dict[tuple[str, str, datetime, datetime | None], Span] = {}

    def of(self, total: UsageTotal) -> Span:
        key = (total.per, total.tz, total.starts, total.ends)
        if key not in self._known:
            self._known[key] = begun_span(_terms(self._tenant, total), self._now)
        return self._known[key]


def _by_subscription(totals: Iterable[UsageTotal]) -> dict[str, list[UsageTotal]]:
    found: dict[str, list[UsageTotal]] = {}
    for total in totals:
        found.setdefault(total.subscription_id, []).append(total)
    return found


def _period_rows(mine: list[UsageTotal], span: Span) -> list[UsageRow]:
    """Return a row per period one subscription was granted, in order."""
    first = mine[0]
    counted = {t.period: t for t in mine if t.period is not None}
    rows: list[UsageRow] = []
    for period in sorted({*_listed(span), *counted}):
        found = counted.get(period)
        rows.append(
            UsageRow(
                subscriber=first.subscriber,
                subscription_id=first.subscription_id,
                period=period,
                periods=1,
                granted=first.credits,
                used=0 if found is None else found.used,
                reversed=0 if found is None else found.reversed,
            )
        )
    return rows


def _subscription_row(mine: list[UsageTotal], span: Span) -> UsageRow:
    """Return one subscription's periods summed, without listing them."""
    first = mine[0]
    outside = {t.period for t in mine if t.period is not None and not _within(t.period, span)}
    periods = _count(span) + len(outside)
    return UsageRow(
        subscriber=first.subscriber,
        subscription_id=first.subscription_id,
        period=None,
        periods=periods,
        granted=first.credits * periods,
        used=sum(t.used for t in mine),
        reversed=sum(t.reversed for t in mine),
    )


def _per_subscriber(rows: Iterable[UsageRow]) -> list[UsageRow]:
    groups: dict[str, list[UsageRow]] = {}
    for row in rows:
        groups.setdefault(row.subscriber, []).append(row)
    return [
        UsageRow(
            subscriber=subscriber,
            subscription_id=None,
            period=None,
            periods=sum(r.periods for r in mine),
            granted=sum(r.granted for r in mine),
            used=sum(r.used for r in mine),
            reversed=sum(r.reversed for r in mine),
        )
        for subscriber, mine in groups.items()
    ]


def subscription_use(
    tenant: str, by: UsageBy, totals: Iterable[UsageTotal], now: datetime
) -> SubscriptionUse:
    """Return subscription use per ``by`` from the ledger's totals, as of ``now``.

    A subscription's periods are those begun by ``now`` and any other with
    entries; its row sums theirs (a subscription with none yet has a row of
    zeros), and a subscriber's row sums her subscriptions'. Rows are sorted
    by subscriber, subscription, period.
    """
    spans = _Spans(tenant, now)
    grouped = _by_subscription(totals)
    rows: list[UsageRow]
    if by == "period":
        rows = [r for mine in grouped.values() for r in _period_rows(mine, spans.of(mine[0]))]
    else:
        rows = [_subscription_row(mine, spans.of(mine[0])) for mine in grouped.values()]
        if by == "participant":
            rows = _per_subscriber(rows)
    rows.sort(key=lambda r: (r.subscriber, r.subscription_id or "", r.period or ""))
    return SubscriptionUse(tenant=tenant, by=by, now=now, rows=tuple(rows))
