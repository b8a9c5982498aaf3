"""The expiry job and the cleanup go on past a session they cannot handle, as the tick does.

The session is one of a lifecycle its host renamed since: the kit knows it no more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

import sessionkit.services.bookings as bookings_module
from sessionkit.errors import ConcurrentModification, UnknownLifecycle
from sessionkit.lifecycle import PRESETS
from sessionkit.model.booking import EXPIRED, HELD, OFFERED
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.services._release import settle_run_out
from sessionkit.services.reports import ExpiryReport
from sessionkit.testing.harness import Harness

from ._bookings_support import ANA, BEN, NOW, RULES, T, harness, slot


def _renamed(hour: int = 14, capacity: int = 1) -> tuple[Harness, Session, SessionKit]:
    """A kit that made an ``old_lms`` session at ``hour`` on March 4, and one that lacks it."""
    old = attrs.evolve(PRESETS.get("lms"), name="old_lms")
    h = Harness.in_memory(
        NOW, id_prefix="x", booking_rules=RULES, lifecycles=PRESETS.with_lifecycle(old)
    )
    renamed = h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=datetime(2026, 3, 4, hour, tzinfo=UTC),
        end=datetime(2026, 3, 4, hour + 1, tzinfo=UTC),
        resources=["tutor:olga"],
        lifecycle="old_lms",
        capacity=capacity,
    )
    return h, renamed, SessionKit(uow=h.store.unit_of_work, clock=h.clock, booking_rules=RULES)


def test_a_session_it_cannot_settle_keeps_no_other_waitlist_waiting() -> None:
    # A session of a lifecycle the host renamed since sorts first: its error no longer
    # stops the job before the next session's freed seat is offered (the tick went on).
    h, renamed, kit = _renamed()
    kept = slot(h)
    stuck = h.kit.bookings.book(T, renamed.id, ANA, actor="ana")
    ran_out = h.kit.bookings.book(T, kept.id, ANA, actor="ana")
    ben = h.kit.bookings.book(T, kept.id, BEN, actor="ben", waitlist=True)

    with pytest.raises(UnknownLifecycle) as raised:
        kit.bookings.expire_due(T, now=NOW + timedelta(minutes=20))

    report = ExpiryReport(expired=1, offered=1, sessions=1, more=False)
    assert raised.value.__notes__ == [f"the expiry job committed its work: {report!r}"]
    got = [kit.bookings.get(T, b.id).status for b in (stuck, ran_out, ben)]
    assert got == [HELD, EXPIRED, OFFERED]


def test_the_failed_session_s_error_is_raised_with_a_publisher_s_after_it_noted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, renamed, kit = _renamed()
    kept = slot(h)
    h.kit.bookings.book(T, renamed.id, ANA, actor="ana")
    ran_out = h.kit.bookings.book(T, kept.id, ANA, actor="ana")
    down = RuntimeError("the mailer is down")

    def mailer(_events: object) -> None:
        raise down

    monkeypatch.setattr(h.events, "publish", mailer)
    with pytest.raises(UnknownLifecycle) as raised:
        kit.bookings.expire_due(T, now=NOW + timedelta(minutes=20))

    report = ExpiryReport(expired=1, offered=0, sessions=1, more=False)
    assert raised.value.__notes__ == [
        f"the expiry job committed its work: {report!r}",
        f"after another session committed: {down!r}",
    ]
    assert kit.bookings.get(T, ran_out.id).status == EXPIRED


def test_sessions_it_cannot_settle_hide_no_session_due_after_them() -> None:
    # Two bookings of the renamed lifecycle's session ran out first and fill a batch of
    # two: the call reads on past them (it read those two again on every run before).
    h, renamed, kit = _renamed(capacity=2)
    kept = slot(h)
    stuck = [h.kit.bookings.book(T, renamed.id, who, actor="x") for who in (ANA, BEN)]
    h.clock.advance(timedelta(minutes=1))
    ran_out = h.kit.bookings.book(T, kept.id, ANA, actor="ana")

    with pytest.raises(UnknownLifecycle) as raised:
        kit.bookings.expire_due(T, now=NOW + timedelta(minutes=30), limit=2)

    report = ExpiryReport(expired=1, offered=0, sessions=1, more=False)
    assert raised.value.__notes__ == [f"the expiry job committed its work: {report!r}"]
    got = [kit.bookings.get(T, b.id).status for b in (*stuck, ran_out)]
    assert got == [HELD, HELD, EXPIRED]


@pytest.mark.parametrize(("held", "limit", "more"), [(2, 1, True), (5, 2, False)])
def test_a_failing_session_with_more_bookings_than_a_read_hides_no_later_one(
    held: int, limit: int, more: bool
) -> None:
    # The call read past the failed session's rows only once: a session holding more of
    # them than that second read kept every session due after it waiting, on every run.
    h, renamed, kit = _renamed(capacity=held)
    kept = slot(h)
    stuck = [h.kit.bookings.book(T, renamed.id, f"student:{n}", actor="x") for n in range(held)]
    h.clock.advance(timedelta(minutes=1))
    ran_out = h.kit.bookings.book(T, kept.id, ANA, actor="ana")

    with pytest.raises(UnknownLifecycle) as raised:
        kit.bookings.expire_due(T, now=NOW + timedelta(minutes=30), limit=limit)

    report = ExpiryReport(expired=1, offered=0, sessions=1, more=more)
    assert raised.value.__notes__ == [f"the expiry job committed its work: {report!r}"]
    got = [kit.bookings.get(T, b.id).status for b in (*stuck, ran_out)]
    assert got == [*[HELD] * held, EXPIRED]


def test_settled_sessions_read_no_more_bookings_than_limit_past_a_failing_one() -> None:
    h, renamed, kit = _renamed(capacity=2)
    stuck = [h.kit.bookings.book(T, renamed.id, who, actor="x") for who in (ANA, BEN)]
    h.clock.advance(timedelta(minutes=1))
    later = [
        h.kit.bookings.book(T, slot(h, hour=hour).id, ANA, actor="ana") for hour in (9, 10, 11)
    ]

    with pytest.raises(UnknownLifecycle) as raised:
        kit.bookings.expire_due(T, now=NOW + timedelta(minutes=30), limit=2)

    report = ExpiryReport(expired=2, offered=0, sessions=2, more=True)
    assert raised.value.__notes__ == [f"the expiry job committed its work: {report!r}"]
    got = [kit.bookings.get(T, b.id).status for b in (*stuck, *later)]
    assert got == [HELD, HELD, EXPIRED, EXPIRED, HELD]


def test_a_session_whose_unit_lost_a_race_is_settled_by_running_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = harness()
    first, second = slot(h, hour=9), slot(h, hour=11)
    booked = [
        h.kit.bookings.book(T, s.id, who, actor="x") for s, who in ((first, ANA), (second, BEN))
    ]
    real = settle_run_out
    raced: list[str] = []

    def once(ctx: Any, tx: Any, session: Session) -> Any:
        if not raced:  # a concurrent writer moved the session on: retryable
            raced.append(session.id)
            raise ConcurrentModification(session.id, 1, 2)
        return real(ctx, tx, session)

    monkeypatch.setattr(bookings_module, "settle_run_out", once)
    report = h.kit.bookings.expire_due(T, now=NOW + timedelta(minutes=20))

    assert raced == [first.id]
    assert report == ExpiryReport(expired=2, offered=0, sessions=2, more=False)
    assert [h.kit.bookings.get(T, b.id).status for b in booked] == [EXPIRED, EXPIRED]


def test_remove_unbooked_keeps_a_session_it_cannot_judge_and_removes_the_later_ones() -> None:
    # Sessions go by start: the first one's UnknownLifecycle rolled back every batch, so
    # no slot after it was ever removed. kit.sessions.delete refuses it: kept, with why.
    h, renamed, kit = _renamed(hour=8)
    later = slot(h)
    h.clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    report = kit.bookings.remove_unbooked(T, actor="cleanup")
    assert [s.id for s in report.removed] == [later.id]
    assert [(s.id, "unknown lifecycle 'old_lms'" in why) for s, why in report.kept] == [
        (renamed.id, True)
    ]
