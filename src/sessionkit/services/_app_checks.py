"""The checks of a :class:`~sessionkit.services.app.SessionKit`'s arguments, made when it is built.

Private to the services package. A part of the wrong kind, a gateway named
``"manual"``, a ``when_emptied`` no lifecycle has, a timer counting from a
field its values lack, a session lifecycle driving another field than
``status``: each is refused here, naming the argument, before any command or
tick runs into it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime

import attrs

from sessionkit.errors import InvalidLifecycle, InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle import LifecycleRegistry
from sessionkit.model.payment import MANUAL, Payment, check_provider_name
from sessionkit.model.session import Session
from sessionkit.model.usage import SessionCodes
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    PaymentRetries,
    RefundPolicy,
)

__all__ = [
    "check_codes",
    "check_gateway_name",
    "check_parts",
    "check_session_fields",
    "check_timer_fields",
    "check_when_emptied",
]


def check_codes(
    codes: object,
) -> SessionCodes | Callable[[Session], SessionCodes | None] | None:
    if codes is None or isinstance(codes, SessionCodes) or callable(codes):
        return codes
    raise WrongType(codes, name="codes", expected="SessionCodes, a function of a session, or None")


def _has(value: object, *methods: str) -> bool:
    return all(callable(getattr(value, method, None)) for method in methods)


def _is_clock(clock: object) -> bool:
    """Whether ``clock`` has a ``now()`` to call as it is.

    Not a datetime (or its class), whose ``now()`` is the machine's naive
    time; a class only with a static or class-method ``now`` (``SystemClock``
    without its ``()`` has an instance method, which fails when called).
    """
    if isinstance(clock, datetime) or clock is datetime:
        return False
    if isinstance(clock, type):
        return isinstance(inspect.getattr_static(clock, "now", None), staticmethod | classmethod)
    return _has(clock, "now")


def check_parts(parts: dict[str, object]) -> None:
    """Refuse a kit's part of the wrong kind (``WrongType`` naming it) before anything runs.

    Found only at a command or a tick, a wrong part failed with Python's own
    ``AttributeError`` or ``TypeError`` there, naming neither the argument
    nor its value, at every tick, in every tenant.
    """
    expected = {
        "uow": ("a unit-of-work factory (a store's unit_of_work)", callable(parts["uow"])),
        "clock": (
            "a Clock (an object with now(), such as SystemClock())",
            _is_clock(parts["clock"]),
        ),
        "links": (
            "a LinkChecker (with blocking_links) or None",
            _has(parts["links"], "blocking_links"),
        ),
        "lifecycles": (
            "a LifecycleRegistry (PRESETS, or PRESETS.with_lifecycle(...))",
            isinstance(parts["lifecycles"], LifecycleRegistry),
        ),
        "ids": ("a function returning a new id", callable(parts["ids"])),
        "facts": ("a FactProvider (with facts_for) or None", _has(parts["facts"], "facts_for")),
        "booking_rules": (
            "BookingRules, a function of a session returning them, or None",
            isinstance(parts["booking_rules"], BookingRules) or callable(parts["booking_rules"]),
        ),
        "gateway": (
            "a PaymentGateway (create_intent, capture, cancel, refund) or None",
            _has(parts["gateway"], "create_intent", "capture", "cancel", "refund"),
        ),
        "pricing": (
            "a Pricing (with price), a function of a session returning one, or None",
            _has(parts["pricing"], "price") or callable(parts["pricing"]),
        ),
        "refunds": ("a RefundPolicy or None", isinstance(parts["refunds"], RefundPolicy)),
        "payment_retries": (
            "a PaymentRetries or None",
            isinstance(parts["payment_retries"], PaymentRetries),
        ),
        "notice": ("a NoticePolicy or None", isinstance(parts["notice"], NoticePolicy)),
        "rooms": (
            "a MeetingRooms (ensure_room, issue_credential, close_room) or None",
            _has(parts["rooms"], "ensure_room", "issue_credential", "close_room"),
        ),
    }
    for name, (wanted, fits) in expected.items():
        value = parts[name]
        if not fits and not (value is None and name not in _REQUIRED):
            raise WrongType(value, name=name, expected=wanted)


def check_gateway_name(gateway: object) -> None:
    """Refuse a gateway named ``"manual"``: the name marks payments no provider is asked about.

    Its payments were taken for the host's own (cash, invoice): its events
    were applied, but refunds were recorded as made without a call, and no
    intent was ever captured or cancelled. A name with ``:`` is refused too
    (:func:`~sessionkit.model.payment.check_provider_name`): every one of its
    events would be.
    """
    name = getattr(gateway, "name", None)
    if isinstance(name, str):
        check_provider_name(name, "the gateway's name")
    if name == MANUAL:
        raise InvalidValue(
            f"the gateway is named {shown(name)}, the provider name of payments "
            "the host collects itself (kit.payments.book(manual=True)); give it another name",
            value=name,
            expected=f"a provider name other than {MANUAL!r}, such as 'stripe'",
        )


def check_when_emptied(rules: object, lifecycles: LifecycleRegistry) -> None:
    """Refuse rules whose ``when_emptied`` no lifecycle of the kit has: a typo, never fired.

    One set of rules for every session is judged here, once; rules picked per
    session (a function) cannot be before a session picks them.
    """
    if not isinstance(rules, BookingRules) or rules.when_emptied is None:
        return
    name = rules.when_emptied
    names = {t.name for lifecycle in lifecycles for t in lifecycles.get(lifecycle).transitions}
    if name not in names:
        raise InvalidValue(
            f"BookingRules.when_emptied {shown(name)} is no transition of any lifecycle of "
            f"the kit ({', '.join(sorted(lifecycles))}); it would never be fired",
            value=name,
            expected="a transition of the kit's lifecycles, such as 'cancel'",
        )


_TIMED_SUBJECTS: dict[str, type] = {"session": Session, "payment": Payment}
"""The values the kit's lifecycles drive, by subject: their timers count from fields of these."""


