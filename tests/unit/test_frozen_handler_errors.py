"""An event handler's error of a frozen class is told and carried as any other.

The unit of work marks an error raised once it committed (``raised_after_commit``),
and the tick and ``run_due`` hang their report on the error they raise. An error
class whose instances refuse new attributes (attrs' ``frozen``, a frozen dataclass,
as a host's exceptions may well be) was not marked: ``run_due`` stopped at the
payment whose handler raised it, as before the mark existed, and the tick raised
attrs' ``FrozenInstanceError`` instead of the handler's error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit.model.booking import CANCELLED
from sessionkit.model.money import Money
from sessionkit.model.payment import REFUNDED
from sessionkit.policies import Rate
from sessionkit.services import raised_after_commit
from sessionkit.services.payments import DueReport
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


@attrs.frozen
class MailerDown(Exception):
    """A host's error, frozen as its values are."""

    why: str = "the mailer is down"


def _harness(gateway: FakeGateway | None = None) -> Harness:
    return Harness.in_memory(
        NOW,
        id_prefix="x",
        gateway=gateway,
        pricing=None if gateway is None else lambda _session: Rate(Money.of(40, "EUR")),
    )


def _failing_once(h: Harness, monkeypatch: pytest.MonkeyPatch) -> MailerDown:
    error = MailerDown()
    record, armed = h.events.publish, [True]

    def mailer(events: Any) -> None:
        record(events)
        if armed[0]:
            armed[0] = False
            raise error

    monkeypatch.setattr(h.events, "publish", mailer)
    return error


def _lesson(h: Harness, days: int = 2, lifecycle: str = "marketplace") -> str:
    start = NOW + timedelta(days=days)
    return h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle=lifecycle,
        capacity=1,
        title="Maths",
    ).id


def test_a_frozen_error_raised_after_the_commit_is_told_from_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = _harness()
    error = _failing_once(h, monkeypatch)
    with pytest.raises(MailerDown) as raised:
        _lesson(h)
    assert raised.value is error
    assert raised_after_commit(raised.value) is True
    assert len(h.kit.queries.list(T).items) == 1  # the command went through


def test_run_due_makes_every_call_past_a_frozen_handler_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = FakeGateway(clock=lambda: h.clock.now())
    h = _harness(gateway)
    bookings = []
    for n in range(2):
        checkout = h.kit.payments.book(T, _lesson(h, 2 + n), f"student:s{n}", actor=f"s{n}")
        assert checkout.payment is not None
        gateway.pay(checkout.payment.intent_ref or "")
        for event in gateway.drain():
            h.kit.payments.apply(T, event)
        bookings.append(checkout.booking.id)
    gateway.fail_next(2)
    payments = [h.kit.payments.cancel(T, b, actor="tina", role="provider") for b in bookings]
    _failing_once(h, monkeypatch)
    with pytest.raises(MailerDown) as raised:
        h.kit.run_payment_calls()
    assert getattr(raised.value, "due_report", None) == DueReport(done=2)
    for payment in payments:
        assert payment is not None
        assert h.kit.payments.get(T, payment.id).status == REFUNDED
    assert [h.kit.bookings.get(T, b).status for b in bookings] == [CANCELLED, CANCELLED]


def test_the_tick_raises_a_frozen_handler_error_with_its_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = _harness()
    _lesson(h, lifecycle="academy")
    error = _failing_once(h, monkeypatch)
    with pytest.raises(MailerDown) as raised:  # READY fell due: a change, its event
        h.kit.tick(now=NOW + timedelta(days=2) - timedelta(minutes=10), kinds=["advance"])
    assert raised.value is error
    report = getattr(raised.value, "tick_report", None)
    assert report is not None
    assert report.advanced == 1
