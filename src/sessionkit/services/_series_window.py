"""How far a series is generated ahead: the window a top-up fills, and what it checks.

Private to the services package. :func:`top_up_window` (exported by
:mod:`sessionkit.services.series` under its name) says what a top-up at an
instant generates for a series, or that none is due; :func:`refill_end` where
a top-up fills it to; :func:`check_ahead` checks the window a schedule
change's first top-up will generate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sessionkit.model.series import Series
from sessionkit.services._context import Context
from sessionkit.services._series_time import check_begin, months_after, series_start, series_zone
from sessionkit.services.generation import check_keys, wanted_occurrences

__all__ = ["check_ahead", "refill_end", "top_up_window"]

_PAST_BUFFER = timedelta(days=1)
"""How far past its buffer a top-up fills a series at least.

A series whose ``initial_months`` do not reach past its ``buffer`` (the
marketplace's: a month ahead, five weeks kept) was refilled to exactly the
buffer: a second later less than the buffer lay ahead, so every tick topped
it up again (no session made, a version written, ``idle`` never true, and
``tick --until-idle`` never ended). Filled a day past it, it is due once a day.
"""


def top_up_window(series: Series, now: datetime) -> tuple[datetime, datetime] | None:
    """Return the ``(from, to)`` a top-up at ``now`` generates for ``series``, or ``None``.

    ``None`` for an inactive series, or one with at least ``window.buffer``
    generated ahead of ``now``; so the tick claims only the series due.
    """
    if not series.is_active:
        return None
    begin = check_begin(series, max(now, series_start(series)))
    reached = series.generated_until
    if reached is not None and reached - begin >= series.window.buffer:
        return None
    target = refill_end(series, begin)
    lo = begin if reached is None else max(reached, begin)
    if lo >= target:
        return None
    return lo, target


def refill_end(series: Series, begin: datetime) -> datetime:
    """Where a top-up from ``begin`` fills ``series``: months ahead, or a day past its buffer."""
    return max(
        months_after(begin, series.window.initial_months, series_zone(series)),
        begin + series.window.buffer + _PAST_BUFFER,
    )


def check_ahead(ctx: Context, series: Series, cutoff: datetime) -> None:
    """Check the window the first top-up of ``series`` from ``cutoff`` on will generate.

    A change whose cutoff lies past all that is generated has nothing to
    reconcile, so nothing checked its items: two zones at one local time
    (:func:`check_keys`) or a rule too dense for a window (``LimitExceeded``)
    went through, to be skipped silently or fail every top-up. They are
    refused now, as for a change effective at once.
    """
    begin = check_begin(series, max(cutoff, series_start(series)))
    end = refill_end(series, begin)
    check_keys(series, wanted_occurrences(series, begin, end, ctx.limits))
