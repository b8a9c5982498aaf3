"""What the iCalendar tests share: an instant, a calendar's text, an event's lines, a series."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sessionkit.model.series import ScheduleItem, Series
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.services.reports import MaterialiseReport

NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ics(*body: str) -> str:
    """A calendar of ``body``'s lines, CRLF-ended as RFC 5545 writes them."""
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *body, "END:VCALENDAR", ""])


def event(*lines: str) -> list[str]:
    return ["BEGIN:VEVENT", *lines, "END:VEVENT"]


def choir(
    kit: SessionKit, *, count: int | None, title: str = "Choir"
) -> tuple[Series, MaterialiseReport]:
    """Choir, Mondays at 18:00 in Berlin from 2 March 2026, ``count`` of them, in room r1.

    ``count=None``: a rule that never ends.
    """
    item = ScheduleItem(
        id="mon",
        recurrence=Recurrence.weekly(
            days=("MO",),
            at=time(18),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(2026, 3, 2),
            count=count,
        ),
        resources=("room:r1",),
    )
    return kit.series.create("acme", actor="a", title=title, items=[item])
