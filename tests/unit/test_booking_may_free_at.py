"""A refusal says when held seats may free: ``may_free_at``, beside the certain ``allows_at``.

A full session (``CapacityExceeded``) and a participant at ``per_day`` / ``per_week``
(``BookingRefused``) are blocked, often, by holds that may yet be confirmed, so no instant is
certain; ``may_free_at`` is the earliest one at which enough of them run out unconfirmed for
the request to fit, or ``None`` when that never makes room in time.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit.errors import BookingRefused, CapacityExceeded
from sessionkit.model import Session
from sessionkit.policies import Refusal
from sessionkit.testing.harness import Harness

from ._bookings_support import ANA, BEN, CAI, DAN, NOW, RULES, T, harness, slot

MINUTE = timedelta(minutes=1)


def _refused(
    h: Harness,
    session: Session,
    who: str,
    *,
    seats: int = 1,
    now: datetime | None = None,
) -> CapacityExceeded:
    """The ``CapacityExceeded`` that ``who`` booking ``seats`` of ``session`` at ``now`` meets."""
    with pytest.raises(CapacityExceeded) as caught:
        h.kit.bookings.book(T, session.id, who, actor=None, seats=seats, now=now)
    return caught.value


def test_a_full_session_names_when_its_first_hold_runs_out() -> None:
    h = harness()
    group = slot(h, capacity=2)
    h.kit.bookings.book(T, group.id, ANA, actor=None)  # held until 08:15
    h.kit.bookings.book(T, group.id, BEN, actor=None, now=NOW + 5 * MINUTE)  # until 08:20
    full = _refused(h, group, CAI, now=NOW + 6 * MINUTE)
    assert (full.remaining, full.may_free_at) == (0, NOW + 15 * MINUTE)
    assert str(full) == (
        "session 'x1' has 0 of 2 seat(s) free (2 taken); 1 asked for; seats may free at "
        "2026-03-02T08:15:00+00:00 (not certain: a hold may yet be confirmed)"
    )
    # Two seats wanted: both holds must run out, the later at 08:20.
    assert _refused(h, group, CAI, seats=2, now=NOW + 6 * MINUTE).may_free_at == NOW + 20 * MINUTE


def test_confirmed_seats_alone_filling_the_session_leave_no_instant() -> None:
    h = harness()
    group = slot(h, capacity=2)
    h.kit.bookings.book(T, group.id, ANA, actor=None, confirm=True)
    h.kit.bookings.book(T, group.id, BEN, actor=None)  # held until 08:15
    assert _refused(h, group, CAI).may_free_at == NOW + 15 * MINUTE
    assert _refused(h, group, CAI, seats=2).may_free_at is None  # ana's seat stays
    single = slot(h, day=5)
    h.kit.bookings.book(T, single.id, DAN, actor=None, confirm=True)
    assert _refused(h, single, CAI).may_free_at is None


def test_the_seats_waited_for_come_first() -> None:
    h = harness()
    group = slot(h, capacity=2)
    h.kit.bookings.book(T, group.id, ANA, actor=None)  # until 08:15
    h.kit.bookings.book(T, group.id, BEN, actor=None, now=NOW + 5 * MINUTE)  # until 08:20
    h.kit.bookings.book(T, group.id, DAN, actor=None, waitlist=True, now=NOW + 6 * MINUTE)
    full = _refused(h, group, CAI, now=NOW + 7 * MINUTE)
    # ana's seat goes to dan first: cai fits only once ben's runs out too.
    assert (full.waiting, full.may_free_at) == (1, NOW + 20 * MINUTE)


def test_an_offer_holds_its_seat_until_it_runs_out() -> None:
    h = harness()  # offers run 2 hours
    single = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, single.id, ANA, actor=None, confirm=True)
    h.kit.bookings.book(T, single.id, DAN, actor=None, waitlist=True)
    h.kit.bookings.cancel(T, ana.id, actor=None, now=NOW + 10 * MINUTE)  # dan offered to 10:10
    full = _refused(h, single, CAI, now=NOW + 11 * MINUTE)
    assert (full.taken, full.may_free_at) == (1, NOW + 2 * timedelta(hours=1) + 10 * MINUTE)


def test_the_offer_a_refused_booking_rolls_back_may_free_when_its_claim_ends() -> None:
    h = harness()  # offers run 2 hours
    single = slot(h, capacity=1)
    h.kit.bookings.book(T, single.id, ANA, actor=None)  # until 08:15
    h.kit.bookings.book(T, single.id, DAN, actor=None, waitlist=True)
    # At 08:16 cai's command offers ana's seat to dan, then is refused: the offer is
    # undone and dan is owed the seat, but the next write offers it again, from 08:16
    # at the earliest: unclaimed, it frees at 10:16 at the earliest (tests/unit/
    # test_may_free_at_offers.py).
    full = _refused(h, single, CAI, now=NOW + 16 * MINUTE)
    assert (full.taken, full.waiting, full.may_free_at) == (
        0,
        1,
        NOW + 2 * timedelta(hours=1) + 16 * MINUTE,
    )


def test_no_instant_once_the_session_would_refuse_the_booking_anyway() -> None:
    h = harness(attrs.evolve(RULES, min_notice=timedelta(hours=49, minutes=55)))
    group = slot(h, capacity=1)  # starts 2026-03-04 10:00: the notice shuts it at 08:05 today
    h.kit.bookings.book(T, group.id, ANA, actor=None)  # until 08:15, past the notice
    assert _refused(h, group, CAI).may_free_at is None


def test_no_instant_when_the_hold_runs_out_as_the_session_starts() -> None:
    h = harness()
    soon = slot(h, capacity=1, day=2, hour=9)  # at 09:00 today
    h.kit.bookings.book(T, soon.id, BEN, actor=None, hold_for=timedelta(hours=2))  # ends 09:00
    assert _refused(h, soon, CAI).may_free_at is None  # its seat frees as the session starts


def test_a_per_day_refusal_names_when_a_counted_hold_or_place_runs_out() -> None:
    h = harness(attrs.evolve(RULES, per_day=1))
    morning, evening = slot(h, capacity=1, hour=8), slot(h, capacity=1, hour=16)
    h.kit.bookings.book(T, morning.id, BEN, actor=None, confirm=True)
    h.kit.bookings.book(T, morning.id, ANA, actor=None, waitlist=True)  # counts until 08:00
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, ANA, actor=None)
    assert (caught.value.rule, caught.value.may_free_at) == (
        "per_day",
        datetime(2026, 3, 4, 8, tzinfo=UTC),
    )
    late = slot(h, capacity=1, day=5, hour=8)
    h.kit.bookings.book(T, late.id, CAI, actor=None, confirm=True)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, slot(h, capacity=1, day=5, hour=16).id, CAI, actor=None)
    assert (caught.value.count, caught.value.may_free_at) == (1, None)  # confirmed: for good


def test_the_field_survives_a_pickle_and_an_older_pickle_reads_none() -> None:
    at = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    full = CapacityExceeded(session_id="s1", capacity=2, taken=2, asked=1, may_free_at=at)
    found = pickle.loads(pickle.dumps(full))
    assert (type(found), found.may_free_at, str(found)) == (CapacityExceeded, at, str(full))
    old = CapacityExceeded(session_id="s1", capacity=2, taken=2, asked=1)
    del old.__dict__["may_free_at"]  # as an earlier version pickled it
    assert pickle.loads(pickle.dumps(old)).may_free_at is None
    refused = BookingRefused("per_day", "at most 1", limit=1, count=1, may_free_at=at)
    assert pickle.loads(pickle.dumps(refused)).may_free_at == at
    older = BookingRefused("per_day", "at most 1")
    del older.__dict__["may_free_at"]
    assert pickle.loads(pickle.dumps(older)).may_free_at is None


def test_a_per_day_refusal_names_no_instant_while_the_per_week_limit_holds_for_good() -> None:
    # The other lessons were booked under rules with no limits; Thursday's at 10:00 has both.
    limited = attrs.evolve(RULES, per_day=1, per_week=1)
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        booking_rules=lambda session: limited if session.start.hour == 10 else RULES,
    )
    monday, morning, evening = slot(h, day=2, hour=16), slot(h, day=5, hour=8), slot(h, day=5)
    h.kit.bookings.book(T, monday.id, ANA, actor=None, confirm=True)
    h.kit.bookings.book(T, morning.id, ANA, actor=None)  # held until 08:15
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, ANA, actor=None)
    # The hold running out leaves the day free, but Monday's confirmed lesson fills the week.
    assert (caught.value.rule, caught.value.count, caught.value.may_free_at) == ("per_day", 1, None)
    h.kit.bookings.cancel(T, h.kit.bookings.for_session(T, monday.id)[0].id, actor=None)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, ANA, actor=None)
    assert (caught.value.rule, caught.value.may_free_at) == ("per_day", NOW + 15 * MINUTE)


def test_can_book_answers_the_same_instant_as_the_command() -> None:
    h = harness()
    group = slot(h, capacity=2)
    h.kit.bookings.book(T, group.id, ANA, actor=None)  # held until 08:15
    h.kit.bookings.book(T, group.id, BEN, actor=None, confirm=True)
    answer = h.kit.bookings.can_book(T, group.id, CAI, now=NOW + MINUTE)
    assert answer == Refusal(
        rule="capacity", reason="0 seat(s) free", may_free_at=NOW + 15 * MINUTE
    )
    assert _refused(h, group, CAI, now=NOW + MINUTE).may_free_at == answer.may_free_at
    # Two seats: ben's confirmed one stays, so neither names an instant.
    answer = h.kit.bookings.can_book(T, group.id, CAI, seats=2, now=NOW + MINUTE)
    full = _refused(h, group, CAI, seats=2, now=NOW + MINUTE)
    assert answer is not None
    assert (answer.rule, answer.may_free_at, full.may_free_at) == ("capacity", None, None)


def test_a_refusals_field_reaches_its_error_and_an_older_pickle_reads_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    refusal = Refusal(rule="per_day", reason="at most 1", limit=1, count=1, may_free_at=at)
    assert (refusal.error().may_free_at, pickle.loads(pickle.dumps(refusal))) == (at, refusal)
    before = {k: v for k, v in refusal.__getstate__().items() if k != "may_free_at"}
    monkeypatch.setattr(Refusal, "__getstate__", lambda _self: before)  # an earlier version's
    older = pickle.dumps(refusal)
    monkeypatch.undo()
    assert pickle.loads(older) == attrs.evolve(refusal, may_free_at=None)
