"""``can_book`` raises as ``book`` does for a session of a lifecycle or status the kit lost.

A session stored under a lifecycle renamed or removed from the kit's registry
since (or in a status its lifecycle no longer has) is refused by ``book`` with
``UnknownLifecycle`` / ``UnknownStatus``, not ``BookingRefused``: the kit's
registry and the stored session disagree, which the host fixes, as a session
that is not found (``SessionNotFound``, which ``can_book`` raises too). So
``can_book`` raises the same error rather than answering a ``Refusal`` a
"book" button would show a participant, and writes nothing. Each case runs on
the in-memory store and on SQLite.
"""

from __future__ import annotations

import pytest

from sessionkit.errors import InvalidValue, SessionNotFound, UnknownLifecycle, UnknownStatus

from ._bookings_support import ANA, BEN, NOW, RULES, T, forget, kit_slot
from ._store_support import STORES, StoreMaker, fresh_kit


@pytest.mark.parametrize("store", list(STORES.values()), ids=list(STORES))
@pytest.mark.parametrize(
    ("field", "value", "refusal"),
    [("lifecycle", "old_lms", UnknownLifecycle), ("status", "RETIRED", UnknownStatus)],
)
def test_can_book_raises_what_book_raises_for_a_session_the_kit_cannot_read(
    store: StoreMaker, field: str, value: str, refusal: type[Exception]
) -> None:
    kit = fresh_kit(store, NOW, booking_rules=RULES)
    renamed, kept = kit_slot(kit, 10), kit_slot(kit, 12)
    kit.bookings.book(T, renamed, ANA, actor="ana")
    forget(kit, renamed, field, value)  # stored by a kit that knew it
    with kit.context.transaction(NOW) as tx:
        before = tx.sessions.get(T, renamed), tx.bookings.for_session(T, renamed)

    with pytest.raises(refusal) as asked:
        kit.bookings.can_book(T, renamed, BEN)
    with pytest.raises(refusal) as booked:
        kit.bookings.book(T, renamed, BEN, actor="ben")

    assert str(asked.value) == str(booked.value)
    with kit.context.transaction(NOW) as tx:  # can_book wrote nothing
        after = tx.sessions.get(T, renamed), tx.bookings.for_session(T, renamed)
    assert after == before
    assert len(before[1]) == 1
    # The line can_book keeps: a session book cannot read raises, as one not found does.
    with pytest.raises(SessionNotFound):
        kit.bookings.can_book(T, "gone", BEN)
    with pytest.raises(InvalidValue):
        kit.bookings.can_book(T, kept, BEN, seats=4)
    assert kit.bookings.can_book(T, kept, BEN) is None
