"""Subscriptions and their periods: what a subscriber is given, over which months, in which zone.

A :class:`Subscription` and the checks of its fields (credits, ``per``,
``on_limit``, its zone and instants: the ledger's entries take their instants
through the same converters), and :func:`check_period`, the one reading of a
period (``"YYYY-MM"`` or ``"total"``) that a subscription's months and the
balance a service reads share. Kept apart from the ledger (``usage.py``) and
the session codes (``_usage_codes``) because what a plan gives is decided
here alone; the ledger only counts against it.

Private to :mod:`sessionkit.model.usage`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import ClassVar, Final, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import int_converter, shown
from sessionkit.model.booking import participant_ref
from sessionkit.model.html import html_of
from sessionkit.model.records import SUBSCRIPTION, Schema
from sessionkit.model.session import ResourceRef, check_identity, check_lengths
from sessionkit.zones import check_aware, get_zone, resolve_local

__all__ = [
    "MAX_CREDITS",
    "MAX_SUBSCRIPTION_ID_LENGTH",
    "TOTAL",
    "Per",
    "Subscription",
    "check_period",
]

Per = Literal["month", "total"]
"""What a subscription's credits are counted over: each calendar month, or its whole life."""

TOTAL: Final = "total"
"""The period of every entry of a ``per="total"`` subscription."""

MAX_CREDITS: Final = 1_000_000
"""The most credits one subscription gives per period."""

MAX_SUBSCRIPTION_ID_LENGTH: Final = 100
"""Subscription ids are shorter than other ids: their counters' names hold them and a period."""

_MONTH = 12
_PERIOD: Final = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_LAST_PERIOD_YEAR: Final = 9998
"""The last year a period may fall in: its end, in any zone, is still a datetime."""


def _instant(value: datetime) -> datetime:
    return check_aware(value, "instant").astimezone(UTC)


