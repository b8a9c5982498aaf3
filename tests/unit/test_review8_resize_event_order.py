"""A capacity change by ``kit.sessions.update`` publishes its events in the order things happened.

621e6b7a put a move's ``SessionUpdated`` after the expiries of what had run out
at the old time, as docs/bookings.md says a session's events come: in the
order things happened. A capacity change (alone, with no move) still collected
its ``SessionUpdated`` first and let ``settle_resized`` mark what had run out
after it: a hold that ran out at 08:15 was published after the 09:30 change.
Each case runs on the in-memory store and on SQLite (review8).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.model.booking import EXPIRED

from ._bookings_support import CAI, DAN, NOW, RULES, T
from ._store_support import STORES
from .test_move_event_order import EDIT, _booked, _seen
from .test_services_when_emptied import RULES as EMPTIED_RULES
from .test_services_when_emptied import Desk
from .test_services_when_emptied import T as DESK_TENANT


@pytest.mark.parametrize("store", sorted(STORES))
def test_more_seats_publish_what_had_run_out_then_the_change_then_the_offers(store: str) -> None:
    kit, events, session_id = _booked(store)  # 3 seats: Ana, Cai (ran out 08:15), Ben; Dan waits
    seen = len(events.events)
    kit.sessions.update(T, session_id, actor="tina", capacity=4)
    assert _seen(events.events[seen:]) == [
        ("BookingExpired", NOW + RULES.hold_for, CAI),  # ran out before the change
        ("SessionUpdated", EDIT, ""),
        ("BookingOffered", EDIT, DAN),  # Cai's seat and the new one: Dan asked for one
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_fewer_seats_publish_what_had_run_out_before_the_change(store: str) -> None:
    kit, events, session_id = _booked(store)
    seen = len(events.events)
    kit.sessions.update(T, session_id, actor="tina", capacity=1)
    assert _seen(events.events[seen:]) == [
        ("BookingExpired", NOW + RULES.hold_for, CAI),
        ("SessionUpdated", EDIT, ""),  # Ana and Ben keep their seats; nobody is offered one
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_change_that_finds_its_last_hold_run_out_still_releases_the_session(store: str) -> None:
    desk = Desk(STORES[store], EMPTIED_RULES)
    session = desk.consultation()
    desk.kit.payments.book(DESK_TENANT, session.id, "client:ravi", actor="ravi", role="client")
    desk.clock.advance(timedelta(hours=1))  # the 30-minute hold ran out
    seen = len(desk.events.events)
    changed = desk.kit.sessions.update(DESK_TENANT, session.id, actor="asha", capacity=2)
    assert changed.status == "CANCELLED"
    assert desk.cancellations() == [(session.id, "asha", "its last booking ran out")]
    assert [type(e).__name__ for e in desk.events.events[seen:]] == [
        "BookingExpired",  # ran out at 08:30, with its payment's end
        "PaymentChanged",
        "SessionUpdated",  # the change, at 09:00
        "SessionCanceled",  # which found the session emptied (its payment's session with it)
        "PaymentChanged",
    ]
    booked = desk.kit.bookings.for_session(DESK_TENANT, session.id)
    assert [b.status for b in booked] == [EXPIRED]
