"""What a lifecycle drives (subject), where new values enter, which statuses are cancellations."""

from __future__ import annotations

import pytest

from sessionkit.errors import (
    InvalidLifecycle,
    LifecycleError,
    LifecycleNotApplicable,
    SessionKitError,
)
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition, get_lifecycle
from sessionkit.lifecycles import academy, consulting_payment, lms


def build(**options: object) -> Lifecycle:
    return Lifecycle(
        "probe",
        statuses=[
            Status("DRAFT", initial=True, editable=True),
            Status("BOOKED", busy=True),
            Status("DONE", terminal=True),
            Status("CANCELLED", terminal=True, cancelled=True),
        ],
        transitions=[
            Transition("book", "DRAFT", "BOOKED"),
            Transition("finish", "BOOKED", "DONE"),
            Transition("cancel", ["DRAFT", "BOOKED"], "CANCELLED"),
        ],
        **options,  # type: ignore[arg-type]
    )


def test_subject_defaults_to_session_and_check_subject_passes() -> None:
    probe = build()
    assert probe.subject == "session"
    probe.check_subject("session")


def test_check_subject_refuses_another_kind_with_its_fields() -> None:
    assert issubclass(LifecycleNotApplicable, SessionKitError)
    assert issubclass(LifecycleNotApplicable, ValueError)
    with pytest.raises(LifecycleNotApplicable) as info:
        consulting_payment.check_subject("session")
    error = info.value
    assert (error.lifecycle, error.subject, error.expected, error.field) == (
        "consulting_payment",
        "payment",
        "session",
        "payment_status",
    )
    assert isinstance(error, LifecycleError)
    assert str(error) == (
        "lifecycle 'consulting_payment' is for payment values, driving their 'payment_status' "
        "field, not for session values; choose a lifecycle whose subject is 'session'"
    )
    consulting_payment.check_subject("payment")


def test_every_preset_names_its_subject() -> None:
    subjects = {name: get_lifecycle(name).subject for name in PRESETS}
    assert subjects == {
        "lms": "session",
        "academy": "session",
        "consulting": "session",
        "consulting_payment": "payment",
        "coaching": "session",
        "marketplace": "session",
    }


def test_a_subject_must_be_an_identifier() -> None:
    with pytest.raises(InvalidLifecycle) as info:
        build(subject="reschedule request")
    assert (info.value.problem, info.value.subject) == ("invalid_subject", "reschedule request")


def test_entry_status_defaults_to_the_initial_one() -> None:
    assert build().entry_status == "DRAFT"
    assert build().scheduled is None
    assert lms.entry_status == lms.initial == "SCHEDULED"


def test_scheduled_names_the_entry_status() -> None:
    probe = build(scheduled="BOOKED")
    assert (probe.initial, probe.entry_status) == ("DRAFT", "BOOKED")
    assert probe.to_mermaid().splitlines()[1:3] == [
        "    [*] --> DRAFT",
        "    [*] --> BOOKED: scheduled",
    ]
    assert (academy.initial, academy.entry_status) == ("UNSCHEDULED", "SCHEDULED")
    assert academy.entry_status in academy.busy_statuses
    assert academy.transition("ready").sources == (academy.entry_status,)


def test_an_unknown_entry_status_is_refused() -> None:
    with pytest.raises(InvalidLifecycle) as info:
        build(scheduled="SCHEDULED")
    assert (info.value.problem, info.value.subject) == (
        "unknown_status",
        ("scheduled", "SCHEDULED"),
    )
    assert "scheduled='SCHEDULED' is not one of its statuses" in str(info.value)


def test_a_terminal_entry_status_is_refused() -> None:
    with pytest.raises(InvalidLifecycle) as info:
        build(scheduled="DONE")
    assert (info.value.problem, info.value.subject) == ("terminal_entry", "DONE")
    assert "scheduled='DONE' is terminal" in str(info.value)


def test_a_terminal_initial_status_is_refused_as_such_not_as_scheduled() -> None:
    with pytest.raises(InvalidLifecycle) as info:
        Lifecycle(
            "x",
            statuses=[Status("A", initial=True, terminal=True)],
            transitions=[],
        )
    assert (info.value.problem, info.value.subject) == ("terminal_entry", "A")
    assert "the initial status 'A' is terminal" in str(info.value)
    assert "scheduled=" not in str(info.value)


def test_a_cancelled_status_cannot_be_where_values_start() -> None:
    with pytest.raises(InvalidLifecycle) as info:
        Lifecycle(
            "odd",
            statuses=[Status("VOID", initial=True, cancelled=True), Status("X", terminal=True)],
            transitions=[Transition("go", "VOID", "X")],
        )
    assert (info.value.problem, info.value.subject) == ("cancelled_entry", "VOID")


def test_cancelled_statuses_come_from_the_flag_not_the_name() -> None:
    assert build().cancelled_statuses == {"CANCELLED"}
    assert Status("CANCELLED").cancelled is False


@pytest.mark.parametrize(
    ("name", "cancelled"),
    [
        ("lms", {"CANCELED"}),
        ("academy", {"CANCELLED"}),
        ("consulting", {"CANCELLED"}),
        ("consulting_payment", set()),
        ("coaching", {"CANCELLED"}),
        ("marketplace", {"CANCELLED"}),
    ],
)
def test_each_preset_flags_its_cancellation(name: str, cancelled: set[str]) -> None:
    lifecycle = get_lifecycle(name)
    assert lifecycle.cancelled_statuses == cancelled
    assert lifecycle.cancelled_statuses <= lifecycle.terminal_statuses
    assert not lifecycle.cancelled_statuses & lifecycle.busy_statuses