def _optional(value: datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


def _zone(value: object) -> str:
    return get_zone(value).key  # type: ignore[arg-type]  # raises UnknownTimeZone naming the value


def _check_credits(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(value, name="credits", expected="an integer 1..1,000,000")
    if not 1 <= value <= MAX_CREDITS:
        raise InvalidValue(
            f"credits must be 1..{MAX_CREDITS:,}, got {shown(value)}",
            value=value,
            expected=f"1..{MAX_CREDITS}",
        )


def _check_per(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ("month", "total"):
        raise InvalidValue(
            f"per must be 'month' or 'total', got {shown(value)}",
            value=value,
            expected="month, total",
        )


def _check_on_limit(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ("refuse", "allow"):
        raise InvalidValue(
            f"on_limit must be 'refuse' or 'allow', got {shown(value)}",
            value=value,
            expected="refuse, allow",
        )


@attrs.frozen(slots=True, kw_only=True)
class Subscription:
    """``credits`` sessions per ``per`` for ``subscriber``, valid from ``starts`` until ``ends``.

    ``per="month"`` counts calendar months on the wall clock of ``tz``;
    ``per="total"`` counts the subscription's whole life. ``on_limit`` says
    what consuming past the credits does: ``"refuse"`` raises
    :class:`~sessionkit.errors.UsageLimitReached` and writes nothing,
    ``"allow"`` records the entry anyway (the balance goes below zero). The
    clock's status changes (timed transitions) are counted as ``"allow"``
    counts them either way: a session past the credits still ends.
    ``ends`` is exclusive; ``None`` means open-ended.
    """

    id: str
    tenant: str
    subscriber: ResourceRef = attrs.field(converter=participant_ref)
    credits: int = attrs.field(converter=int_converter, validator=_check_credits)
    per: Per = attrs.field(default="month", validator=_check_per)
    tz: str = attrs.field(default="UTC", converter=_zone)
    starts: datetime = attrs.field(converter=_instant)
    ends: datetime | None = attrs.field(default=None, converter=_optional)
    on_limit: Literal["refuse", "allow"] = attrs.field(default="refuse", validator=_check_on_limit)
    created_at: datetime = attrs.field(converter=_instant)
    created_by: str | None = None
    version: int = 1

    __record_schema__: ClassVar[Schema] = SUBSCRIPTION
    _repr_html_ = html_of

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        if len(self.id) > MAX_SUBSCRIPTION_ID_LENGTH:
            raise InvalidValue(
                f"a subscription id has at most {MAX_SUBSCRIPTION_ID_LENGTH} characters, "
                f"got {len(self.id)}",
                value=self.id,
                expected=f"<= {MAX_SUBSCRIPTION_ID_LENGTH} characters",
            )
        check_lengths(self, created_by=255)
        if self.ends is not None and self.ends <= self.starts:
            raise InvalidValue(
                f"a subscription must end after it starts ({self.starts.isoformat()}), "
                f"got ends={self.ends.isoformat()}",
                value=self.ends,
                expected=f"after {self.starts.isoformat()}",
            )

    def active_at(self, instant: datetime) -> bool:
        """Whether ``instant`` lies in the validity window ``[starts, ends)``."""
        instant = check_aware(instant, "instant")
        return self.starts <= instant and (self.ends is None or instant < self.ends)

    def period_of(self, instant: datetime) -> str:
        """Return the period ``instant`` counts in: ``"YYYY-MM"`` in ``tz``, or ``"total"``."""
        local = check_aware(instant, "instant").astimezone(get_zone(self.tz))
        if self.per == "total":
            return TOTAL
        return f"{local.year:04d}-{local.month:02d}"

    def in_force(self, period: str) -> bool:
        """Whether any instant of ``period`` lies in the validity window ``[starts, ends)``.

        A month wholly before :attr:`starts` or from :attr:`ends` on has no
        credits; ``"total"`` is the subscription's whole life (a balance
        reads the instant instead: :meth:`in_force_at`).
        """
        days = self._month(period)
        if days is None:
            return True
        first, after = (self._instant(day) for day in days)
        return after > self.starts and (self.ends is None or first < self.ends)

    def in_force_at(self, instant: datetime) -> bool:
        """Whether a balance asked at ``instant`` has the credits of ``instant``'s period.

        For ``per="month"``, whether that month is :meth:`in_force`. A
        ``per="total"`` subscription has one period, its whole life, so the
        instant itself must lie in ``[starts, ends)``: before :attr:`starts`
        or from :attr:`ends` on, no session can draw on its credits.
        """
        if self.per == "total":
            return self.active_at(instant)
        return self.in_force(self.period_of(instant))

    def period_end(self, period: str) -> datetime | None:
        """Return when ``period`` ends and fresh credits start (UTC), or ``None`` for ``total``.

        Capped at :attr:`ends`: after it, no period of this subscription starts again.
        """
        days = self._month(period)
        if days is None:
            return None
        end = self._instant(days[1])
        return end if self.ends is None else min(end, self.ends)

    def _month(self, period: str) -> tuple[date, date] | None:
        """The first day of ``period``'s month and of the next (``None``: ``total``)."""
        if check_period(period) == TOTAL:
            return None
        year, month = (int(part) for part in period.split("-"))
        return date(year, month, 1), date(year + month // _MONTH, month % _MONTH + 1, 1)

    def _instant(self, day: date) -> datetime:
        """The UTC instant ``day`` begins in :attr:`tz`."""
        return resolve_local(datetime.combine(day, time()), self.tz).astimezone(UTC)


def check_period(period: object, name: str = "period") -> str:
    """Return ``period`` if it is ``"YYYY-MM"`` (years 0001..9998) or ``"total"``, else raise.

    ``InvalidValue`` names the value (``WrongType`` if it is no string).
    """
    if period == TOTAL:
        return TOTAL
    if not isinstance(period, str):
        raise WrongType(period, name=name, expected=f"a period: 'YYYY-MM' or {TOTAL!r}")
    if not _PERIOD.fullmatch(period):
        raise InvalidValue(
            f"a period is 'YYYY-MM' or {TOTAL!r}, got {shown(period)}",
            value=period,
            expected=f"'YYYY-MM' (month 01..12) or {TOTAL!r}",
        )
    if not 1 <= int(period[:4]) <= _LAST_PERIOD_YEAR:  # its end is the next month's first day
        raise InvalidValue(
            f"period {period!r} is outside the years 0001..{_LAST_PERIOD_YEAR}",
            value=period,
            expected=f"a month of the years 0001..{_LAST_PERIOD_YEAR}",
        )
    return period
