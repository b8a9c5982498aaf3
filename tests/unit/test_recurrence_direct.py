"""A ``Recurrence`` made directly checks its fields as ``from_rrule`` does.

``Recurrence(..., exdates=None)`` used to raise a bare ``TypeError`` (``'NoneType'
object is not iterable``), a list of exdates ``unhashable type: 'list'``, a
string was read letter by letter and its letters ignored, and a start that is
not a datetime an ``AttributeError``. The fields are now checked when made,
with sessionkit's errors naming the value, and a collection of any kind is
kept as the sorted, unique tuple ``from_rrule`` makes, so two recurrences of
the same dates compare equal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from sessionkit.errors import InvalidRecurrence, NotADatetime, WrongType
from sessionkit.recurrence import Recurrence, Rule

START = datetime(2026, 1, 5, 9)
DAILY = Rule(freq="DAILY", count=5)


def _direct(**fields: Any) -> Recurrence:
    return Recurrence(
        **{"start": START, "tz": "UTC", "duration": timedelta(hours=1), "rule": DAILY, **fields}
    )


def _starts(rec: Recurrence) -> list[datetime]:
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    return [occurrence.span.start for occurrence in rec.between(*window)]


@pytest.mark.parametrize("name", ["exdates", "rdates"])
@pytest.mark.parametrize("value", [None, "2026-01-06", 5])
def test_a_non_collection_is_refused_naming_the_field(name: str, value: object) -> None:
    with pytest.raises(WrongType) as refused:
        _direct(**{name: value})
    assert refused.value.name == name
    assert refused.value.value == value


def test_an_exdate_of_another_type_is_refused() -> None:
    with pytest.raises(NotADatetime) as refused:
        _direct(exdates=[5])
    assert refused.value.value == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("exdates", datetime(2026, 1, 6, 9)),
        ("rdates", datetime(2026, 1, 20, 9)),
        ("rdates", date(2026, 1, 20)),
    ],
)
def test_an_instant_that_is_not_utc_is_refused(name: str, value: object) -> None:
    with pytest.raises(InvalidRecurrence) as refused:
        _direct(**{name: [value]})
    assert refused.value.value == value


def test_a_start_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(NotADatetime) as refused:
        _direct(start="2026-01-05T09:00")
    assert refused.value.value == "2026-01-05T09:00"


def test_lists_are_kept_as_sorted_unique_tuples_and_expand() -> None:
    second = datetime(2026, 1, 6, 9, tzinfo=UTC)
    fourth = datetime(2026, 1, 8, 9, tzinfo=UTC)
    extra = datetime(2026, 1, 20, 9, tzinfo=UTC)
    rec = _direct(exdates=[fourth, date(2026, 1, 7), second, second], rdates=[extra, extra])
    assert rec.exdates == (date(2026, 1, 7), second, fourth)
    assert rec.rdates == (extra,)
    assert _starts(rec) == [
        datetime(2026, 1, 5, 9, tzinfo=UTC),
        datetime(2026, 1, 9, 9, tzinfo=UTC),
        extra,
    ]
    assert rec == _direct(exdates=(second, fourth, date(2026, 1, 7)), rdates=(extra,))


def test_direct_and_from_rrule_make_equal_recurrences() -> None:
    exdates = [datetime(2026, 1, 8, 9, tzinfo=UTC), date(2026, 1, 6)]
    built = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=5",
        start=START,
        tz="UTC",
        duration=timedelta(hours=1),
        exdates=exdates,
    )
    assert _direct(exdates=exdates) == built
