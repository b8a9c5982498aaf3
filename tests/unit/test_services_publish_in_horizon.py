"""``BookingRules.publish_in_horizon``: a tutor's slot is published in the future and within reach.

The marketplace seed's slot creation: "No past dates allowed. Max 4 weeks ahead
scheduling window." ``create_extra`` took a slot five hours in the past and one
forty days ahead; the rules refused them only when a student tried to book.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.errors import BookingRefused, InvalidValue, WrongType
from sessionkit.model.series import ScheduleItem, WindowPolicy
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
WEEKS4 = timedelta(weeks=4)
RULES = BookingRules(max_horizon=WEEKS4, min_notice=timedelta(hours=2), publish_in_horizon=True)


def _slot(h: Harness, start: datetime) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="marketplace",
        capacity=1,
    )


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, booking_rules=RULES)


def test_a_slot_in_the_past_or_beyond_the_horizon_is_refused_when_published(h: Harness) -> None:
    with pytest.raises(BookingRefused) as past:
        _slot(h, NOW - timedelta(hours=5))
    assert (past.value.rule, past.value.allows_at) == ("in_the_past", None)
    far = NOW + timedelta(days=40)
    with pytest.raises(BookingRefused) as ahead:
        _slot(h, far)
    assert (ahead.value.rule, ahead.value.allows_at) == ("max_horizon", far - WEEKS4)
    assert h.kit.queries.list(T).items == ()  # nothing was written


def test_the_edges_and_the_notice(h: Harness) -> None:
    # Exactly the horizon is in; inside the booking notice a slot may still be published.
    assert _slot(h, NOW + WEEKS4).start == NOW + WEEKS4
    assert _slot(h, NOW + timedelta(minutes=30)).status == "OPEN"
    with pytest.raises(BookingRefused):
        _slot(h, NOW)


def test_moving_a_slot_out_of_the_window_is_refused_and_a_title_change_is_not(
    h: Harness,
) -> None:
    slot = _slot(h, NOW + timedelta(days=3))
    with pytest.raises(BookingRefused) as moved:
        h.kit.sessions.update(T, slot.id, actor="tina", start=NOW + timedelta(days=30))
    assert moved.value.rule == "max_horizon"
    h.clock.set(NOW + timedelta(days=3, hours=2))  # it started: renaming is no publishing
    assert h.kit.sessions.update(T, slot.id, actor="tina", title="Maths").title == "Maths"


def test_without_the_rule_anything_is_published() -> None:
    free = Harness.in_memory(NOW, booking_rules=BookingRules(max_horizon=WEEKS4))
    assert _slot(free, NOW - timedelta(hours=5)).start == NOW - timedelta(hours=5)
    assert _slot(free, NOW + timedelta(days=40)).start == NOW + timedelta(days=40)


def test_a_series_publishes_its_window_beyond_the_horizon(h: Harness) -> None:
    weekly = Recurrence.weekly(
        days=["MO"], at=time(10), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 2)
    )
    _, report = h.kit.series.create(
        T,
        actor="tina",
        title="Algebra",
        items=[ScheduleItem("weekly", weekly, [ResourceRef("tutor", "tina")])],
        lifecycle="marketplace",
        window=WindowPolicy(initial_months=2, buffer=WEEKS4),
    )
    starts = [s.start for s in h.kit.queries.list(T).items]
    assert len(report.created) == len(starts) > 4
    assert max(starts) > NOW + WEEKS4  # booking keeps the horizon, publishing is free


@pytest.mark.parametrize(("value", "error"), [("yes", WrongType), (1, WrongType)])
def test_the_flag_is_checked(value: object, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        BookingRules(publish_in_horizon=value)  # type: ignore[arg-type]
    assert "publish_in_horizon" in str(caught.value)
    assert not isinstance(caught.value, InvalidValue)


def test_create_extra_asks_the_rules_function_once() -> None:
    # The host's rules function may read its own tables: one session, one question.
    asked: list[str] = []

    def rules_for(session: Session) -> BookingRules:
        asked.append(session.id)
        return RULES

    h = Harness.in_memory(NOW, booking_rules=rules_for)
    slot = _slot(h, NOW + timedelta(days=1))
    assert asked == [slot.id]
