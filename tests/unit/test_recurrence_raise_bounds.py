"""Under disambiguate="raise": an UNTIL in a gap or fold is a bound; a naive RDATE raises."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import RepeatedTime, SkippedTime
from sessionkit.recurrence import Recurrence

NY = "America/New_York"
GAP = datetime(2007, 3, 11, 2, 30)  # 02:00-03:00 EST -> EDT does not exist
FOLD = datetime(2007, 11, 4, 1, 30)  # 01:00-02:00 happens twice (EDT, then EST)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("until", "instant"),
    [(GAP, _utc(2007, 3, 11, 7, 30)), (FOLD, _utc(2007, 11, 4, 5, 30))],
    ids=["gap", "fold"],
)
def test_raise_reads_a_local_until_in_a_gap_or_fold_as_compatible(
    until: datetime, instant: datetime
) -> None:
    # A local UNTIL in a gap or fold raised SkippedTime / RepeatedTime when the recurrence
    # was built: UNTIL bounds the occurrences and is none of them, and "raise" is for an
    # occurrence that is yielded. It is read as "compatible" reads it, as a local EXDATE is.
    text = f"FREQ=DAILY;UNTIL={until:%Y%m%dT%H%M%S}"
    start = datetime.combine(until.date() - timedelta(days=3), time(0, 15))
    rec = Recurrence.from_rrule(
        text, start=start, tz=NY, duration=timedelta(minutes=20), disambiguate="raise"
    )
    assert rec.rule.until == instant
    compatible = Recurrence.from_rrule(text, start=start, tz=NY, duration=timedelta(minutes=20))
    assert rec.rule == compatible.rule
    keys = [o.key for o in rec.between(_utc(2007, 1, 1), _utc(2008, 1, 1))]
    assert keys == [start + timedelta(days=n) for n in range(4)]
    lines = [f"DTSTART;TZID={NY}:{start:%Y%m%dT%H%M%S}", "DURATION:PT20M", f"RRULE:{text}"]
    assert Recurrence.from_ical_lines(lines, disambiguate="raise") == rec


def test_raise_still_raises_for_the_occurrence_in_the_gap_that_until_keeps() -> None:
    rec = Recurrence.from_rrule(
        f"FREQ=DAILY;UNTIL={GAP:%Y%m%dT%H%M%S}",
        start=datetime(2007, 3, 8, 2, 30),
        tz=NY,
        duration=timedelta(minutes=20),
        disambiguate="raise",
    )
    keys = [o.key for o in rec.between(_utc(2007, 3, 1), _utc(2007, 3, 11))]
    assert keys == [datetime(2007, 3, day, 2, 30) for day in (8, 9, 10)]
    with pytest.raises(SkippedTime) as info:
        list(rec.between(_utc(2007, 3, 11), _utc(2007, 4, 1)))
    assert info.value.local == GAP


@pytest.mark.parametrize(
    ("rdate", "error"),
    [(GAP, SkippedTime), (FOLD, RepeatedTime), (GAP.date(), SkippedTime)],
    ids=["gap", "fold", "date-at-a-gap-time"],
)
def test_raise_refuses_a_naive_rdate_in_a_gap_or_fold_when_built(
    rdate: datetime | date, error: type[Exception]
) -> None:
    # Documented: an RDATE is an occurrence, stored as its instant, so its local time is
    # resolved once, when the recurrence is built; an aware RDATE names its instant.
    with pytest.raises(error):
        Recurrence.from_rrule(
            "FREQ=WEEKLY;COUNT=2",
            start=datetime(2007, 3, 1, 2, 30),
            tz=NY,
            duration=timedelta(minutes=20),
            rdates=[rdate],
            disambiguate="raise",
        )
    aware = Recurrence.from_rrule(
        "FREQ=WEEKLY;COUNT=2",
        start=datetime(2007, 3, 1, 2, 30),
        tz=NY,
        duration=timedelta(minutes=20),
        rdates=[_utc(2007, 3, 11, 7, 30)],
        disambiguate="raise",
    )
    assert [o.span.start for o in aware.between(_utc(2007, 3, 11), _utc(2007, 3, 12))] == [
        _utc(2007, 3, 11, 7, 30)
    ]


@pytest.mark.parametrize("rule", ["FREQ=DAILY", "FREQ=DAILY;COUNT=20"])
def test_raise_split_looks_past_an_excluded_occurrence_in_the_gap(rule: str) -> None:
    # The split searches the rule without its EXDATEs, and under "raise" the occurrence in
    # the gap that an EXDATE removes raised SkippedTime from split() itself.
    rec = Recurrence.from_rrule(
        rule,
        start=datetime(2007, 3, 1, 2, 30),
        tz=NY,
        duration=timedelta(minutes=20),
        disambiguate="raise",
        exdates=[GAP.date()],
    )
    lo, hi = _utc(2007, 3, 1), _utc(2007, 3, 21)
    occs = list(rec.between(lo, hi))
    assert len(occs) == 19  # 1 to 20 March but the 11th
    before, after = rec.split(datetime(2007, 3, 12, 2, 30))
    assert list(before.between(lo, hi)) + list(after.between(lo, hi)) == occs
    assert after.start == datetime(2007, 3, 12, 2, 30)
    assert after.disambiguate == "raise"
    if "COUNT" in rule:
        assert (before.rule.count, after.rule.count) == (11, 9)


_AT = datetime(2007, 3, 1, 2, 30)  # DTSTART of the RDATE tests: a date RDATE is at 02:30
_RULE = "FREQ=WEEKLY;COUNT=2"
_HEAD = [f"DTSTART;TZID={NY}:20070301T023000", "DURATION:PT20M", f"RRULE:{_RULE}"]


def _with_rdate(rdate: datetime | date, exdate: datetime | date) -> Recurrence:
    return Recurrence.from_rrule(
        _RULE,
        start=_AT,
        tz=NY,
        duration=timedelta(minutes=20),
        rdates=[rdate],
        exdates=[exdate],
        disambiguate="raise",
    )


@pytest.mark.parametrize(
    ("rdate", "exdate", "instant"),
    [
        (GAP, GAP, _utc(2007, 3, 11, 7, 30)),
        (FOLD, FOLD, _utc(2007, 11, 4, 5, 30)),
        (GAP.date(), GAP.date(), _utc(2007, 3, 11, 7, 30)),
        (GAP, GAP.date(), _utc(2007, 3, 11, 7, 30)),
        (GAP.date(), GAP, _utc(2007, 3, 11, 7, 30)),
        (GAP, datetime(2007, 3, 11, 3, 30), _utc(2007, 3, 11, 7, 30)),  # the same instant
        (FOLD, FOLD.date(), _utc(2007, 11, 4, 5, 30)),
    ],
    ids=["gap", "fold", "dates", "gap-day", "date-at-a-gap-time", "gap-as-compatible", "fold-day"],
)
def test_raise_does_not_refuse_a_naive_rdate_that_an_exdate_excludes(
    rdate: datetime | date, exdate: datetime | date, instant: datetime
) -> None:
    # The RDATE in the gap or fold raised SkippedTime / RepeatedTime when the recurrence was
    # built, though the EXDATE removes it: it is never yielded, and "raise" is for an
    # occurrence that is yielded. It is read as the EXDATE is, as "compatible" reads it.
    rec = _with_rdate(rdate, exdate)
    assert rec.rdates == (instant,)
    keys = [o.key for o in rec.between(_utc(2007, 1, 1), _utc(2008, 1, 1))]
    assert keys == [_AT, datetime(2007, 3, 8, 2, 30)]
    assert Recurrence.from_ical_lines(rec.to_ical_lines(), disambiguate="raise") == rec


@pytest.mark.parametrize(
    ("rdate", "exdate", "instant"),
    [
        (f"RDATE;TZID={NY}:20070311T023000", f"EXDATE;TZID={NY}:20070311T023000", "0311T0730"),
        (f"RDATE;TZID={NY}:20070311T023000", "EXDATE;VALUE=DATE:20070311", "0311T0730"),
        (f"RDATE;TZID={NY}:20071104T013000", f"EXDATE;TZID={NY}:20071104T013000", "1104T0530"),
        (f"RDATE;TZID={NY}:20071104T013000", "EXDATE:20071104T053000Z", "1104T0530"),
        ("RDATE;VALUE=DATE:20070311", f"EXDATE;TZID={NY}:20070311T023000", "0311T0730"),
    ],
    ids=["gap", "gap-day", "fold", "fold-utc", "date-at-a-gap-time"],
)
def test_raise_reads_ical_lines_whose_rdate_in_a_gap_or_fold_an_exdate_excludes(
    rdate: str, exdate: str, instant: str
) -> None:
    # from_ical_lines resolved a TZID RDATE with "raise" before it looked at the EXDATEs.
    rec = Recurrence.from_ical_lines([*_HEAD, rdate, exdate], disambiguate="raise")
    assert [f"{r:%m%dT%H%M}" for r in rec.rdates] == [instant]
    keys = [o.key for o in rec.between(_utc(2007, 1, 1), _utc(2008, 1, 1))]
    assert keys == [_AT, datetime(2007, 3, 8, 2, 30)]


@pytest.mark.parametrize(
    ("rdate", "exdate", "error"),
    [
        (GAP, datetime(2007, 3, 10, 2, 30), SkippedTime),
        (GAP, date(2007, 3, 12), SkippedTime),
        (FOLD, _utc(2007, 11, 4, 6, 30), RepeatedTime),  # the later 01:30, not "compatible"'s
        (GAP.date(), date(2007, 3, 10), SkippedTime),
    ],
    ids=["gap", "gap-other-day", "fold-later", "date-at-a-gap-time"],
)
def test_raise_still_refuses_a_naive_rdate_in_a_gap_or_fold_that_no_exdate_excludes(
    rdate: datetime | date, exdate: datetime | date, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _with_rdate(rdate, exdate)


@pytest.mark.parametrize(
    ("rdate", "exdate", "error"),
    [
        (f"RDATE;TZID={NY}:20070311T023000", f"EXDATE;TZID={NY}:20070310T023000", SkippedTime),
        (f"RDATE;TZID={NY}:20070311T023000", "EXDATE;VALUE=DATE:20070312", SkippedTime),
        (f"RDATE;TZID={NY}:20071104T013000", "EXDATE:20071104T063000Z", RepeatedTime),
        ("RDATE;VALUE=DATE:20070311", "EXDATE;VALUE=DATE:20070310", SkippedTime),
    ],
    ids=["gap", "gap-other-day", "fold-later", "date-at-a-gap-time"],
)
def test_raise_still_refuses_ical_lines_whose_rdate_in_a_gap_or_fold_no_exdate_excludes(
    rdate: str, exdate: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Recurrence.from_ical_lines([*_HEAD, rdate, exdate], disambiguate="raise")
