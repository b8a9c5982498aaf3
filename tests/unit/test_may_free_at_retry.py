"""What a retry at ``may_free_at`` finds when the refused command's own offer was rolled back.

A hold ran out and no job passed its seat on: a newcomer's refused ``book`` offers the seat to
the first in line, and its ``may_free_at`` is that offer's end. The refusal rolls the offer
back (a refused command writes nothing), so the offer is made by the next write that commits.
When that is the expiry job, a retry once the job's offer ran out gets the seat. When the
retry itself is the next write, it makes the offer at its own instant and is refused again,
``offer_for`` later each time: docs/bookings.md says ``may_free_at`` promises the seat may
free then only if the offer is made meanwhile (run the expiry job).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sessionkit.errors import CapacityExceeded
from sessionkit.model import Session
from sessionkit.testing.harness import Harness

from ._bookings_support import ANA, BEN, CAI, NOW, RULES, T, harness, slot, statuses

REFUSED = NOW + timedelta(minutes=20)  # Ana's 15-minute hold ran out at 08:15
JOB = REFUSED + timedelta(minutes=1)  # the expiry job's next run


def _full(h: Harness) -> Session:
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor="ana")
    h.kit.bookings.book(T, s.id, BEN, actor="ben", waitlist=True)
    return s


def _refused_at(h: Harness, s: Session, at: datetime | None) -> CapacityExceeded:
    with pytest.raises(CapacityExceeded) as refused:
        h.kit.bookings.book(T, s.id, CAI, actor="cai", now=at)
    return refused.value


def test_without_the_job_a_retry_at_may_free_at_is_refused_again() -> None:
    h = harness()
    s = _full(h)
    first = _refused_at(h, s, REFUSED)
    assert first.may_free_at == REFUSED + RULES.offer_for
    again = _refused_at(h, s, first.may_free_at)  # it offers Ben the seat again, from now
    assert again.may_free_at == first.may_free_at + RULES.offer_for
    assert statuses(h, s.id) == {ANA: "HELD", BEN: "WAITLISTED"}  # as stored: never offered


def test_with_the_job_the_seat_frees_offer_for_after_the_job_offered_it() -> None:
    h = harness()
    s = _full(h)
    first = _refused_at(h, s, REFUSED)
    assert h.kit.expire_holds(T, now=JOB).offered == 1  # Ben's offer runs until JOB + offer_for
    assert _refused_at(h, s, first.may_free_at).may_free_at == JOB + RULES.offer_for
    seat = h.kit.bookings.book(T, s.id, CAI, actor="cai", now=JOB + RULES.offer_for)
    assert seat.status == "HELD"
