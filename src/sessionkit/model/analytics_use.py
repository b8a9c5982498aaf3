"""Analytics of use: attended minutes and attendance, and subscription use (the academy's figures).

The companion of :mod:`sessionkit.model.analytics`, in two layers as there.
The *aggregates* are what an :class:`~sessionkit.ports.AnalyticsReader` returns:
:class:`AttendanceTotal` sums one participant's presence in one session
(first join, last leave, attended time; never the join / leave rows
themselves) beside the teacher's override, and :class:`UsageTotal` counts one
subscription's ledger entries in one period. The *figures* are what
``kit.analytics.attendance`` and ``kit.analytics.usage`` return:
:class:`AttendanceStats` (status counts, attended minutes and the no-show rate
per group) and :class:`SubscriptionUse` (credits granted, used, returned and
remaining per subscription, period or participant), frozen values with
``to_records()`` and a notebook table. Definitions are in ``docs/analytics.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model._record_types import ColumnType
from sessionkit.model.analytics import CountBy, every_group, ratio
from sessionkit.model.analytics_money import group_key
from sessionkit.model.html import html_of
from sessionkit.model.session import ResourceRef

__all__ = [
    "USAGE_FIGURES",
    "USAGE_DIMENSIONS",
    "AttendanceRow",
    "AttendanceStats",
    "AttendanceTotal",
    "SubscriptionUse",
    "UsageBy",
    "UsageRow",
    "UsageTotal",
]

UsageBy = Literal["subscription", "period", "participant"]
"""How subscription use is grouped: per subscription, per subscription and period, or per
subscriber (all of a participant's subscriptions together)."""
USAGE_DIMENSIONS: tuple[str, ...] = ("subscription", "period", "participant")
"""The values :data:`UsageBy` allows."""


# ---------------------------------------------------------------- what a store aggregates


@attrs.frozen(slots=True, kw_only=True)
class AttendanceTotal:
    """One participant's attendance in one session, summed by the store from its presence.

    ``key`` is the group (``None``: the whole scope). Only the stays that
    overlap ``[start, end)`` count for these two, as they do for the derived
    status: ``first_join`` is the first such stay's join, or ``start`` when it
    began before (``None``: no stay overlaps); ``last_leave`` is when the last
    such stay ended, if inside the session (``None``: no stay overlaps, or the
    last one lasts to the end or past it);
    ``attended`` is the time the stays cover inside ``[start, end)`` of the
    session, a stay still open running to its end. ``override_status`` and
    ``override_minutes`` are the teacher's report, when there is one.
    ``session_lifecycle`` names the lifecycle ``session_status`` belongs to
    (``None``: not told, and the status is read as terminal if any
    lifecycle has it so). ``held_end`` is when the session was held until
    (:func:`~sessionkit.model.attendance.held_until`: its actual end, when it
    ended early; ``None``: ``end``): the derived status is judged against
    ``start`` to it.
    """

    key: str | None
    session_id: str
    participant: str
    session_status: str
    start: datetime
    end: datetime
    first_join: datetime | None
    last_leave: datetime | None
    attended: timedelta
    override_status: str | None = None
    override_minutes: int | None = None
    session_lifecycle: str | None = None
    held_end: datetime | None = None


@attrs.frozen(slots=True, kw_only=True)
class UsageTotal:
    """One subscription's ledger entries in one period: active (used) and returned (reversed).

    The subscription's own terms come along (``credits``, ``per``, ``tz``,
    ``starts``, ``ends``) so that the credits granted can be counted.
    ``period`` is ``None`` (and both counts 0) for a subscription without entries.
    """

    subscription_id: str
    subscriber: str
    credits: int
    per: str
    tz: str
    starts: datetime
    ends: datetime | None
    period: str | None
    used: int
    reversed: int


# ---------------------------------------------------------------- the figures


@attrs.frozen(slots=True, kw_only=True)
class AttendanceRow:
    """One group's attendance records counted by effective status, with attended minutes.

    A *record* is one participant in one session (definitions in
    ``docs/analytics.md``). ``held`` counts the records of held sessions
    (completed or no-show), ``held_absent`` those of them that are absent.
    ``pending`` counts the records of sessions not over yet whose participant
    is not there (yet), as ``kit.attendance.for_session`` says ``pending``.
    """

    key: str | None
    records: int
    present: int
    late: int
    left_early: int
    partial: int
    absent: int
    minutes: int
    overridden: int
    held: int
    held_absent: int
    pending: int = 0

    @property
    def attended(self) -> int:
        """Records whose participant counts as there at all (every status but absent, pending)."""
        return self.records - self.absent - self.pending

    @property
    def no_show_rate(self) -> float | None:
        """Absent out of the records of held sessions (``None`` when none was held)."""
        return ratio(self.held_absent, self.held)

    def by_status(self) -> dict[str, int]:
        """Return ``{status: records}`` in the order of the attendance statuses."""
        return {
            "present": self.present,
            "late": self.late,
            "left_early": self.left_early,
            "partial": self.partial,
            "absent": self.absent,
            "pending": self.pending,
        }


@attrs.frozen(kw_only=True)
class AttendanceStats:
    """Attendance per group (``by``; ``None``: the whole scope), sorted by key (``None`` first)."""

    tenant: str
    by: CountBy | None
    rows: tuple[AttendanceRow, ...]

    COLUMNS = (
        "key",
        "records",
        "present",
        "late",
        "left_early",
        "partial",
        "absent",
        "pending",
        "minutes",
        "overridden",
        "held",
        "held_absent",
        "no_show_rate",
    )
    """The columns of :meth:`to_records`."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "key": "text",
        "records": "int",
        "present": "int",
        "late": "int",
        "left_early": "int",
        "partial": "int",
        "absent": "int",
        "pending": "int",
        "minutes": "int",
        "overridden": "int",
        "held": "int",
        "held_absent": "int",
        "no_show_rate": "float",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per row with :attr:`COLUMNS` (the rate is a float or ``None``)."""
        return [{name: getattr(row, name) for name in self.COLUMNS} for row in self.rows]

    def get(self, key: str | ResourceRef | None = None) -> AttendanceRow:
        """Return the row of ``key`` (an empty one when the group has no record).

        ``None`` of a result grouped by kind or participant (each record is one
        participant's in one session) is every group together; by resource,
        where a record can be in several, it is ``InvalidValue``.
        """
        wanted = group_key(key)
        every = every_group(self.by, wanted, split={"resource"}, items="records")
        if not every:
            for row in self.rows:
                if row.key == wanted:
                    return row
        rows = self.rows if every else ()
        return AttendanceRow(
            key=wanted,
            records=sum(r.records for r in rows),
            present=sum(r.present for r in rows),
            late=sum(r.late for r in rows),
            left_early=sum(r.left_early for r in rows),
            partial=sum(r.partial for r in rows),
            absent=sum(r.absent for r in rows),
            minutes=sum(r.minutes for r in rows),
            overridden=sum(r.overridden for r in rows),
            held=sum(r.held for r in rows),
            held_absent=sum(r.held_absent for r in rows),
            pending=sum(r.pending for r in rows),
        )

    @property
    def minutes(self) -> int:
        """Attended minutes of every row together (a record under two resources counts twice)."""
        return sum(r.minutes for r in self.rows)


@attrs.frozen(slots=True, kw_only=True)
class UsageRow:
    """Credits granted, used and returned for one subscription, period or subscriber.

    ``subscription_id`` is ``None`` for a subscriber's row (``by="participant"``),
    ``period`` for any row but a period's. ``periods`` counts the periods
    granted (for ``per="total"``, one); ``granted`` is the credits per period
    times ``periods``; ``used`` counts the active ledger entries, ``reversed``
    the returned ones (not consumed again).
    """

    subscriber: str
    subscription_id: str | None
    period: str | None
    periods: int
    granted: int
    used: int
    reversed: int

    @property
    def remaining(self) -> int:
        """``granted - used``: what is left of a period; over several, what went unused.

        Net: a period used beyond its credits (``on_limit="allow"``) counts
        against the others' unused ones; the rows of ``by="period"`` show each.
        """
        return self.granted - self.used


USAGE_FIGURES = ("periods", "granted", "used", "reversed", "remaining")
"""The figures :meth:`SubscriptionUse.total` sums."""


@attrs.frozen(kw_only=True)
class SubscriptionUse:
    """Subscription use per ``by``, as of ``now``, sorted by subscriber, subscription, period."""

    tenant: str
    by: UsageBy
    now: datetime
    rows: tuple[UsageRow, ...]

    COLUMNS = (
        "subscriber",
        "subscription_id",
        "period",
        "periods",
        "granted",
        "used",
        "reversed",
        "remaining",
    )
    """The columns of :meth:`to_records`."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "subscriber": "text",
        "subscription_id": "text",
        "period": "text",
        "periods": "int",
        "granted": "int",
        "used": "int",
        "reversed": "int",
        "remaining": "int",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per row with :attr:`COLUMNS`."""
        return [{name: getattr(row, name) for name in self.COLUMNS} for row in self.rows]

    def get(
        self,
        subscription_id: str | None = None,
        *,
        subscriber: str | ResourceRef | None = None,
        period: str | None = None,
    ) -> UsageRow | None:
        """Return the first row with the given subscription, subscriber and period, or ``None``.

        An argument left ``None`` matches any value, but one at least is
        given: every row is one subscription's, period's or subscriber's, and
        no row is the whole, so ``get()`` without any is ``InvalidValue``
        asking for a key (:meth:`total` sums a figure over every row).
        """
        who = group_key(subscriber, "subscriber")
        if subscription_id is None and who is None and period is None:
            # The first row answered for the whole, silently: ask for a key instead.
            raise InvalidValue(
                f"get() of a usage result grouped by {self.by!r} needs a key, as no row is the"
                " whole: pass subscription_id, subscriber or period, or sum a figure over"
                " every row with total(figure)",
                value=self.by,
                expected="a subscription_id, subscriber or period",
            )
        for row in self.rows:
            if (
                (subscription_id is None or row.subscription_id == subscription_id)
                and (who is None or row.subscriber == who)
                and (period is None or row.period == period)
            ):
                return row
        return None

    def total(self, figure: str) -> int:
        """Return ``figure`` summed over the rows: one of :data:`USAGE_FIGURES`.

        Another name (``"credits"``, ``"subscriber"``) is ``InvalidValue``,
        with rows or without.
        """
        if figure not in USAGE_FIGURES:
            raise InvalidValue(
                f"no usage figure {shown(figure)}; the figures are {', '.join(USAGE_FIGURES)}",
                value=figure,
                expected=f"one of {', '.join(USAGE_FIGURES)}",
            )
        return sum(int(getattr(row, figure)) for row in self.rows)
