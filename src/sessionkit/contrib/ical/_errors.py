"""The errors of reading an iCalendar file: each names the line it is about."""

from __future__ import annotations

from sessionkit.errors import InvalidValue

__all__ = [
    "CalendarError",
    "CalendarSyntaxError",
    "MissingProperty",
    "UnboundedRule",
    "UnknownCalendarZone",
    "UnsupportedCalendar",
    "UnsupportedMethod",
]


class CalendarError(InvalidValue):
    """A calendar that cannot be imported; nothing of it was imported.

    ``line`` is the 1-based number of the (first physical) line the problem is
    on, ``text`` that content line, unfolded (``None`` when the whole file is
    at fault), ``uid`` the UID of the event it belongs to, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None,
        text: str | None,
        uid: str | None = None,
        expected: str = "",
    ) -> None:
        where = f"line {line}: " if line is not None else ""
        shown = f" in {text if len(text) <= 120 else text[:117] + '...'!r}" if text else ""
        super().__init__(f"{where}{message}{shown}", value=text, expected=expected)
        self.line = line
        self.text = text
        self.uid = uid


class CalendarSyntaxError(CalendarError):
    """Text that is not iCalendar: a line without ``name:value``, unbalanced BEGIN/END."""


class MissingProperty(CalendarError):
    """An event without a property it needs (DTSTART; DTEND or DURATION for a timed one)."""


class UnknownCalendarZone(CalendarError):
    """A TZID that is no IANA zone and that no VTIMEZONE of the calendar maps to one."""


class UnboundedRule(CalendarError):
    """A rule without COUNT or UNTIL, asked for all its occurrences without a window."""


class UnsupportedCalendar(CalendarError):
    """iCalendar that sessionkit cannot represent (a rule part, RANGE=THISANDFUTURE, ...)."""


class UnsupportedMethod(UnsupportedCalendar):
    """An iTIP message (RFC 5546: ``METHOD:CANCEL``, ``REPLY``, ...), not a calendar to import.

    ``method`` is the METHOD, upper-cased. Such a message changes events
    sent before (a ``CANCEL`` takes them away, even without ``STATUS:CANCELLED``),
    which reading its events as taking place would turn around.
    """

    def __init__(self, message: str, *, method: str, line: int | None, text: str | None) -> None:
        super().__init__(
            message,
            line=line,
            text=text,
            expected="a calendar of no METHOD, METHOD:PUBLISH or METHOD:REQUEST",
        )
        self.method = method
