"""A generator passed as ``statuses=`` to the booking reads filters as its items do.

The filter is checked (each name a booking status) before the store reads it:
checking a one-shot iterator consumes it, so the reads hand the store the
checked names (one tuple), never the caller's iterator, which a second pass
would find empty. Each case runs on the in-memory store and on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sessionkit.model.booking import CONFIRMED, HELD, WAITLISTED

from ._bookings_support import ANA, BEN, CAI, NOW, RULES, TUTOR, T
from ._store_support import STORES, StoreMaker, fresh_kit


def _once(*names: str) -> Iterator[str]:
    """The names, readable once."""
    yield from names


@pytest.mark.parametrize("store", list(STORES.values()), ids=list(STORES))
def test_a_generator_of_statuses_filters_for_session_and_for_participant(
    store: StoreMaker,
) -> None:
    kit = fresh_kit(store, NOW, booking_rules=RULES)
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        start=datetime(2026, 3, 4, 10, tzinfo=UTC),
        end=datetime(2026, 3, 4, 11, tzinfo=UTC),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=2,
    ).id
    ana = kit.bookings.book(T, session, ANA, actor="ana")
    ben = kit.bookings.book(T, session, BEN, actor="ben", confirm=True)
    cai = kit.bookings.book(T, session, CAI, actor="cai", waitlist=True)

    listed = kit.bookings.for_session(T, session, statuses=_once(HELD, WAITLISTED))
    theirs = kit.bookings.for_participant(T, BEN, statuses=_once(CONFIRMED))
    none_held = kit.bookings.for_participant(T, BEN, statuses=_once(HELD))

    assert [(b.id, b.status) for b in listed] == [(cai.id, WAITLISTED), (ana.id, HELD)]
    assert [b.id for b in theirs] == [ben.id]
    assert none_held == []
