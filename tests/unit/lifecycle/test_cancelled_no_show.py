"""A status is a cancellation or a no-show, never both: a session has one outcome."""

from __future__ import annotations

import pytest

from sessionkit.errors import InvalidLifecycle
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.model.booking import BOOKING_LIFECYCLE
from sessionkit.model.payment import PAYMENT_LIFECYCLE
from sessionkit.model.reschedule import RESCHEDULE_LIFECYCLE


def build(void: Status) -> Lifecycle:
    return Lifecycle(
        "odd",
        statuses=[
            Status("CONFIRMED", initial=True, busy=True),
            Status("COMPLETED", terminal=True, busy=True),
            void,
        ],
        transitions=[
            Transition("complete", "CONFIRMED", "COMPLETED"),
            Transition("void", "CONFIRMED", str(void.name)),
        ],
    )


def test_a_status_both_cancelled_and_no_show_is_refused_naming_it_and_the_flags() -> None:
    # It was accepted: entering it cancelled the bookings and refunded them in full, as a
    # cancellation, and the no-show refund policy was never asked; an Outcomes built from the
    # lifecycle's flags (no_show_statuses, cancelled_statuses) raised InvalidValue.
    with pytest.raises(InvalidLifecycle) as info:
        build(Status("VOID", terminal=True, cancelled=True, no_show=True))
    assert (info.value.problem, info.value.subject) == ("cancelled_no_show", "VOID")
    assert str(info.value) == (
        "lifecycle 'odd': status 'VOID' is marked both cancelled=True and no_show=True; "
        "a session has one outcome: cancelled (held for nobody) or no-show (held, its "
        "participants absent); keep one flag"
    )


@pytest.mark.parametrize(("cancelled", "no_show"), [(True, False), (False, True)])
def test_either_flag_alone_is_kept(*, cancelled: bool, no_show: bool) -> None:
    lifecycle = build(Status("VOID", terminal=True, cancelled=cancelled, no_show=no_show))
    assert lifecycle.cancelled_statuses == (frozenset({"VOID"}) if cancelled else frozenset())
    assert lifecycle.no_show_statuses == (frozenset({"VOID"}) if no_show else frozenset())


def test_no_shipped_lifecycle_has_a_status_with_both_flags() -> None:
    # The presets, the booking, payment and reschedule lifecycles are built on import; this
    # names the culprit should one ever declare both, where the import would fail first.
    shipped = [PRESETS.get(name) for name in PRESETS]
    shipped += [BOOKING_LIFECYCLE, PAYMENT_LIFECYCLE, RESCHEDULE_LIFECYCLE]
    both = [
        (lifecycle.name, s.name)
        for lifecycle in shipped
        for s in lifecycle.statuses
        if s.cancelled and s.no_show
    ]
    assert both == []
