"""The name a custom VTIMEZONE's rules come back under, among zones that share them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from sessionkit.contrib.ical._event_zones import _matching_zone
from sessionkit.zones import get_zone


class _Rules(tzinfo):
    """A zone's offsets under no name, as a VTIMEZONE under a TZID that names no zone."""

    def __init__(self, key: str) -> None:
        self._inner = get_zone(key)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None if dt is None else self._inner.utcoffset(dt.replace(tzinfo=self._inner))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None if dt is None else self._inner.dst(dt.replace(tzinfo=self._inner))

    def tzname(self, dt: datetime | None) -> str | None:
        return None

    def fromutc(self, dt: datetime) -> datetime:
        local = dt.replace(tzinfo=UTC).astimezone(self._inner)
        return local.replace(tzinfo=self, fold=0)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # Sorted by name, the old spellings came first: Asia/Rangoon, America/Godthab.
        ("Asia/Yangon", "Asia/Yangon"),
        ("America/Nuuk", "America/Nuuk"),
        ("Europe/Berlin", "Europe/Berlin"),  # a common zone first, not Africa/Ceuta
    ],
)
def test_shared_rules_come_back_under_the_current_name(key: str, expected: str) -> None:
    assert _matching_zone(_Rules(key), datetime(2026, 1, 5, tzinfo=UTC)) == expected
