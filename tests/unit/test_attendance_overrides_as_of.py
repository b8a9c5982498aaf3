"""``as_of`` leaves out what was decided after it: the teacher's overrides, a payment's no-show.

``for_session(as_of=...)`` and ``outcomes(as_of=...)`` read presence as it stood
then (e03a4152), but a teacher's override decided later still applied there,
and ``outcomes`` showed a no-show refund decided later (its ``decided_at``
after ``as_of``), so a read "as it stood 40 minutes in" showed a report given at 50.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import pytest

from sessionkit.model.attendance import JOIN
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef
from sessionkit.policies import ATTENDED, NO_SHOW
from sessionkit.services import SessionKit

from . import test_services_no_show_attendance as no_shows
from .test_services_no_show_attendance import ANA, BEN, END, START, Circle, T

MIN = timedelta(minutes=1)


def _seen(circle: Circle, as_of: datetime | None = None) -> dict[str, tuple[object, ...]]:
    """ana's and ben's effective status and the status of their override, if any."""
    return {
        a.participant.id: (a.effective_status, None if a.override is None else a.override.status)
        for a in circle.kit.attendance.for_session(T, circle.session.id, as_of=as_of)
        if a.participant in (ANA, BEN)
    }


def test_an_override_decided_after_as_of_is_not_there_yet() -> None:
    circle = Circle()
    circle.kit.advance_due(T, now=START - 15 * MIN)
    circle.presence(ANA, JOIN, 0)
    for who, status in ((ANA, "absent"), (BEN, "present")):
        circle.kit.attendance.override(
            T, circle.session.id, who, status=status, actor="tara", now=START + 50 * MIN
        )
    circle.clock.set(START + 55 * MIN)
    # 40 minutes in the teacher had said nothing yet (at 50): ana there so far, ben not yet.
    assert _seen(circle, as_of=START + 40 * MIN) == {
        "ana": ("present", None),
        "ben": ("pending", None),
    }
    outcomes = circle.kit.attendance.outcomes(T, circle.session.id, as_of=START + 40 * MIN)
    assert {
        o.participant.id: (o.attendance, o.outcome) for o in outcomes if o.participant in (ANA, BEN)
    } == {
        "ana": ("present", ATTENDED),
        "ben": ("pending", None),
    }
    # From the instant it was decided on, the teacher's word wins.
    assert _seen(circle, as_of=START + 50 * MIN) == {
        "ana": ("absent", "absent"),
        "ben": ("present", "present"),
    }
    assert _seen(circle) == _seen(circle, as_of=START + 50 * MIN)


def test_a_no_show_decided_after_as_of_is_not_shown_then(monkeypatch: pytest.MonkeyPatch) -> None:
    # A circle whose kit keeps a journal: it tells the status at an as_of before the
    # session's last change (completed at END + 10), which outcomes refuses without one.
    monkeypatch.setattr(no_shows, "SessionKit", functools.partial(SessionKit, journal=True))
    circle = Circle()
    circle.kit.advance_due(T, now=START - 15 * MIN)
    circle.presence(ANA, JOIN, 0)
    assert circle.complete().status == "COMPLETED"  # decided at END + 10 minutes
    decided = END + 10 * MIN

    def ben(as_of: datetime | None = None) -> tuple[object, ...]:
        outcomes = circle.kit.attendance.outcomes(T, circle.session.id, as_of=as_of)
        [o] = [o for o in outcomes if o.participant == BEN]
        return o.attendance, o.outcome, o.rule, o.refund, o.decided_at

    half = Money.of("25.00", "EUR")
    assert ben() == ("absent", NO_SHOW, "no_show", half, decided)
    assert ben(as_of=decided) == ("absent", NO_SHOW, "no_show", half, decided)
    # Five minutes before, nothing had been decided for ben's payment yet.
    assert ben(as_of=decided - 5 * MIN) == ("absent", NO_SHOW, None, None, None)


def test_whoever_an_override_decided_after_as_of_is_about_is_still_listed() -> None:
    # Listed as a walk-in who joined after as_of is (pending then), not dropped: one known
    # only from an override decided at 50 was missing from a read as of 20 minutes in.
    walk, told = ResourceRef("student", "walk"), ResourceRef("student", "told")
    circle = Circle()
    circle.kit.advance_due(T, now=START - 15 * MIN)
    circle.presence(walk, JOIN, 30)
    circle.kit.attendance.override(
        T, circle.session.id, told, status="present", actor="tara", now=START + 50 * MIN
    )
    circle.clock.set(START + 55 * MIN)

    def listed(as_of: datetime) -> dict[str, tuple[str, bool]]:
        found = circle.kit.attendance.for_session(T, circle.session.id, as_of=as_of)
        return {a.participant.id: (a.effective_status, a.override is not None) for a in found}

    booked = dict.fromkeys(("ana", "ben", "cy"), ("pending", False))
    assert listed(START + 20 * MIN) == {
        **booked,
        "walk": ("pending", False),
        "told": ("pending", False),
    }
    assert listed(START + 50 * MIN) == {
        **booked,
        "walk": ("partial", False),
        "told": ("present", True),
    }
