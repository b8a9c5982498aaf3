"""Hypothesis strategies for sessionkit's value types, for property-testing your own rules.

>>> from hypothesis import given
>>> from sessionkit.testing import strategies as sks
>>> @given(sks.timespans())
... def test_duration_positive(span):
...     assert span.duration.total_seconds() > 0
>>> test_duration_positive()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = [
    "DST_ZONES",
    "aware_datetimes",
    "timespans",
    "timezones",
]

DST_ZONES: tuple[str, ...] = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Sao_Paulo",  # DST changes at midnight (until 2019)
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "America/Caracas",  # standard offset changed in 2007 and 2016
    "Asia/Kolkata",
    "UTC",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Africa/Casablanca",  # DST suspended during Ramadan
)
"""Zones with interesting transitions: the default pool of :func:`timezones`."""

_MIN = datetime(2000, 1, 1)
_MAX = datetime(2040, 12, 31)


def timezones(names: Sequence[str] = DST_ZONES) -> st.SearchStrategy[ZoneInfo]:
    """Zones drawn from ``names`` (by default zones with gaps, folds and odd offsets)."""
    return st.sampled_from([get_zone(name) for name in names])


def aware_datetimes(
    *,
    min_value: datetime = _MIN,
    max_value: datetime = _MAX,
    zones: st.SearchStrategy[ZoneInfo] | None = None,
) -> st.SearchStrategy[datetime]:
    """Aware datetimes (whole seconds) in a zone from ``zones``, including DST edge cases.

    ``min_value`` and ``max_value`` are naive wall-clock bounds.
    """
    return st.datetimes(
        min_value=min_value,
        max_value=max_value,
        timezones=zones if zones is not None else timezones(),
        allow_imaginary=False,
    ).map(lambda dt: dt.replace(microsecond=0))


def timespans(
    *,
    min_start: datetime = _MIN,
    max_start: datetime = _MAX,
    min_duration: timedelta = timedelta(minutes=1),
    max_duration: timedelta = timedelta(days=2),
) -> st.SearchStrategy[TimeSpan]:
    """TimeSpans whose start lies between the naive UTC bounds and whose length is in range."""
    starts = st.datetimes(min_value=min_start, max_value=max_start).map(
        lambda dt: dt.replace(microsecond=0, tzinfo=UTC)
    )
    seconds = st.integers(int(min_duration.total_seconds()), int(max_duration.total_seconds()))
    return st.builds(
        lambda start, secs: TimeSpan(start, start + timedelta(seconds=secs)), starts, seconds
    )
