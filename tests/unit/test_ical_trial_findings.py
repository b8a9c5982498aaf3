"""sessionkit.contrib.ical in a new user's trial: overrides of more than one occurrence."""

from __future__ import annotations

import pytest

from sessionkit.contrib.ical import UnsupportedCalendar, read_ical

from ._ical_support import event, ics

DAILY = event(
    "UID:a",
    "SUMMARY:A",
    "DTSTART:20260316T180000Z",
    "DURATION:PT1H",
    "RRULE:FREQ=DAILY;COUNT=3",
)


@pytest.mark.parametrize("value", ["THISANDPRIOR", "thisandprior", "THISANDFUTURE"])
def test_a_recurrence_id_with_a_range_is_refused_on_its_line(value: str) -> None:
    """RFC 2445's THISANDPRIOR changes the occurrence and all before it: not one override.

    Read as an override of its own occurrence, the earlier ones kept the master's time;
    it is refused, as THISANDFUTURE is (RFC 5545 dropped THISANDPRIOR, Appendix A.3).
    """
    text = ics(
        *DAILY,
        *event(
            "UID:a",
            "SUMMARY:B",
            f"RECURRENCE-ID;RANGE={value}:20260317T180000Z",
            "DTSTART:20260317T190000Z",
            "DURATION:PT1H",
        ),
    )
    with pytest.raises(UnsupportedCalendar) as caught:
        read_ical(text)
    assert caught.value.line == 13
    assert caught.value.text == f"RECURRENCE-ID;RANGE={value}:20260317T180000Z"
    assert caught.value.uid == "a"
    assert f"RANGE={value.upper()} overrides are not supported" in str(caught.value)
