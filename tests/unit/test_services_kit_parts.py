"""A kit refuses a part of the wrong kind when it is made, naming the argument and the value.

Found only later, such a part failed at a command or at every tick with Python's
own ``AttributeError`` or ``TypeError``, naming neither (``facts={"attended":
False}``, the shape ``Lifecycle.advance`` takes, failed every session's advance).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidLifecycle, InvalidValue, WrongType
from sessionkit.lifecycle import (
    PRESETS,
    Lifecycle,
    LifecycleRegistry,
    Status,
    Timer,
    Transition,
)
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, FixedPrice, NoticePolicy, RefundPolicy
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway
from sessionkit.testing.rooms import FakeMeetingRooms

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _kit(**parts: Any) -> SessionKit:
    given: dict[str, Any] = {"uow": InMemoryStore().unit_of_work, "clock": ManualClock(NOW)}
    return SessionKit(**(given | parts))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("uow", 5),
        ("uow", None),
        ("clock", 5),
        ("clock", NOW),
        ("clock", datetime),
        ("clock", ManualClock),  # the class, not a clock: its now() needs an instance
        ("clock", None),
        ("links", 5),
        ("lifecycles", ["academy"]),
        ("lifecycles", None),
        ("ids", "x1"),
        ("facts", {"attended": False}),
        ("booking_rules", {"waitlist": True}),
        ("gateway", 5),
        ("pricing", "10 EUR"),
        ("refunds", 5),
        ("notice", {"student": 24}),
        ("rooms", object()),
    ],
)
def test_a_part_of_the_wrong_kind_is_refused_by_name(name: str, value: object) -> None:
    with pytest.raises(WrongType, match=name) as refused:
        _kit(**{name: value})
    assert refused.value.value is value


class UTCClock:
    """A clock that is a class: its now() a static method (a Clock to mypy, as to the kit)."""

    @staticmethod
    def now() -> datetime:
        return NOW


def test_a_clock_class_with_a_static_now_is_taken() -> None:
    assert _kit(clock=UTCClock).context.clock is UTCClock


def test_every_part_of_the_right_kind_is_taken() -> None:
    clock = ManualClock(NOW)
    kit = _kit(
        clock=clock,
        lifecycles=PRESETS,
        ids=lambda: "x",
        facts=attendance_facts(),
        booking_rules=lambda _session: BookingRules(),
        gateway=FakeGateway(clock=clock),
        pricing=FixedPrice(Money.of("30", "EUR")),
        refunds=RefundPolicy(),
        notice=NoticePolicy(),
        rooms=FakeMeetingRooms(clock=clock),
    )
    assert kit.context.clock is clock
    assert isinstance(_kit(booking_rules=BookingRules()).context.booking_rules, BookingRules)
    assert _kit(pricing=lambda _session: None).context.pricing is not None


def test_a_gateway_named_manual_is_refused() -> None:
    # "manual" marks the host's own payments: a gateway so named had its refunds recorded as
    # made without ever calling it, and its intents never captured nor cancelled.
    with pytest.raises(InvalidValue, match="named 'manual'") as refused:
        _kit(gateway=FakeGateway("manual", clock=ManualClock(NOW)))
    assert refused.value.value == "manual"
    assert _kit(gateway=FakeGateway("Manual", clock=ManualClock(NOW))).context.gateway is not None


def _one_timer(anchor: str, *, subject: str = "session") -> LifecycleRegistry:
    machine = Lifecycle(
        "mine",
        [Status("OPEN", initial=True), Status("DONE", terminal=True)],
        [Transition("finish", "OPEN", "DONE", timer=Timer.after(anchor, timedelta(hours=1)))],
        subject=subject,
    )
    return PRESETS.with_lifecycle(machine)


def test_a_timer_counting_from_a_field_sessions_lack_is_refused_when_the_kit_is_made() -> None:
    # Found only at a tick before: every session of the lifecycle failed it, at every tick.
    with pytest.raises(InvalidLifecycle) as caught:
        _kit(lifecycles=_one_timer("ended_at"))
    assert caught.value.problem == "invalid_anchor"
    assert caught.value.subject == ("finish", "ended_at")
    assert str(caught.value) == (
        "lifecycle 'mine': the timer of transition 'finish' counts from 'ended_at', which is"
        " no datetime field of a Session; it counts from 'start', 'end' or one of created_at,"
        " occurrence_key, updated_at"
    )


def test_a_field_of_another_type_is_refused_too() -> None:
    with pytest.raises(InvalidLifecycle, match="'title', which is no datetime field"):
        _kit(lifecycles=_one_timer("title"))


@pytest.mark.parametrize(
    ("anchor", "subject"),
    [("created_at", "session"), ("session_start", "payment"), ("filed_at", "reschedule")],
)
def test_a_datetime_field_of_the_subject_or_an_unknown_subject_is_taken(
    anchor: str, subject: str
) -> None:
    lifecycles = _one_timer(anchor, subject=subject)
    assert _kit(lifecycles=lifecycles).context.lifecycles.get("mine").subject == subject
