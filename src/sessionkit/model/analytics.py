"""Analytics values: the rows a store aggregates and the figures the services build from them.

Two layers. The *aggregates* (:class:`StatusCount`, :class:`KeyCount`,
:class:`TimingCount`, :class:`PaymentTotal`, :class:`ClientBookings`) are what
an :class:`~sessionkit.ports.AnalyticsReader` returns: a few rows per group,
counted and summed by the store (``GROUP BY`` in SQL), never one row per
session. The *figures* (:class:`Counts`, :class:`Rates`, :class:`Revenue`,
:class:`Progress`, :class:`ClientStats`) are what ``kit.analytics`` returns:
frozen values with ``to_records()``, a list of dicts with fixed columns, ready
for a table, a JSON response or ``pandas.DataFrame(...)``.

:class:`Outcomes` says which session statuses count as completed, no-show and
cancelled; the rates are defined in ``docs/analytics.md``. The money figures
(:class:`Revenue`, :class:`ClientStats` and their rows) are in
:mod:`sessionkit.model.analytics_money` and importable from here too;
attendance and subscription use are in :mod:`sessionkit.model.analytics_use`.

The groupings (:data:`CountBy`) and the aggregates live in ``_analytics_rows``;
this module exports them under its own name and keeps :class:`Outcomes`,
:func:`ratio` and the session figures (:class:`Counts`, :class:`Rates`,
:class:`Progress`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

# PaymentTotal's hints resolve in this module, which its __module__ names.
from decimal import Decimal as Decimal
from typing import Any, ClassVar

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, set_repr, shown
from sessionkit.model._analytics_rows import (
    _SPLIT,
    COUNT_DIMENSIONS,
    ClientBookings,
    CountBy,
    KeyCount,
    PaymentTotal,
    StatusCount,
    TimingCount,
)

# analytics_use imports every_group from here though, as before, it is not in __all__.
from sessionkit.model._analytics_rows import every_group as every_group
from sessionkit.model._record_types import ColumnType
from sessionkit.model.analytics_money import (
    REVENUE_DIMENSIONS,
    ClientMoney,
    ClientRow,
    ClientStats,
    Revenue,
    RevenueBy,
    RevenueRow,
    group_key,
)
from sessionkit.model.html import html_of
from sessionkit.model.session import ResourceRef

__all__ = [
    "COUNT_DIMENSIONS",
    "REVENUE_DIMENSIONS",
    "ClientBookings",
    "ClientMoney",
    "ClientRow",
    "ClientStats",
    "CountBy",
    "Counts",
    "KeyCount",
    "Outcomes",
    "PaymentTotal",
    "Progress",
    "RateRow",
    "Rates",
    "Revenue",
    "RevenueBy",
    "RevenueRow",
    "StatusCount",
    "TimingCount",
    "ratio",
]


def ratio(part: int, whole: int) -> float | None:
    """Return ``part / whole``, or ``None`` when ``whole`` is zero (the rate is undefined)."""
    part = check_int(part, name="part", expected="an int")
    whole = check_int(whole, name="whole", expected="an int")
    if not whole:
        return None
    try:
        return part / whole
    except OverflowError:
        raise InvalidValue(
            f"the ratio of {shown(part)} to {shown(whole)} is too large for a float",
            value=part,
            expected="a part at most about 1e308 times the whole",
        ) from None


def _statuses(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Collection):
        raise WrongType(value, name="statuses", expected="a collection of status names")
    if not all(isinstance(v, str) for v in value):
        raise WrongType(value, name="statuses", expected="status names (str)")
    return frozenset(value)


@attrs.frozen(kw_only=True)
class Outcomes:
    """Which session statuses are outcomes: completed, no-show, cancelled.

    The defaults cover the preset lifecycles (``FINISHED`` is the LMS's
    completion, ``MISSED`` the coaching no-show, ``ABSENT`` the academy's,
    ``CANCELED`` the LMS's spelling). A host with its own lifecycle passes its
    own. A status in two sets is refused: a session has one outcome.
    """

    completed: frozenset[str] = attrs.field(
        default=frozenset({"COMPLETED", "FINISHED"}), converter=_statuses, repr=set_repr
    )
    no_show: frozenset[str] = attrs.field(
        default=frozenset({"NO_SHOW", "MISSED", "ABSENT"}), converter=_statuses, repr=set_repr
    )
    cancelled: frozenset[str] = attrs.field(
        default=frozenset({"CANCELLED", "CANCELED"}), converter=_statuses, repr=set_repr
    )

    def __attrs_post_init__(self) -> None:
        sets = (self.completed, self.no_show, self.cancelled)
        shared = sorted((sets[0] & sets[1]) | (sets[0] & sets[2]) | (sets[1] & sets[2]))
        if shared:
            raise InvalidValue(
                f"a status is one outcome only; {', '.join(shared)} is in two sets",
                value=shared,
                expected="disjoint completed, no_show and cancelled statuses",
            )


# ---------------------------------------------------------------- the figures


@attrs.frozen(kw_only=True)
class Counts:
    """Sessions counted by status, per group (``by``; ``None``: the whole scope).

    ``rows`` are sorted by key (``None`` first), then status.
    """

    tenant: str
    by: CountBy | None
    rows: tuple[StatusCount, ...]

    COLUMNS = ("key", "status", "sessions")
    """The columns of :meth:`to_records`."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "key": "text",
        "status": "category",
        "sessions": "int",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one ``{"key", "status", "sessions"}`` dict per row, in order."""
        return [{"key": r.key, "status": r.status, "sessions": r.sessions} for r in self.rows]

    @property
    def total(self) -> int:
        """All sessions counted (a session under two resources counts twice)."""
        return sum(r.sessions for r in self.rows)

    def by_status(self, key: str | ResourceRef | None = None) -> dict[str, int]:
        """Return ``{status: sessions}`` of the group ``key`` (``None``: the whole scope).

        ``None`` of a result grouped by kind sums the groups; by resource or
        participant, where a session can be in several, it is ``InvalidValue``.
        """
        wanted = group_key(key)
        if every_group(self.by, wanted, split=_SPLIT, items="sessions"):
            totals: dict[str, int] = {}
            for r in sorted(self.rows, key=lambda r: r.status):
                totals[r.status] = totals.get(r.status, 0) + r.sessions
            return totals
        return {r.status: r.sessions for r in self.rows if r.key == wanted}

    def keys(self) -> list[str | None]:
        """Return the groups, in order, each once."""
        return list(dict.fromkeys(r.key for r in self.rows))


@attrs.frozen(slots=True, kw_only=True)
class RateRow:
    """One group's outcome counts and rates (definitions in ``docs/analytics.md``)."""

    key: str | None
    sessions: int
    completed: int
    no_show: int
    cancelled: int
    rescheduled: int

    @property
    def held(self) -> int:
        """Sessions whose time came and went with an outcome: completed or no-show."""
        return self.completed + self.no_show

    @property
    def completion_rate(self) -> float | None:
        """Completed out of held (``None`` when none was held)."""
        return ratio(self.completed, self.held)

    @property
    def no_show_rate(self) -> float | None:
        """No-show out of held (``None`` when none was held)."""
        return ratio(self.no_show, self.held)

    @property
    def cancellation_rate(self) -> float | None:
        """Cancelled out of all sessions (``None`` when there are none)."""
        return ratio(self.cancelled, self.sessions)

    @property
    def reschedule_rate(self) -> float | None:
        """Rescheduled out of all sessions (``None`` when there are none)."""
        return ratio(self.rescheduled, self.sessions)


@attrs.frozen(kw_only=True)
class Rates:
    """Completion, no-show, cancellation and reschedule rates per group, sorted by key."""

    tenant: str
    by: CountBy | None
    rows: tuple[RateRow, ...]

    COLUMNS = (
        "key",
        "sessions",
        "held",
        "completed",
        "no_show",
        "cancelled",
        "rescheduled",
        "completion_rate",
        "no_show_rate",
        "cancellation_rate",
        "reschedule_rate",
    )
    """The columns of :meth:`to_records`."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "key": "text",
        "sessions": "int",
        "held": "int",
        "completed": "int",
        "no_show": "int",
        "cancelled": "int",
        "rescheduled": "int",
        "completion_rate": "float",
        "no_show_rate": "float",
        "cancellation_rate": "float",
        "reschedule_rate": "float",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per row with :attr:`COLUMNS` (rates are floats or ``None``)."""
        return [{name: getattr(row, name) for name in self.COLUMNS} for row in self.rows]

    def get(self, key: str | ResourceRef | None = None) -> RateRow:
        """Return the row of ``key`` (an empty one when the group has no session).

        ``None`` of a result grouped by kind is every group together (the rates
        of the summed counts); by resource or participant, where a session can
        be in several, it is ``InvalidValue``.
        """
        wanted = group_key(key)
        if every_group(self.by, wanted, split=_SPLIT, items="sessions"):
            rows = self.rows
            return RateRow(
                key=None,
                sessions=sum(r.sessions for r in rows),
                completed=sum(r.completed for r in rows),
                no_show=sum(r.no_show for r in rows),
                cancelled=sum(r.cancelled for r in rows),
                rescheduled=sum(r.rescheduled for r in rows),
            )
        for row in self.rows:
            if row.key == wanted:
                return row
        return RateRow(key=wanted, sessions=0, completed=0, no_show=0, cancelled=0, rescheduled=0)


@attrs.frozen(kw_only=True)
class Progress:
    """A package's or contract's progress: what is done, what is left, and whether it is on track.

    ``total``: the sessions the package promises (given, or its sessions that
    are not cancelled); ``completed``, ``no_show`` and ``cancelled`` count its
    sessions by outcome; ``due``: its sessions that are not cancelled and had
    ended by ``now``. On track: every due session was completed.
    """

    tenant: str
    now: datetime
    total: int
    sessions: int
    completed: int
    no_show: int
    cancelled: int
    due: int

    COLUMNS = (
        "total",
        "sessions",
        "completed",
        "no_show",
        "cancelled",
        "due",
        "remaining",
        "ratio",
        "on_track",
    )
    """The columns of :meth:`to_records`."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "total": "int",
        "sessions": "int",
        "completed": "int",
        "no_show": "int",
        "cancelled": "int",
        "due": "int",
        "remaining": "int",
        "ratio": "float",
        "on_track": "bool",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    @property
    def remaining(self) -> int:
        """Sessions still to complete: ``total - completed`` (never below zero)."""
        return max(self.total - self.completed, 0)

    @property
    def ratio(self) -> float | None:
        """Completed out of total (``None`` for an empty package)."""
        return ratio(self.completed, self.total)

    @property
    def on_track(self) -> bool:
        """Whether every session that was due by ``now`` was completed."""
        return self.completed >= self.due

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict with :attr:`COLUMNS`."""
        return [{name: getattr(self, name) for name in self.COLUMNS}]


# Show (and pickle) what moved to the private module under this public path, as before.
_moved: object
for _moved in (StatusCount, KeyCount, TimingCount, PaymentTotal, ClientBookings, every_group):
    _moved.__module__ = __name__
del _moved
