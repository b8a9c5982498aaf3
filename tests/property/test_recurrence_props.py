"""Hypothesis properties of recurrence expansion, with raw dateutil as the oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import attrs
from dateutil.rrule import rrulestr
from hypothesis import assume, given
from hypothesis import strategies as st

from sessionkit.recurrence import Occurrence, Recurrence
from sessionkit.testing import strategies as sks
from sessionkit.zones import get_zone, wall_time_kind

windows = st.tuples(st.integers(-40, 900), st.integers(1, 400))


def _window(rec: Recurrence, offset_days: int, width_days: int) -> tuple[datetime, datetime]:
    anchor = rec.start.replace(tzinfo=UTC)
    lo = anchor + timedelta(days=offset_days, hours=offset_days % 24)
    return lo, lo + timedelta(days=width_days)


def _instants(occs: list[Occurrence]) -> list[datetime]:
    return [o.span.start for o in occs]


def _dateutil_instants(rec: Recurrence, lo: datetime, hi: datetime) -> list[datetime]:
    """Raw dateutil over the same rule with the zone-aware start: the oracle for 'compatible'."""
    zone = get_zone(rec.tz)
    try:
        rule = rrulestr(rec.to_rrule(), dtstart=rec.start.replace(tzinfo=zone))
    except ValueError:  # "byxxx generates an empty set": the rule never occurs
        return []
    found: set[datetime] = set()
    stop = hi.replace(tzinfo=None) + timedelta(days=3)
    for moment in rule:
        if moment.replace(tzinfo=None) > stop:
            break
        instant = moment.astimezone(UTC)
        if lo <= instant < hi:
            found.add(instant)
    return sorted(found)


@given(sks.recurrences(with_exdates=False), windows)
def test_expansion_matches_dateutil(rec: Recurrence, window: tuple[int, int]) -> None:
    lo, hi = _window(rec, *window)
    # With COUNT too where a gap moves one wall time onto another's instant: COUNT counts
    # both instances (as dateutil's does), the set holds the instant once.
    assert _instants(list(rec.between(lo, hi))) == _dateutil_instants(rec, lo, hi)


@given(sks.recurrences(with_exdates=False), windows)
def test_fast_path_matches_general_path(rec: Recurrence, window: tuple[int, int]) -> None:
    plan = rec._plan
    assume(plan.fast is not None)
    lo, hi = _window(rec, *window)
    fast = list(rec.between(lo, hi))
    general = attrs.evolve(rec)
    object.__setattr__(general, "_plan", plan._replace(fast=None))
    assert list(general.between(lo, hi)) == fast


NAMED_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")


@given(
    sks.recurrences(disambiguate=("compatible", "earlier", "later", "skip")),
    windows,
    st.sampled_from(NAMED_ZONES),
    st.sampled_from(NAMED_ZONES),
)
def test_window_bounds_in_a_named_zone_give_the_same_occurrences(
    rec: Recurrence, window: tuple[int, int], lo_zone: str, hi_zone: str
) -> None:
    # between() converts the bounds to UTC once; the result must not depend on
    # the zone they are written in (ZoneInfo("UTC") included), only on the instants.
    lo, hi = _window(rec, *window)
    named_lo = lo.astimezone(get_zone(lo_zone))
    named_hi = hi.astimezone(get_zone(hi_zone))
    assert list(rec.between(named_lo, named_hi)) == list(rec.between(lo, hi))


@given(
    sks.recurrences(disambiguate=("compatible", "earlier", "later", "skip")),
    windows,
)
def test_occurrences_strictly_increasing_exact_duration_and_in_window(
    rec: Recurrence, window: tuple[int, int]
) -> None:
    lo, hi = _window(rec, *window)
    occs = list(rec.between(lo, hi))
    starts = _instants(occs)
    assert all(a < b for a, b in pairwise(starts))
    for occ in occs:
        assert lo <= occ.span.start < hi
        assert occ.span.end - occ.span.start == rec.duration
        assert occ.local_start.astimezone(UTC) == occ.span.start
        assert occ.local_start.tzinfo is get_zone(rec.tz)


@given(
    sks.recurrences(disambiguate=("compatible", "earlier", "later", "skip"), with_exdates=False),
    windows,
)
def test_wall_time_kept_or_moved_per_gap_policy(rec: Recurrence, window: tuple[int, int]) -> None:
    lo, hi = _window(rec, *window)
    for occ in rec.between(lo, hi):
        kind = wall_time_kind(occ.key, rec.tz)
        local = occ.local_start.replace(tzinfo=None)
        if kind == "normal":
            assert local == occ.key
        elif kind == "skipped":
            assert rec.disambiguate != "skip"
            assert local != occ.key
            gap = abs(local - occ.key)
            assert timedelta(0) < gap <= timedelta(days=1)
            if rec.disambiguate == "earlier":
                assert local < occ.key
            else:
                assert local > occ.key
        else:
            assert local == occ.key
            assert occ.local_start.fold == (1 if rec.disambiguate == "later" else 0)


@given(sks.recurrences(), st.integers(-20, 600), st.integers(1, 300), st.integers(1, 300))
def test_between_splits_at_any_instant(
    rec: Recurrence, offset: int, first: int, second: int
) -> None:
    a = rec.start.replace(tzinfo=UTC) + timedelta(days=offset)
    b = a + timedelta(days=first, minutes=first * 7)
    c = b + timedelta(days=second)
    whole = list(rec.between(a, c))
    assert list(rec.between(a, b)) + list(rec.between(b, c)) == whole


@given(sks.recurrences(with_exdates=False), st.data())
def test_exdate_removes_exactly_the_named_occurrences(rec: Recurrence, data: st.DataObject) -> None:
    lo = rec.start.replace(tzinfo=UTC) - timedelta(days=1)
    hi = lo + timedelta(days=500)
    occs = list(rec.between(lo, hi))
    assume(occs)
    removed = data.draw(st.lists(st.sampled_from(occs), max_size=5, unique=True))
    excluded = Recurrence.from_rrule(
        rec.rule,
        start=rec.start,
        tz=rec.tz,
        duration=rec.duration,
        exdates=[o.span.start for o in removed],
        disambiguate=rec.disambiguate,
    )
    assert list(excluded.between(lo, hi)) == [o for o in occs if o not in removed]


@given(sks.recurrences(), windows)
def test_round_trip_through_rrule_text_and_ical_lines(
    rec: Recurrence, window: tuple[int, int]
) -> None:
    again = Recurrence.from_rrule(
        rec.to_rrule(),
        start=rec.start,
        tz=rec.tz,
        duration=rec.duration,
        exdates=rec.exdates,
        rdates=rec.rdates,
        disambiguate=rec.disambiguate,
    )
    assert again == rec
    assert Recurrence.from_ical_lines(rec.to_ical_lines(), disambiguate=rec.disambiguate) == rec
    lo, hi = _window(rec, *window)
    assert list(again.between(lo, hi)) == list(rec.between(lo, hi))


@given(sks.recurrences(disambiguate=("compatible", "skip")), st.data())
def test_split_halves_expand_to_the_original(rec: Recurrence, data: st.DataObject) -> None:
    lo = rec.start.replace(tzinfo=UTC) - timedelta(days=2)
    hi = lo + timedelta(days=700)
    occs = list(rec.between(lo, hi))
    assume(len(occs) >= 2)
    at = data.draw(st.sampled_from(occs[1:]))
    before, after = rec.split(at.key)
    # Up to hi, as occs: only occurrences starting before hi are compared (expanded to 2100,
    # an hourly rule's after half made some 650,000 occurrences to drop; 20-76 s in CI).
    joined = list(before.between(lo, hi)) + list(after.between(lo, hi))
    assert [o for o in joined if o.span.start < hi] == occs
    if rec.rule.count is not None:
        counted_before = before.rule.count
        assert counted_before is not None
        assert after.rule.count == rec.rule.count - counted_before
    assert after.start == at.key


@given(sks.recurrences(disambiguate=("compatible", "earlier", "later", "skip")), st.data())
def test_split_with_rdates_halves_expand_to_the_original(
    rec: Recurrence, data: st.DataObject
) -> None:
    # RDATEs anywhere in the window: between the rule's occurrences, before its first and
    # after its COUNT or UNTIL ends; the split may fall on any occurrence, RDATEs included.
    lo = rec.start.replace(tzinfo=UTC) - timedelta(days=2)
    hi = lo + timedelta(days=700)
    minutes = st.integers(0, 700 * 24 * 60)
    extra = data.draw(st.lists(minutes.map(lambda m: lo + timedelta(minutes=m)), max_size=4))
    rec = attrs.evolve(rec, rdates=extra)
    occs = list(rec.between(lo, hi))
    assume(len(occs) >= 2)
    at = data.draw(st.sampled_from(occs[1:]))
    # An RDATE in the second pass of a fold can share its key with the rule's occurrence
    # in the first: a key then names the rule's one.
    assume([o.key for o in occs].count(at.key) == 1)
    before, after = rec.split(at.key)
    first = list(before.between(lo, hi))
    second = list(after.between(lo, hi))
    assert first + second == occs
    assert second[0] == at
    assert before.rdates + after.rdates == rec.rdates
    assert all(r < at.span.start for r in before.rdates)
    if rec.rule.count is None:
        return
    if after.rule.count is None:  # at an RDATE after the rule's last instance
        assert before.rule == rec.rule
    else:  # the first half has no COUNT when no instance comes before the split
        assert (before.rule.count or 0) + after.rule.count == rec.rule.count
