"""Bookings by session start in Django: a participant's and a tenant's, paged in the query.

:class:`~sessionkit.contrib.django._bookings.DjangoBookingRepository` reads
both through :func:`by_start`: filtered by window and status, ordered by
session start then id (by code point), continued after a ``(session_start,
id)`` cursor and cut to the limit, all by the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from sessionkit.contrib.django.models import BookingRecord
from sessionkit.model.booking import Booking
from sessionkit.timespan import TimeSpan

__all__ = ["by_start"]


def by_start(
    rows: QuerySet[BookingRecord],
    make: Callable[[BookingRecord], Booking],
    window: TimeSpan | None,
    statuses: Iterable[str] | None,
    after: tuple[datetime, str] | None,
    limit: int | None,
) -> list[Booking]:
    """Return the bookings of ``rows`` whose session starts in ``window``, by start then id.

    ``rows`` are aliased ``exact_id``: the record id compared by code point
    (the repository's ``_exact("record_id")``); ``make`` builds a booking from a row.
    """
    if limit is not None and limit <= 0:
        return []
    if window is not None:
        rows = rows.filter(session_start__gte=window.start, session_start__lt=window.end)
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    if after is not None:
        start, last = after
        rows = rows.filter(
            Q(session_start__gt=start) | Q(session_start=start, exact_id__gt=last),
            session_start__gte=start,  # the index range's start; the OR alone is a filter to some
        )
    ordered = rows.order_by("session_start", "exact_id")
    return [make(row) for row in (ordered if limit is None else ordered[:limit])]
