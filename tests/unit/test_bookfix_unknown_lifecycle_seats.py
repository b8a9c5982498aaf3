"""``remaining_seats`` answers 0 for a session of a lifecycle or status the kit does not know.

A session stored under a lifecycle renamed or removed from the kit's registry
since (or in a status its lifecycle no longer has) is refused by ``book``
(``UnknownLifecycle``, ``UnknownStatus``): no seat of it is free for a newcomer.
``remaining_seats`` raised for any list of sessions holding one such session,
failing the answer for the others too. Each case runs on the in-memory store
and on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionkit.errors import UnknownLifecycle, UnknownStatus

from ._bookings_support import ANA, BEN, NOW, RULES, T, forget, kit_slot
from ._store_support import STORES, StoreMaker, fresh_kit


@pytest.mark.parametrize("store", list(STORES.values()), ids=list(STORES))
@pytest.mark.parametrize(
    ("field", "value", "refusal"),
    [("lifecycle", "old_lms", UnknownLifecycle), ("status", "RETIRED", UnknownStatus)],
)
def test_remaining_seats_of_a_session_the_kit_cannot_book_is_0(
    store: StoreMaker, field: str, value: str, refusal: type[Exception]
) -> None:
    kit = fresh_kit(store, NOW, booking_rules=RULES)
    renamed, kept = kit_slot(kit, 10), kit_slot(kit, 12)
    kit.bookings.book(T, kept, ANA, actor="ana")
    forget(kit, renamed, field, value)  # stored by a kit that knew it

    seats = kit.bookings.remaining_seats(T, [renamed, kept, "gone"])

    assert seats == {renamed: 0, kept: 2}
    with pytest.raises(refusal):  # what the 0 stands for
        kit.bookings.book(T, renamed, BEN, actor="ben")


@pytest.mark.parametrize("store", list(STORES.values()), ids=list(STORES))
@pytest.mark.parametrize(
    ("field", "value", "refusal"),
    [("lifecycle", "old_lms", UnknownLifecycle), ("status", "RETIRED", UnknownStatus)],
)
def test_bookable_leaves_out_a_session_of_a_lifecycle_or_status_the_kit_does_not_know(
    store: StoreMaker, field: str, value: str, refusal: type[Exception]
) -> None:
    # A status renamed in a lifecycle the kit knows was listed with its seats free,
    # while remaining_seats answered 0 and book refused it (UnknownStatus).
    kit = fresh_kit(store, NOW, booking_rules=RULES)
    renamed, kept = kit_slot(kit, 10), kit_slot(kit, 12)
    forget(kit, renamed, field, value)  # stored by a kit that knew it

    listed = kit.bookings.bookable(
        T, start=datetime(2026, 3, 4, tzinfo=UTC), end=datetime(2026, 3, 5, tzinfo=UTC)
    )

    assert [(b.session_id, b.remaining) for b in listed] == [(kept, 3)]
    assert kit.bookings.remaining_seats(T, [renamed]) == {renamed: 0}
    with pytest.raises(refusal):  # why it is left out
        kit.bookings.book(T, renamed, BEN, actor="ben")
