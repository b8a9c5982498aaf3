"""Where each property of each VEVENT is in the text, so errors can name the line.

Also :func:`listed`, a property icalendar gives once or repeated, as a list.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from sessionkit.contrib.ical._errors import CalendarSyntaxError

__all__ = [
    "SourceEvent",
    "SourceMap",
    "SourceZone",
    "listed",
    "logical_lines",
    "scan",
    "tzid_lines",
    "vtimezones",
]


def listed(value: Any) -> list[Any]:
    """A property icalendar gives once (a value) or more often (a list) as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


_NAME = re.compile(r"[A-Za-z0-9-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TZID = re.compile(r';TZID=(?:"([^"]*)"|([^;:]*))', re.IGNORECASE)
_PARAMS = re.compile(r'(?:[^":]|"[^"]*")*')
"""A content line's name and parameters: up to its first ``:`` outside quotes (RFC 5545 3.1).

Outlook quotes TZIDs holding one (``TZID="(UTC+01:00) Amsterdam, Berlin"``).
"""


def _tzids(line: str) -> list[str]:
    """The ``TZID`` parameters of one content line, in order."""
    head = _PARAMS.match(line)
    return [
        match.group(1) or match.group(2) or ""
        for match in _TZID.finditer(head.group(0) if head else "")
    ]


@attrs.frozen
class SourceEvent:
    """One VEVENT: the line of its BEGIN and, per property name, its ``(line, text)`` lines."""

    begin: int
    props: dict[str, list[tuple[int, str]]]

    def first(self, name: str) -> tuple[int, str]:
        """Return the first ``(line, text)`` of property ``name``, else the BEGIN line."""
        found = self.props.get(name)
        return found[0] if found else (self.begin, "BEGIN:VEVENT")

    def nth(self, name: str, index: int) -> tuple[int, str]:
        """Return the ``index``-th ``(line, text)`` of property ``name`` (else the first)."""
        found = self.props.get(name, [])
        return found[index] if index < len(found) else self.first(name)

    def tzids(self) -> list[str]:
        """Return the TZID parameters of the event's lines, in text order (repeats kept)."""
        lines = sorted(line for found in self.props.values() for line in found)
        return [tzid for _, text in lines for tzid in _tzids(text)]


@attrs.frozen
class SourceMap:
    """The VEVENTs in text order, and the TZIDs the calendar's VTIMEZONEs define."""

    events: list[SourceEvent]
    zones: dict[str, int]


_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def logical_lines(text: str) -> list[tuple[int, str]]:
    r"""Unfold content lines (RFC 5545 3.1); return each with its first physical line number.

    Lines end at CRLF (or a bare LF or CR), never at the other characters
    ``str.splitlines`` breaks on (``\x1c``-``\x1e``, ``\x85``, ``\u2028``, ...):
    inside a value they are text, and line numbers must match an editor's.
    """
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        if raw[:1] in (" ", "\t") and lines:
            first, so_far = lines[-1]
            lines[-1] = (first, so_far + raw[1:])
        elif raw.strip():
            lines.append((number, raw))
    return lines


def scan(text: str) -> SourceMap:
    """Check the calendar's outline and map its VEVENTs; raise ``CalendarSyntaxError``."""
    lines = logical_lines(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        first = lines[0] if lines else (1, "")
        raise CalendarSyntaxError(
            "a calendar starts with BEGIN:VCALENDAR",
            line=first[0],
            text=first[1],
            expected="BEGIN:VCALENDAR",
        )
    stack: list[str] = []
    opened: list[tuple[int, str]] = []  # the BEGIN line of each component in ``stack``
    events: list[SourceEvent] = []
    zones: dict[str, int] = {}
    current: SourceEvent | None = None
    for number, line in lines:
        if _SURROGATE.search(line):
            # Text, not UTF-8 bytes (bytes that hold one do not decode): such a value could
            # be read but never written back, nor stored.
            raise CalendarSyntaxError(
                "a lone surrogate, which is no character",
                line=number,
                text=line,
                expected="Unicode text",
            )
        head, sep, value = line.partition(":")
        name = re.split(r"[;:]", head, maxsplit=1)[0].upper()
        if not sep or not _NAME.fullmatch(name):
            raise CalendarSyntaxError(
                "not an iCalendar content line", line=number, text=line, expected="NAME:value"
            )
        if name == "BEGIN":
            stack.append(value.strip().upper())
            opened.append((number, line))
            if stack[-1] == "VEVENT":
                current = SourceEvent(begin=number, props={})
                events.append(current)
        elif name == "END":
            if not stack or stack[-1] != value.strip().upper():
                raise CalendarSyntaxError(
                    "END without its BEGIN",
                    line=number,
                    text=line,
                    expected=f"END:{stack[-1]}" if stack else "no more lines",
                )
            opened.pop()
            if stack.pop() == "VEVENT":
                current = None
        elif current is not None and stack[-1] == "VEVENT":
            current.props.setdefault(name, []).append((number, line))
        elif name == "TZID" and stack and stack[-1] == "VTIMEZONE":
            zones[value.strip()] = number
    if stack:
        raise CalendarSyntaxError(
            f"BEGIN:{stack[-1]} is never closed",
            line=opened[-1][0],
            text=opened[-1][1],
            expected=f"END:{stack[-1]}",
        )
    return SourceMap(events=events, zones=zones)


@attrs.frozen
class SourceZone:
    """One VTIMEZONE: its TZID, the line that names it, and its text (unfolded, CRLF lines).

    ``rules``: the ``(line, text)`` of each RRULE of its STANDARD and DAYLIGHT
    parts, in text order.
    """

    tzid: str
    line: int
    text: str
    block: str
    rules: tuple[tuple[int, str], ...] = ()


def vtimezones(text: str) -> list[SourceZone]:
    """Each VTIMEZONE of a calendar :func:`scan` has checked, in text order."""
    found: list[SourceZone] = []
    block: list[str] = []
    depth = 0  # inside a VTIMEZONE: 1 at its own properties, more in STANDARD or DAYLIGHT
    named: tuple[str, int, str] | None = None
    part = ""  # the component at depth 2: STANDARD, DAYLIGHT (or another)
    rules: list[tuple[int, str]] = []
    for number, line in logical_lines(text):
        head, _, value = line.partition(":")
        name = re.split(r"[;:]", head, maxsplit=1)[0].upper()
        if not depth:
            if name == "BEGIN" and value.strip().upper() == "VTIMEZONE":
                block, depth, named, rules = [line], 1, None, []
            continue
        block.append(line)
        if name == "BEGIN":
            depth += 1
            if depth == 2:
                part = value.strip().upper()
        elif name == "END":
            depth -= 1
            if not depth and named is not None:
                joined = "\r\n".join(block) + "\r\n"
                found.append(SourceZone(*named, block=joined, rules=tuple(rules)))
        elif name == "TZID" and depth == 1 and named is None:
            named = (value.strip(), number, line)
        elif name == "RRULE" and depth == 2 and part in ("STANDARD", "DAYLIGHT"):
            rules.append((number, line))
    return found


def tzid_lines(text: str) -> list[tuple[int, str, str]]:
    """Each ``TZID`` parameter of the calendar: its line number, the line, the name."""
    return [(number, line, tzid) for number, line in logical_lines(text) for tzid in _tzids(line)]
