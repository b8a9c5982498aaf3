"""A reschedule never moves a session the host's ``LinkChecker`` names.

The port and the guide promise that sessionkit never deletes or moves a
session the host's links name; ``kit.sessions.update`` refused such a move
with ``SessionLocked``, but an approved reschedule request (by a person or
by silence) moved the session all the same. Now the approval is refused with
the same ``SessionLocked`` and silence lets the request expire, saying why; a
request asked while the links name the session is refused at once
(``not_reschedulable``), as it could never be applied.
Each case runs on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import RescheduleRefused, SessionLocked
from sessionkit.model import ResourceRef, Session
from sessionkit.model.reschedule import EXPIRED, PENDING, RescheduleRequest
from sessionkit.policies import Refusal, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.harness import StaticLinks

from ._store_support import STORES, StoreMaker, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 6, 10, tzinfo=UTC)
LATER = START + timedelta(days=1)


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def store(request: pytest.FixtureRequest) -> StoreMaker:
    maker: StoreMaker = request.param
    return maker


def linked(
    store: StoreMaker, proposed: datetime = LATER
) -> tuple[SessionKit, StaticLinks, Session, RescheduleRequest]:
    """A lesson Ana asked to move to ``proposed``, then the host linked a payment to it."""
    links = StaticLinks()
    kit = kit_on(store(RecordingPublisher()), NOW, notice=coaching_notice(), links=links)
    lesson = kit.sessions.create_extra(
        T,
        actor="cleo",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        lifecycle="lms",
        title="Maths",
    )
    asked = kit.reschedules.request(
        T,
        lesson.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=proposed,
    )
    links.blocked[lesson.id] = "payment p-9"
    return kit, links, lesson, asked


def test_approve_refuses_to_move_a_linked_session(store: StoreMaker) -> None:
    kit, _links, lesson, asked = linked(store)
    with pytest.raises(SessionLocked) as caught:
        kit.reschedules.approve(T, asked.id, role="coach", actor="cleo")
    assert caught.value.reason == "it has dependents (payment p-9)"
    assert kit.queries.get(T, lesson.id).start == START
    assert kit.reschedules.get(T, asked.id).status == PENDING


def test_silence_lets_the_request_of_a_linked_session_expire(store: StoreMaker) -> None:
    kit, _links, lesson, asked = linked(store)
    report = kit.approve_reschedules(now=asked.deadline)
    assert report.approved == ()
    assert [(r.id, r.status, r.new_start) for r in report.expired] == [(asked.id, EXPIRED, None)]
    assert kit.queries.get(T, lesson.id).start == START


def test_a_late_approve_of_a_linked_session_is_refused_as_silence_answered(
    store: StoreMaker,
) -> None:
    kit, _links, lesson, asked = linked(store)
    with pytest.raises(RescheduleRefused, match="it has dependents") as caught:
        kit.reschedules.approve(T, asked.id, role="coach", actor="cleo", now=asked.deadline)
    assert caught.value.rule == "deadline_passed"
    assert kit.queries.get(T, lesson.id).start == START


def test_another_request_of_a_linked_session_waits_on_the_links_not_the_deadline(
    store: StoreMaker,
) -> None:
    # The pending request expires at its deadline, but another would still be refused
    # while the host links the lesson: not one_pending (allows_at the deadline).
    kit, _links, lesson, _asked = linked(store, START - timedelta(days=2, hours=1))
    refusal = kit.reschedules.can_request(T, lesson.id, role="coach")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("not_reschedulable", None)
    assert refusal.reason.endswith("cannot be moved: it has dependents (payment p-9)")


def test_an_unlinked_session_still_moves(store: StoreMaker) -> None:
    kit, links, lesson, asked = linked(store)
    links.blocked.clear()
    answered = kit.reschedules.approve(T, asked.id, role="coach", actor="cleo")
    assert answered.new_start == LATER
    assert kit.queries.get(T, lesson.id).start == LATER


def test_a_request_on_a_linked_session_is_refused_at_once(store: StoreMaker) -> None:
    links = StaticLinks()
    kit = kit_on(store(RecordingPublisher()), NOW, notice=coaching_notice(), links=links)
    lesson = kit.sessions.create_extra(
        T, actor="cleo", start=START, end=START + timedelta(hours=1), lifecycle="lms"
    )
    links.blocked[lesson.id] = "payment p-9"
    reason = f"session {lesson.id!r} cannot be moved: it has dependents (payment p-9)"
    assert kit.reschedules.can_request(T, lesson.id, role="student") == Refusal(
        rule="not_reschedulable", reason=reason
    )
    assert kit.reschedules.options(T, lesson.id, role="student").reschedule == Refusal(
        rule="not_reschedulable", reason=reason
    )
    with pytest.raises(RescheduleRefused) as caught:
        kit.reschedules.request(
            T,
            lesson.id,
            role="student",
            actor="ana",
            reason="an exam that day",
            proposed_start=LATER,
        )
    assert (caught.value.rule, caught.value.allows_at) == ("not_reschedulable", None)
    assert kit.reschedules.for_session(T, lesson.id) == []
    links.blocked.clear()
    asked = kit.reschedules.request(
        T, lesson.id, role="student", actor="ana", reason="an exam that day", proposed_start=LATER
    )
    assert asked.status == PENDING
