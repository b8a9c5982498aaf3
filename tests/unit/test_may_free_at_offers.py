"""A refused booking's own offer says when its seat may free, as a stored offer does.

A hold runs out; before any job settles its session, a newcomer's ``book`` (or ``can_book``)
settles it: the freed seat is offered to the first in line for ``offer_for``, and the newcomer
is refused. The refusal rolls that offer back, and the next write to the session (the expiry
job, any command) makes it again, at its own instant: the seat frees for a newcomer, if nobody
claims it, ``offer_for`` after that write at the earliest, so after the refused command's own
instant plus ``offer_for``. ``may_free_at`` says so, as it says a stored offer's end, whether
or not the job ran first; the error's ``taken`` and ``waiting`` still count the seat as the
waitlist's, as stored. Memory and SQLite give the same answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import CapacityExceeded
from sessionkit.model import Session
from sessionkit.services import SessionKit

from ._bookings_support import ANA, BEN, CAI, DAN, NOW, RULES, TUTOR, T
from ._store_support import STORES, fresh_kit

MINUTE = timedelta(minutes=1)
CLAIM = RULES.offer_for  # 2 hours
EVE = "student:eve"


@pytest.fixture(params=sorted(STORES))
def kit(request: pytest.FixtureRequest) -> SessionKit:
    """A kit at ``NOW`` (08:00) with the shared rules (holds 15 minutes, offers 2 hours)."""
    return fresh_kit(STORES[request.param], NOW, booking_rules=RULES)


def _slot(kit: SessionKit, capacity: int, *, day: int = 4, hour: int = 10) -> Session:
    return kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=datetime(2026, 3, day, hour, tzinfo=UTC),
        end=datetime(2026, 3, day, hour + 1, tzinfo=UTC),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=capacity,
    )


def _refusals(
    kit: SessionKit, session: Session, who: str, *, at: datetime, seats: int = 1
) -> tuple[CapacityExceeded, datetime | None]:
    """``book``'s error and ``can_book``'s ``may_free_at`` for the same request at ``at``."""
    answer = kit.bookings.can_book(T, session.id, who, seats=seats, now=at)
    assert answer is not None
    assert answer.rule == "capacity"
    with pytest.raises(CapacityExceeded) as caught:
        kit.bookings.book(T, session.id, who, actor=None, seats=seats, now=at)
    return caught.value, answer.may_free_at


def _statuses(kit: SessionKit, session: Session) -> dict[str, str]:
    return {str(b.participant): b.status for b in kit.bookings.for_session(T, session.id)}


def test_the_refused_commands_own_offer_frees_its_seat_when_its_claim_window_ends(
    kit: SessionKit,
) -> None:
    single = _slot(kit, 1)
    kit.bookings.book(T, single.id, ANA, actor=None)  # held until 08:15
    kit.bookings.book(T, single.id, DAN, actor=None, waitlist=True)
    at = NOW + 16 * MINUTE  # no job ran: cai's command offers ana's seat to dan until 10:16
    full, asked = _refusals(kit, single, CAI, at=at)
    assert (full.taken, full.waiting, full.may_free_at, asked) == (0, 1, at + CLAIM, at + CLAIM)
    assert "seats may free at 2026-03-02T10:16:00+00:00" in str(full)
    # Both refusals rolled the offer back: dan still waits, as stored before.
    assert _statuses(kit, single) == {ANA: "HELD", DAN: "WAITLISTED"}


def test_the_same_instant_as_when_the_job_made_the_offer_first(kit: SessionKit) -> None:
    single = _slot(kit, 1)
    kit.bookings.book(T, single.id, ANA, actor=None)  # held until 08:15
    kit.bookings.book(T, single.id, DAN, actor=None, waitlist=True)
    at = NOW + 16 * MINUTE
    _, unsettled = _refusals(kit, single, CAI, at=at)
    kit.expire_holds(T, now=at)  # the job offers ana's seat to dan at 08:16, until 10:16
    assert _statuses(kit, single) == {ANA: "EXPIRED", DAN: "OFFERED"}
    full, settled = _refusals(kit, single, CAI, at=at)
    assert (full.taken, full.waiting) == (1, 0)
    assert unsettled == settled == full.may_free_at == at + CLAIM


def test_a_request_for_two_seats_waits_for_the_offer_and_the_hold_beside_it(
    kit: SessionKit,
) -> None:
    group = _slot(kit, 2)
    kit.bookings.book(T, group.id, ANA, actor=None)  # held until 08:15
    kit.bookings.book(T, group.id, BEN, actor=None, now=NOW + 10 * MINUTE)  # until 08:25
    kit.bookings.book(T, group.id, DAN, actor=None, waitlist=True, now=NOW + 10 * MINUTE)
    at = NOW + 16 * MINUTE  # ana's seat is offered to dan until 10:16, then rolled back
    one, one_asked = _refusals(kit, group, CAI, at=at)
    assert (one.may_free_at, one_asked) == (NOW + 25 * MINUTE, NOW + 25 * MINUTE)  # ben's
    two, two_asked = _refusals(kit, group, CAI, at=at, seats=2)
    assert (two.waiting, two.may_free_at, two_asked) == (1, at + CLAIM, at + CLAIM)


def test_no_instant_while_someone_waits_behind_the_offer(kit: SessionKit) -> None:
    single = _slot(kit, 1)
    kit.bookings.book(T, single.id, ANA, actor=None)  # held until 08:15
    kit.bookings.book(T, single.id, DAN, actor=None, waitlist=True)
    kit.bookings.book(T, single.id, EVE, actor=None, waitlist=True)
    # dan's offer, unclaimed, passes to eve, who is owed it: nothing frees for cai.
    full, asked = _refusals(kit, single, CAI, at=NOW + 16 * MINUTE)
    assert (full.waiting, full.may_free_at, asked) == (2, None, None)


def test_no_instant_when_the_offer_runs_until_the_session_starts(kit: SessionKit) -> None:
    soon = _slot(kit, 1, day=2, hour=9)  # today at 09:00: an offer made at 08:16 ends then
    kit.bookings.book(T, soon.id, ANA, actor=None)  # held until 08:15
    kit.bookings.book(T, soon.id, DAN, actor=None, waitlist=True)
    full, asked = _refusals(kit, soon, CAI, at=NOW + 16 * MINUTE)
    assert (full.waiting, full.may_free_at, asked) == (1, None, None)
