"""Limits: how much work one call may do, so that no single request can take a service down.

A rule such as ``FREQ=SECONDLY`` is valid RFC 5545, and a one-microsecond slot
grid is a valid ``timedelta``; asked for over a few weeks, either would make
one call build millions of objects. :class:`Limits` bounds every call that
does work in proportion to its arguments; past a limit the call raises
:class:`~sessionkit.errors.LimitExceeded` (``name``, ``value``, ``maximum``)
and stores nothing. Limits are checked before the work wherever the size is
known in advance (a window's length), else as soon as the count passes the
limit (sessions, slots, candidates), so a refused call costs about what the
limit allows, never more.

The defaults are far above what a school, a clinic or a marketplace asks
for in one call; raise them for a batch job that needs more:

>>> from datetime import timedelta
>>> Limits().sessions_per_materialisation
10000
>>> Limits(window=timedelta(days=366)).window.days
366

Pass them to :class:`~sessionkit.services.SessionKit` (``limits=``) and to the
availability functions (``limits=``); :meth:`Recurrence.between
<sessionkit.recurrence.Recurrence.between>` takes ``max_candidates``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from sessionkit.errors import InvalidValue, LimitExceeded, NotADatetime, WrongType
from sessionkit.errors._base import check_int, duration_text, int_converter, shown
from sessionkit.zones import check_aware

__all__ = ["CEILING", "DEFAULT_LIMITS", "Limits", "check_limits"]

CEILING: Final = timedelta(days=36_600)
"""The longest window any limit may allow: 100 years (so that no sum of instants overflows)."""


def _count(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(value, name=f"Limits.{attribute.name}", expected="an integer >= 1")
    if value < 1:
        raise InvalidValue(
            f"Limits.{attribute.name} must be an integer >= 1, got {shown(value)}",
            value=value,
            expected="an integer >= 1",
        )


def _window(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta):
        raise NotADatetime(value, name=f"Limits.{attribute.name}", expected="timedelta")
    if not timedelta(0) < value <= CEILING:
        raise InvalidValue(
            f"Limits.{attribute.name} must be longer than zero and at most {CEILING.days:,} "
            f"days (100 years), got {duration_text(value)}",
            value=value,
            expected=f"0 < window <= {CEILING.days} days",
        )


_COUNTS: Final = ("sessions_per_materialisation", "candidates", "slots")
"""The limits that are counts (the rest is ``window``)."""


@attrs.frozen(kw_only=True)
class Limits:
    """The most work one call may do; every field is a limit of that name.

    ``sessions_per_materialisation``
        Sessions one call may plan for a series (creating it, materialising a
        window, a top-up, a schedule change) or for a batch (``create_many``).
    ``candidates``
        Candidate dates one recurrence expansion may examine (the rule's
        periods and the dates they produce, matching or not), per schedule
        item and call.
    ``window``
        The longest window a call works over: a materialised window, a
        series' generation window (``initial_months``, ``buffer``), an
        agenda, free time and free slots. At most :data:`CEILING`.
    ``slots``
        Free slots one ``free_slots`` / ``common_free_slots`` call may return.
    """

    sessions_per_materialisation: int = attrs.field(
        default=10_000, converter=int_converter, validator=_count
    )
    candidates: int = attrs.field(default=100_000, converter=int_converter, validator=_count)
    window: timedelta = attrs.field(default=timedelta(days=3_660), validator=_window)
    slots: int = attrs.field(default=10_000, converter=int_converter, validator=_count)

    def check_window(self, start: datetime, end: datetime, what: str = "the window") -> None:
        """Raise ``LimitExceeded`` (``"window"``) when ``[start, end)`` is longer than allowed."""
        length = check_aware(end, "end") - check_aware(start, "start")
        if length > self.window:
            raise LimitExceeded(
                "window",
                length,
                self.window,
                what=f"{what} from {start.isoformat()} to {end.isoformat()}",
            )

    def check_count(self, name: str, value: int, what: str) -> None:
        """Raise ``LimitExceeded`` when ``value`` is above the limit ``name`` (a count field)."""
        if name not in _COUNTS:
            raise InvalidValue(
                f"no count limit is called {shown(name)}; the counts are {', '.join(_COUNTS)}",
                value=name,
                expected=" | ".join(_COUNTS),
            )
        value = check_int(value, name=name, expected="an int")
        maximum = getattr(self, name)
        if value > maximum:
            raise LimitExceeded(name, value, maximum, what=what)


DEFAULT_LIMITS: Final = Limits()
"""The limits used where none are given: 10,000 sessions per materialisation, 100,000
candidates per expansion, windows of at most 3,660 days (ten years), 10,000 slots."""


def check_limits(value: object) -> Limits:
    """Return ``value`` if it is a :class:`Limits` (``None``: the defaults), else raise."""
    if value is None:
        return DEFAULT_LIMITS
    if not isinstance(value, Limits):
        raise WrongType(value, name="limits", expected="a sessionkit.Limits")
    return value