def check_timer_fields(lifecycles: LifecycleRegistry) -> None:
    """Refuse a timer counting from a field the lifecycle's values lack: a typo, never due.

    Found only at a tick otherwise, where every session of the lifecycle failed
    (``NotASession`` in ``TickReport.failed``), in every tenant, at every tick.
    A field anchor must be a datetime field of the value (``Session`` or
    ``Payment``) or a property of it; ``"start"``, ``"end"`` and a callable
    anchor are not asked, nor a lifecycle of another subject.
    """
    for name in lifecycles:
        lifecycle = lifecycles.get(name)
        kind = _TIMED_SUBJECTS.get(lifecycle.subject)
        if kind is None:
            continue
        fields = attrs.fields_dict(kind)
        instants = sorted(f for f, a in fields.items() if "datetime" in str(a.type))
        for transition in lifecycle.transitions:
            timer = transition.timer
            if timer is None or not isinstance(timer.anchor, str) or timer.span_anchored:
                continue
            anchor = timer.anchor
            if anchor in instants or isinstance(getattr(kind, anchor, None), property):
                continue
            raise InvalidLifecycle(
                f"lifecycle {shown(name)}: the timer of transition {shown(transition.name)} "
                f"counts from {shown(anchor)}, which is no datetime field of a "
                f"{kind.__name__}; it counts from 'start', 'end' or one of "
                f"{', '.join(instants)}",
                problem="invalid_anchor",
                subject=(transition.name, anchor),
            )


def check_session_fields(lifecycles: LifecycleRegistry) -> None:
    """Refuse a session lifecycle driving another field than ``status``: it never could.

    A kit's sessions keep their status in ``Session.status``, which every
    command and the tick read; a lifecycle of subject ``"session"`` declared with
    ``field="state"`` was taken, its sessions made, and then every fire and every
    tick of them failed with ``NotASession``.
    """
    for name in lifecycles:
        lifecycle = lifecycles.get(name)
        if lifecycle.subject == "session" and lifecycle.field != "status":
            raise InvalidLifecycle(
                f"lifecycle {shown(name)} drives sessions but changes their "
                f"{shown(lifecycle.field)} field; a kit's sessions keep their status in "
                "'status' (leave field= out)",
                problem="invalid_field",
                subject=lifecycle.field,
            )


_REQUIRED = frozenset({"uow", "clock", "lifecycles", "ids"})
"""The parts a kit cannot do without (``None`` is refused for them)."""
