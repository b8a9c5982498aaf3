"""A per_day / per_week refusal carries its limit and the participant's count as fields.

The figures were in the message only, so an app had to parse text to say "you have 2 of 2
bookings this week"; the other rules' refusals have neither (``None``).
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import BookingRefused
from sessionkit.policies import BookingRules

from ._bookings_support import ANA, T, harness, slot


def test_a_per_day_refusal_names_its_limit_and_the_participants_count() -> None:
    h = harness(BookingRules(per_day=1))
    morning, evening = slot(h, capacity=2, hour=8), slot(h, capacity=2, hour=16)
    h.kit.bookings.book(T, morning.id, ANA, actor=None)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, ANA, actor=None)
    refused = caught.value
    assert (refused.rule, refused.limit, refused.count, refused.allows_at) == (
        "per_day",
        1,
        1,
        None,
    )
    assert str(refused) == (
        "student:ana already has 1 booking(s) or waitlist place(s) in sessions starting "
        "between 2026-03-04T00:00:00+00:00 and 2026-03-05T00:00:00+00:00 (at most 1); "
        "a place may free at 2026-03-02T08:15:00+00:00 (not certain: a hold may yet be "
        "confirmed) [rule per_day]"
    )
    assert refused.may_free_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)  # the hold's end
    answer = h.kit.bookings.can_book(T, evening.id, ANA)  # the "book" button says the same
    assert answer is not None
    assert (answer.rule, answer.limit, answer.count, answer.allows_at) == ("per_day", 1, 1, None)
    again = answer.error()
    assert (again.limit, again.count, str(again)) == (1, 1, str(refused))


def test_a_per_week_refusal_names_its_limit_and_the_participants_count() -> None:
    h = harness(BookingRules(per_week=2))
    tuesday, wednesday, friday = (slot(h, capacity=2, day=d) for d in (3, 4, 6))
    h.kit.bookings.book(T, tuesday.id, ANA, actor=None)
    h.kit.bookings.book(T, wednesday.id, ANA, actor=None)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, friday.id, ANA, actor=None)
    assert (caught.value.rule, caught.value.limit, caught.value.count) == ("per_week", 2, 2)


def test_the_fields_survive_a_pickle() -> None:
    refused = BookingRefused.participant_limit(
        "per_week",
        participant=ANA,
        count=3,
        limit=2,
        start=datetime(2026, 3, 2, tzinfo=UTC),
        end=datetime(2026, 3, 9, tzinfo=UTC),
    )
    found = pickle.loads(pickle.dumps(refused))
    assert (type(found), found.rule, found.limit, found.count, found.allows_at, str(found)) == (
        BookingRefused,
        "per_week",
        2,
        3,
        None,
        str(refused),
    )


def test_another_rules_refusal_has_neither_field() -> None:
    h = harness(BookingRules(per_day=1, max_horizon=timedelta(days=1)))
    far = slot(h, day=10)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, far.id, ANA, actor=None)
    refused = caught.value
    assert (refused.rule, refused.limit, refused.count) == ("max_horizon", None, None)
    assert refused.allows_at == datetime(2026, 3, 9, 10, tzinfo=UTC)


def test_a_refusal_pickled_before_the_fields_existed_reads_them_as_none() -> None:
    old = BookingRefused("per_day", "at most 1")
    del old.__dict__["limit"], old.__dict__["count"]  # as an earlier version pickled it
    found = pickle.loads(pickle.dumps(old))
    assert (found.rule, found.limit, found.count) == ("per_day", None, None)
