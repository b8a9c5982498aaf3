"""The expiry job and the tick publish expiries across sessions in the order they ran out.

``expire_due`` settled the sessions the store read as due (earliest first) in
(tenant, session id) order, and the tick's ``expire_holds`` claimed and settled
a tenant's in session id order: a session whose hold ran out later was
settled, and its events published, before one whose hold ran out earlier.
Each session is settled in the order it first fell due now (within one,
settling orders them already); the tick, which settles a tenant's sessions in
one unit of work, does so within each tenant. Each case runs on the in-memory
store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._bookings_support import ANA, BEN, CAI, NOW, RULES, TUTOR, T
from ._store_support import STORES, StoreMaker

OTHER = "beta"


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def store(request: pytest.FixtureRequest) -> StoreMaker:
    maker: StoreMaker = request.param
    return maker


def _kit(store: StoreMaker) -> tuple[SessionKit, RecordingPublisher]:
    events = RecordingPublisher()
    ids = itertools.count(1)
    kit = SessionKit(
        uow=store(events), clock=ManualClock(NOW), ids=lambda: f"x{next(ids)}", booking_rules=RULES
    )
    return kit, events


def _slot(kit: SessionKit, tenant: str, hour: int) -> str:
    return kit.sessions.create_extra(
        tenant,
        actor="tina",
        start=datetime(2026, 3, 4, hour, tzinfo=UTC),
        end=datetime(2026, 3, 4, hour + 1, tzinfo=UTC),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=2,
    ).id


def _held(kit: SessionKit, tenant: str, minutes: dict[str, int]) -> list[str]:
    """A session per participant, made in the order given, each held ``minutes`` by them."""
    sessions = []
    for hour, (who, held_for) in enumerate(minutes.items(), start=10):
        session = _slot(kit, tenant, hour)
        kit.bookings.book(tenant, session, who, actor="x", hold_for=timedelta(minutes=held_for))
        sessions.append(session)
    return sessions


def _expired(events: RecordingPublisher, first: int) -> list[tuple[str, str, str, datetime]]:
    """The booking events published from index ``first`` on: (tenant, session, who, at)."""
    return [
        (e.booking.tenant, e.booking.session_id, str(e.booking.participant), e.at)
        for e in events.events[first:]
        if isinstance(e, BookingStatusChanged)
    ]


def test_expire_due_settles_sessions_in_the_order_their_bookings_ran_out(
    store: StoreMaker,
) -> None:
    # x1 (Ana's 30 minutes) sorts before x3 (Ben's 10) and x5 (Cai's 20).
    kit, events = _kit(store)
    ana, ben, cai = _held(kit, T, {ANA: 30, BEN: 10, CAI: 20})
    first = len(events.events)

    report = kit.bookings.expire_due(T, now=NOW + timedelta(hours=1))

    assert (report.expired, report.sessions) == (3, 3)
    assert _expired(events, first) == [
        (T, ben, BEN, NOW + timedelta(minutes=10)),
        (T, cai, CAI, NOW + timedelta(minutes=20)),
        (T, ana, ANA, NOW + timedelta(minutes=30)),
    ]


def test_expire_due_of_every_tenant_keeps_time_order_across_tenants(store: StoreMaker) -> None:
    # Tenant "acme" sorts before "beta", whose hold ran out first.
    kit, events = _kit(store)
    (ana,) = _held(kit, T, {ANA: 30})
    (ben,) = _held(kit, OTHER, {BEN: 10})
    first = len(events.events)

    kit.bookings.expire_due(None, now=NOW + timedelta(hours=1))

    assert _expired(events, first) == [
        (OTHER, ben, BEN, NOW + timedelta(minutes=10)),
        (T, ana, ANA, NOW + timedelta(minutes=30)),
    ]


@pytest.mark.parametrize("batch", [1, 200])
def test_the_tick_settles_a_tenant_s_sessions_in_the_order_their_bookings_ran_out(
    store: StoreMaker, batch: int
) -> None:
    kit, events = _kit(store)
    ana, ben, cai = _held(kit, T, {ANA: 30, BEN: 10, CAI: 20})
    first = len(events.events)

    report = kit.tick(now=NOW + timedelta(hours=1), kinds=["expire_holds"], batch=batch)

    assert report.expired == 3
    assert _expired(events, first) == [
        (T, ben, BEN, NOW + timedelta(minutes=10)),
        (T, cai, CAI, NOW + timedelta(minutes=20)),
        (T, ana, ANA, NOW + timedelta(minutes=30)),
    ]
