"""The slot grid: slot starts on a local step grid, clear of the notice and the horizon.

:func:`_slot_rules` checks the slot arguments (duration, step, notice,
horizon, now) and gives the earliest start and the start limit;
:func:`_on_grid` cuts free pairs into slots whose local wall time is a whole
number of steps after local midnight, walking each local day's UTC stretches
of one offset (:func:`_day_runs`), so that a skipped wall time gives no slot
and a repeated one a slot at each moment. Private to
:mod:`sessionkit.availability.slots`, whose ``free_slots`` and
``common_free_slots`` end here; kept apart by the style's size limit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sessionkit.availability._free_time import Pairs, _delta
from sessionkit.availability._wall import (
    ONE_DAY,
    Run,
    day_offset,
    local_date,
    offset_runs,
)
from sessionkit.errors import InvalidDuration, InvalidValue, LimitExceeded
from sessionkit.errors._base import duration_text
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant


def _slot_rules(
    lo: datetime,
    duration: object,
    step: object,
    min_notice: object,
    horizon: object,
    now: datetime | None,
) -> tuple[timedelta, timedelta, datetime, datetime | None]:
    """Validate the slot arguments; return (duration, step, earliest start, start limit)."""
    length = _delta(duration, "duration", positive=True)
    grid = min(length, ONE_DAY) if step is None else _delta(step, "step", positive=True)
    if grid > ONE_DAY:
        raise InvalidDuration(
            "step must be at most one day (the grid restarts at local midnight), got "
            f"{duration_text(grid)}",
            value=grid,
            expected="0 < step <= 1 day",
        )
    notice = _delta(min_notice, "min_notice")
    ahead = None if horizon is None else _delta(horizon, "horizon", positive=True)
    if ahead is not None and ahead < notice:
        # Starts lie in [now + min_notice, now + horizon]: none would be left.
        raise InvalidValue(
            f"horizon {duration_text(ahead)} is shorter than min_notice {duration_text(notice)},"
            " so no slot could start;"
            " starts lie from now + min_notice up to and at now + horizon",
            value=(min_notice, horizon),
            expected="min_notice <= horizon (or horizon=None for no limit)",
        )
    if now is None:
        if notice or ahead is not None:
            raise InvalidValue(
                "min_notice and horizon are measured from now; pass now=<aware datetime>",
                value=(min_notice, horizon),
                expected="now",
            )
        return length, grid, lo, None
    moment = check_instant(now, "now")
    earliest = max(lo, moment + notice)
    # The bound returned is exclusive: one tick past now + horizon lets in a start exactly
    # ``horizon`` ahead, as BookingRules.max_horizon allows booking it (check_booking_time).
    return length, grid, earliest, None if ahead is None else moment + ahead + _TICK


def _on_grid(
    free: Pairs,
    zone: ZoneInfo,
    duration: timedelta,
    step: timedelta,
    earliest: datetime,
    stop: datetime | None,
    most: int,
) -> list[TimeSpan]:
    """Return the slots of ``duration`` on the local ``step`` grid inside the ``free`` pairs.

    Raises ``LimitExceeded`` before building more than ``most`` slots.
    """
    slots: list[TimeSpan] = []
    append = slots.append
    unchecked = TimeSpan.unchecked
    days: dict[date, tuple[Run, ...]] = {}

    def runs_of(day: date) -> tuple[Run, ...]:
        runs = days.get(day)
        if runs is None:
            runs = days[day] = _day_runs(zone, day)
        return runs

    unsorted = False
    for free_lo, free_hi in free:
        first = max(free_lo, earliest)
        last = free_hi - duration  # the latest start, inclusive
        if stop is not None and stop <= last:
            last = stop - _TICK
        if last < first:
            continue
        day = local_date(zone, first)
        final_day = local_date(zone, last)
        # Where the clocks go back across midnight, local dates run backwards for a
        # while: an instant after ``first`` may belong to the day before (only when
        # the first day's midnight comes twice), one before ``last`` to the day after
        # (only when the last day's next midnight does). A regular day is one run.
        if len(runs_of(day)) > 1:
            day -= ONE_DAY
        if len(runs_of(final_day)) > 1:
            final_day += ONE_DAY
        while day <= final_day:
            runs = runs_of(day)
            if len(runs) > 1:  # such a day, at either end or inside the span, reorders
                unsorted = True
            midnight = datetime.combine(day, _MIDNIGHT).replace(tzinfo=UTC)
            for run_lo, run_hi, offset in runs:
                # In a run the wall time of instant t is t + offset, so the grid
                # instants are midnight - offset + k * step for the k whose wall
                # time lies in the day and whose instant lies in the run and in
                # [first, last]. A skipped wall time is in no run, a repeated one
                # in two.
                base = midnight - offset
                lo = max(first, run_lo, base)
                hi = min(last, run_hi - _TICK, base + ONE_DAY - _TICK)
                if hi < lo:
                    continue
                k_first = -((base - lo) // step)
                k_last = (hi - base) // step
                if k_last < k_first:
                    continue
                if len(slots) + k_last - k_first + 1 > most:
                    raise LimitExceeded(
                        "slots",
                        len(slots) + k_last - k_first + 1,
                        most,
                        what=f"slots of {duration_text(duration)} every {duration_text(step)}"
                        " (counted so far)",
                    )
                start = base + k_first * step
                for _ in range(k_first, k_last + 1):
                    append(unchecked(start, start + duration))
                    start += step
            day += ONE_DAY
    if unsorted:  # a day visited before the one after it can hold later instants
        slots.sort(key=_slot_start)
    return slots


_TICK = timedelta(microseconds=1)
_MIDNIGHT = time(0)


def _slot_start(slot: TimeSpan) -> datetime:
    return slot.start


def _day_runs(zone: ZoneInfo, day: date) -> tuple[Run, ...]:
    """Return the UTC stretches of one offset of a local day: one on a regular day."""
    offset = day_offset(zone, day)
    if offset is not None:
        start = (datetime.combine(day, _MIDNIGHT) - offset).replace(tzinfo=UTC)
        return ((start, start + ONE_DAY, offset),)
    return offset_runs(zone, day)
