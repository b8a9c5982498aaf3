"""The ``lock_timeout`` a PostgreSQL connection's startup ``options`` set, in milliseconds."""

from __future__ import annotations

import pytest

from sessionkit.adapters.sqlalchemy._backend import option_timeout_ms


@pytest.mark.parametrize(
    ("options", "ms"),
    [
        ("-c lock_timeout=10s -c TimeZone=UTC", 10_000),
        ("-c TimeZone=UTC -c lock_timeout=400", 400),  # no unit: milliseconds
        ("-clock_timeout=2min", 120_000),
        ("--lock_timeout=1.5s", 1_500),
        ("-c Lock_Timeout=250ms", 250),  # names are case-insensitive
        ("-c lock_timeout=1h", 3_600_000),
        ("-c lock_timeout=1d", 86_400_000),
        ("-c lock_timeout=5000us", 5),
        ("-c lock_timeout=1s -c lock_timeout=3s", 3_000),  # the last one wins
        ("-c statement_timeout=10s", None),
        ("-c my_lock_timeout=10s", None),
        ("-c lock_timeout=soon", None),
        ("", None),
    ],
)
def test_the_options_lock_timeout_in_milliseconds(options: str, ms: int | None) -> None:
    assert option_timeout_ms(options) == ms
