"""Recurrence.split at an RDATE: between the rule's occurrences, and after the rule has ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.recurrence import Occurrence, Recurrence

BERLIN = "Europe/Berlin"
LO = datetime(2026, 1, 1, tzinfo=UTC)
FAR = datetime(2028, 1, 1, tzinfo=UTC)
EXTRA = datetime(2026, 3, 4, 18)  # a Wednesday, between two Monday occurrences
LATE = datetime(2026, 5, 6, 18)  # after every rule below has ended
CANCELLED = datetime(2026, 5, 8, 18)  # an RDATE its EXDATE removes


def _mondays(rule: str) -> Recurrence:
    return Recurrence.from_rrule(
        rule,
        start=datetime(2026, 3, 2, 18),
        tz=BERLIN,
        duration=timedelta(hours=1),
        rdates=[EXTRA, LATE, CANCELLED],
        exdates=[CANCELLED],
    )


def _keys(rec: Recurrence) -> list[datetime]:
    return [o.key for o in rec.between(LO, FAR)]


def _joined(before: Recurrence, after: Recurrence) -> list[Occurrence]:
    return list(before.between(LO, FAR)) + list(after.between(LO, FAR))


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;COUNT=4", "FREQ=WEEKLY;UNTIL=20260324T000000Z"])
def test_split_at_an_rdate_after_the_rules_end(rule: str) -> None:
    # The rule had no occurrence left after the RDATE, and the split was refused ("the
    # rule has no occurrence from there on") though the RDATE is an occurrence like any.
    rec = _mondays(rule)
    assert _keys(rec)[-2:] == [datetime(2026, 3, 23, 18), LATE]
    before, after = rec.split(LATE)
    assert _joined(before, after) == list(rec.between(LO, FAR))
    assert before.rule == rec.rule  # every rule occurrence comes before the split
    assert _keys(after) == [LATE]
    assert after.start == LATE
    assert after.rdates == (
        datetime(2026, 5, 6, 16, tzinfo=UTC),
        datetime(2026, 5, 8, 16, tzinfo=UTC),
    )
    assert after.exdates == (datetime(2026, 5, 8, 16, tzinfo=UTC),)
    assert before.rdates == (datetime(2026, 3, 4, 17, tzinfo=UTC),)
    assert before.exdates == ()


def test_split_at_an_rdate_between_occurrences_with_count() -> None:
    rec = _mondays("FREQ=WEEKLY;COUNT=4")
    before, after = rec.split(EXTRA)
    assert _joined(before, after) == list(rec.between(LO, FAR))
    assert (before.rule.count, after.rule.count) == (1, 3)
    assert _keys(before) == [datetime(2026, 3, 2, 18)]
    assert _keys(after)[:2] == [EXTRA, datetime(2026, 3, 9, 18)]
    # The rule part of the second half starts at its own next occurrence: DTSTART fills in
    # the rule's defaults (here BYDAY=MO), so it cannot be the Wednesday RDATE.
    assert after.start == datetime(2026, 3, 9, 18)


def test_split_at_a_cancelled_late_rdate_keeps_it_cancelled() -> None:
    rec = _mondays("FREQ=WEEKLY;COUNT=4")
    before, after = rec.split(CANCELLED)
    assert _joined(before, after) == list(rec.between(LO, FAR))
    assert _keys(after) == []
    assert after.exdates == (datetime(2026, 5, 8, 16, tzinfo=UTC),)


def test_split_at_an_rdate_days_before_dtstart() -> None:
    # The search for occurrences before the split began two days before DTSTART, and a
    # window ending before it began was refused (InvalidWindow) instead of read as empty.
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;COUNT=3",
        start=datetime(2026, 3, 2, 18),
        tz=BERLIN,
        duration=timedelta(hours=1),
        rdates=[datetime(2026, 2, 20, 18), datetime(2026, 2, 25, 18)],
    )
    before, after = rec.split(datetime(2026, 2, 25, 18))
    assert _joined(before, after) == list(rec.between(LO, FAR))
    assert _keys(before) == [datetime(2026, 2, 20, 18)]
    assert _keys(after)[:2] == [datetime(2026, 2, 25, 18), datetime(2026, 3, 2, 18)]
    assert after.rule.count == 3
