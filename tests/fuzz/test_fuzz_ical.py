"""read_ical with damaged calendars: a calendar, or a SessionKitError naming what is wrong."""

from __future__ import annotations

import os
import re
import time as clock
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionkit.contrib.ical import CalendarError, read_ical, write_ical
from sessionkit.errors import SessionKitError

CALL_BOUND = 30.0
_EXAMPLES = 400 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 60
LO, HI = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)

BASE = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "BEGIN:VEVENT",
    "UID:yoga",
    "SUMMARY:Yoga",
    "DTSTART;TZID=Europe/Berlin:20260316T180000",
    "DTEND;TZID=Europe/Berlin:20260316T193000",
    "RRULE:FREQ=WEEKLY;COUNT=4",
    "RRULE:FREQ=MONTHLY;BYDAY=2TU",
    "EXDATE;TZID=Europe/Berlin:20260323T180000",
    "RDATE;VALUE=PERIOD:20260327T080000Z/PT3H",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:yoga",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260330T180000",
    "DTSTART;VALUE=DATE:20260331",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:talk",
    "DTSTART:20260401T100000Z",
    "DURATION:PT1H",
    "END:VEVENT",
    "END:VCALENDAR",
]

values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "20260316T180000",
            "20260316",
            "99991231T235959Z",
            "00010101T000000",
            "20260329T023000",
            "FREQ=SECONDLY",
            "FREQ=DAILY;COUNT=0",
            "FREQ=YEARLY;BYMONTH=13",
            "P1D",
            "-PT1H",
            "20260101T000000Z/20250101T000000Z",
        ]
    ),
)
params = st.sampled_from(
    [
        "",
        ";TZID=Mars/Olympus",
        ";TZID=America/New_York",
        ";VALUE=DATE",
        ";VALUE=PERIOD",
        ";RANGE=THISANDFUTURE",
    ]
)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    lines = list(BASE)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "param", "drop", "repeat"]))
        name = lines[index].split(":", 1)[0].split(";", 1)[0]
        if action == "value" and name not in ("BEGIN", "END"):
            lines[index] = f"{name}{draw(params)}:{draw(values)}"
        elif action == "param" and name not in ("BEGIN", "END"):
            lines[index] = name + draw(params) + ":" + lines[index].split(":", 1)[1]
        elif action == "drop":
            del lines[index]
        else:
            lines.insert(index, lines[index])
        if not lines:
            break
    return "\r\n".join(lines) + "\r\n"


@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(damaged())
def test_a_damaged_calendar_is_read_or_refused_with_a_typed_error(text: str) -> None:
    started = clock.process_time()
    refused: SessionKitError | None = None
    try:
        cal = read_ical(text)
        cal.occurrences(LO, HI)
        write_ical(cal, stamp=LO)
    except SessionKitError as error:
        refused = error
    if isinstance(refused, CalendarError) and refused.line is not None:
        # Lines end at CRLF, LF or CR only (not at \x0c, \x1e, \x85, ... as splitlines() does).
        lines = re.split(r"\r\n|\n|\r", text)
        assert 1 <= refused.line <= len(lines)
        assert refused.text == lines[refused.line - 1]
    assert clock.process_time() - started < CALL_BOUND  # CPU time: load must not fail it
