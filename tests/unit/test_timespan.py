"""TimeSpan: construction rules and every operation, with values asserted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit import InvalidDuration, InvalidTimeSpan, NaiveDatetime, NotADatetime, TimeSpan

BERLIN = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def test_normalised_to_utc_and_equal_across_zones() -> None:
    local = TimeSpan(
        datetime(2026, 3, 2, 18, tzinfo=BERLIN), datetime(2026, 3, 2, 19, tzinfo=BERLIN)
    )
    assert local.start.tzinfo is UTC
    assert local == TimeSpan(at(17), at(18))
    assert hash(local) == hash(TimeSpan(at(17), at(18)))
    assert local.duration == timedelta(hours=1)


def test_ordered_by_start_then_end_and_immutable() -> None:
    spans = [TimeSpan(at(10), at(12)), TimeSpan(at(9), at(11)), TimeSpan(at(9), at(10))]
    assert sorted(spans) == [spans[2], spans[1], spans[0]]
    with pytest.raises(AttributeError):
        spans[0].start = at(8)  # type: ignore[misc]


@pytest.mark.parametrize(("start", "end"), [(at(10), at(10)), (at(11), at(10))])
def test_end_must_be_after_start(start: datetime, end: datetime) -> None:
    with pytest.raises(InvalidTimeSpan) as info:
        TimeSpan(start, end)
    assert (info.value.start, info.value.end) == (start, end)
    assert "end > start" in str(info.value)


def test_naive_and_non_datetime_values_are_rejected_by_name() -> None:
    with pytest.raises(NaiveDatetime, match="start must be timezone-aware"):
        TimeSpan(datetime(2026, 3, 2, 10), at(11))
    with pytest.raises(NaiveDatetime, match="end must be timezone-aware"):
        TimeSpan(at(10), datetime(2026, 3, 2, 11))
    with pytest.raises(NotADatetime, match="start must be a datetime, got str"):
        TimeSpan("2026-03-02T10:00Z", at(11))  # type: ignore[arg-type]
    with pytest.raises(NotADatetime):
        TimeSpan(at(10), 5)  # type: ignore[arg-type]


def test_overlaps_is_half_open() -> None:
    a = TimeSpan(at(10), at(11))
    assert not a.overlaps(TimeSpan(at(11), at(12)))  # touching
    assert not TimeSpan(at(11), at(12)).overlaps(a)
    assert a.overlaps(TimeSpan(at(10, 59), at(12)))
    assert a.overlaps(TimeSpan(at(9), at(13)))


def test_contains_instant_and_span() -> None:
    a = TimeSpan(at(10), at(11))
    assert a.contains(at(10))
    assert not a.contains(at(11))
    assert a.contains(TimeSpan(at(10), at(11)))
    assert not a.contains(TimeSpan(at(10), at(11, 1)))
    with pytest.raises(NaiveDatetime):
        a.contains(datetime(2026, 3, 2, 10, 30))


def test_intersection_gap_shift_and_padding() -> None:
    a = TimeSpan(at(10), at(12))
    b = TimeSpan(at(11), at(13))
    assert a.intersection(b) == TimeSpan(at(11), at(12))
    assert a.intersection(TimeSpan(at(12), at(13))) is None
    assert a.gap(TimeSpan(at(13), at(14))) == TimeSpan(at(12), at(13))
    assert TimeSpan(at(13), at(14)).gap(a) == TimeSpan(at(12), at(13))
    assert a.gap(b) is None
    assert a.gap(TimeSpan(at(12), at(13))) is None
    assert a.shift(timedelta(minutes=-30)) == TimeSpan(at(9, 30), at(11, 30))
    padded = a.padded(before=timedelta(minutes=10), after=timedelta(minutes=5))
    assert padded == TimeSpan(at(9, 50), at(12, 5))
    assert (
        TimeSpan(at(10), at(11))
        .padded(after=timedelta(minutes=10))
        .overlaps(TimeSpan(at(11), at(12)))
    )


def test_negative_padding_is_rejected() -> None:
    with pytest.raises(InvalidDuration, match="before must not be negative") as info:
        TimeSpan(at(10), at(11)).padded(before=timedelta(minutes=-1))
    assert info.value.value == timedelta(minutes=-1)
    with pytest.raises(NotADatetime):
        TimeSpan(at(10), at(11)).shift(5)  # type: ignore[arg-type]


def test_in_zone_from_start_and_text_forms() -> None:
    a = TimeSpan.from_start(at(17), timedelta(minutes=90))
    start, end = a.in_zone("Europe/Berlin")
    assert (start.isoformat(), end.isoformat()) == (
        "2026-03-02T18:00:00+01:00",
        "2026-03-02T19:30:00+01:00",
    )
    assert a.isoformat() == "2026-03-02T17:00:00+00:00/2026-03-02T18:30:00+00:00"
    assert repr(a) == "TimeSpan(2026-03-02T17:00:00+00:00, 2026-03-02T18:30:00+00:00)"


def test_unchecked_builds_the_same_span_as_the_constructor() -> None:
    start = datetime(2026, 3, 2, 17, tzinfo=UTC)
    end = start + timedelta(hours=1)
    span = TimeSpan.unchecked(start, end)
    assert span == TimeSpan(start, end)
    assert hash(span) == hash(TimeSpan(start, end))
    assert span.start.tzinfo is UTC
    assert span.duration == timedelta(hours=1)


def test_unchecked_trusts_the_caller() -> None:
    start = datetime(2026, 3, 2, 17, tzinfo=UTC)
    # No InvalidTimeSpan: the obligations are the caller's, as documented.
    backwards = TimeSpan.unchecked(start, start - timedelta(hours=1))
    assert backwards.end < backwards.start
