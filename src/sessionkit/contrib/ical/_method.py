"""A calendar's METHOD (RFC 5546, iTIP): which calendars :func:`read_ical` reads as events."""

from __future__ import annotations

import re

from sessionkit.contrib.ical._errors import UnsupportedMethod
from sessionkit.contrib.ical._source import logical_lines
from sessionkit.errors._base import shown

__all__ = ["check_method"]

_HEAD = re.compile(r'(?:[^":]|"[^"]*")*')
"""A content line's name and parameters: up to its first ``:`` outside quotes (RFC 5545 3.1)."""

READ = frozenset({"PUBLISH", "REQUEST"})
"""The METHODs whose events are read as what takes place (as a calendar of no METHOD).

PUBLISH is a feed; REQUEST sends an event (or its newer version) to its
attendees: either way the events say what takes place.
"""

_WHY = {
    "CANCEL": (
        "is an iTIP cancellation (RFC 5546) of events sent before: its events do not take "
        "place, and imported they would; cancel the sessions stored with their UIDs "
        "(metadata['ical_uid']) instead"
    ),
    "ADD": "adds occurrences to a recurring event sent before, which it does not hold",
    "REPLY": "is an attendee's answer to an invitation, not events to import",
    "REFRESH": "asks for the latest version of an event, not events to import",
    "COUNTER": "proposes changes to an event, not events to import",
    "DECLINECOUNTER": "declines a proposed change, not events to import",
}


def check_method(text: str) -> None:
    """Refuse a calendar whose METHOD says its events are no calendar of what takes place.

    No METHOD, ``PUBLISH`` and ``REQUEST`` pass; any other METHOD (iTIP's
    ``CANCEL``, ``REPLY``, ``ADD``, ..., or one of no known meaning) raises
    :class:`UnsupportedMethod` on its line: read as events, a ``CANCEL``
    would bring back what it takes away. ``text`` is a calendar ``scan`` has
    checked.
    """
    depth = 0  # 1: the VCALENDAR's own properties, where METHOD is
    for number, line in logical_lines(text):
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
        elif name == "METHOD" and depth == 1:
            # The value follows the first ``:`` outside quotes: a quoted parameter may hold one.
            head = _HEAD.match(line)
            method = line[len(head.group(0)) + 1 :].strip().upper() if head else ""
            if method in READ:
                continue
            why = _WHY.get(method, "is no METHOD sessionkit knows the meaning of")
            raise UnsupportedMethod(
                f"METHOD {shown(method)} {why}; read_ical reads calendars of no METHOD,"
                " PUBLISH or REQUEST",
                method=method,
                line=number,
                text=line,
            )
