"""``kit.payments.run_due(should_stop=...)``: a run of provider calls stopped between calls.

Each provider call may take the provider's timeout, so a job with a time limit
asks before each call, as the tick asks before each batch: the calls made are
stored and counted, the rest stay due, and the report's ``more`` says so. A
host had to run the calls one a run to bound them, paying a read a call, and
could not tell a run that ended as its budget ran out from one with calls left.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.test_services_payments import Shop, T, _paid

from sessionkit.errors import WrongType
from sessionkit.model.money import Money
from sessionkit.ports import RefundReceipt
from sessionkit.services.payments import DUE_REPORT_ATTRIBUTE, DueReport
from sessionkit.testing.payments import FakeGateway


def refunds_due(shop: Shop, count: int, *, day: int = 2) -> list[str]:
    """``count`` paid bookings cancelled while the provider was down: a refund due each."""
    bookings = [_paid(shop, shop.slot(days=day + n), f"p{n}") for n in range(count)]
    shop.gateway.fail_next(count)
    payments = []
    for booking in bookings:
        payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
        assert payment is not None
        payments.append(payment.id)
    return payments


def due(shop: Shop, payments: list[str]) -> list[str | None]:
    return [shop.kit.payments.get(T, p).due for p in payments]


class Asked:
    """A ``should_stop`` that says stop once ``calls`` provider calls were made; its asks."""

    def __init__(self, gateway: FakeGateway, calls: int) -> None:
        self.gateway = gateway
        self.start = len(gateway.calls)
        self.calls = calls
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return len(self.gateway.calls) - self.start >= self.calls


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_a_run_stops_between_calls_and_says_more(shop: Shop) -> None:
    payments = refunds_due(shop, 3)
    stop = Asked(shop.gateway, 2)
    report = shop.kit.payments.run_due(should_stop=stop)
    assert (report.done, report.failed, report.more, report.stopped) == (2, (), True, True)
    assert stop.asked == 3
    assert due(shop, payments) == [None, None, "refund"]
    rest = shop.kit.payments.run_due()
    assert (rest.done, rest.more) == (1, False)


def test_a_run_that_ends_as_its_budget_is_spent_says_no_more(shop: Shop) -> None:
    # Asked before each call, not after the last: the budget spent by the last call
    # is no sign of calls left (one run a call said "more may be due" then).
    payments = refunds_due(shop, 2)
    stop = Asked(shop.gateway, 2)
    report = shop.kit.payments.run_due(should_stop=stop)
    assert (report.done, report.more, report.stopped, stop.asked) == (2, False, False, 2)
    assert due(shop, payments) == [None, None]


def test_a_run_stopped_before_its_first_call_makes_none_and_says_no_more(shop: Shop) -> None:
    # Stopped, with calls due: but run again now it would be stopped again, so a loop
    # `while report.more` (docs/payments.md's) ends, as after a run whose calls all failed.
    payments = refunds_due(shop, 2)
    before = len(shop.gateway.calls)
    report = shop.kit.payments.run_due(should_stop=lambda: True)
    assert (report, len(shop.gateway.calls)) == (DueReport(stopped=True), before)
    assert due(shop, payments) == ["refund", "refund"]


def test_a_loop_while_more_under_a_spent_budget_ends(shop: Shop) -> None:
    payments = refunds_due(shop, 3)
    stop = Asked(shop.gateway, 2)
    runs = [shop.kit.payments.run_due(should_stop=stop)]
    while runs[-1].more and len(runs) < 4:  # bounded: it looped for ever
        runs.append(shop.kit.payments.run_due(should_stop=stop))
    assert [(r.done, r.more, r.stopped) for r in runs] == [(2, True, True), (0, False, True)]
    assert due(shop, payments).count("refund") == 1


def test_nothing_due_asks_nothing(shop: Shop) -> None:
    stop = Asked(shop.gateway, 0)
    assert (shop.kit.payments.run_due(should_stop=stop), stop.asked) == (DueReport(), 0)


def test_a_should_stop_that_is_not_callable_is_refused_before_any_call(shop: Shop) -> None:
    payments = refunds_due(shop, 1)
    with pytest.raises(WrongType) as refused:
        shop.kit.payments.run_due(should_stop=True)  # type: ignore[arg-type]  # the point
    assert refused.value.name == "should_stop"
    assert due(shop, payments) == ["refund"]


@pytest.mark.parametrize("answer", [lambda: 1, lambda: 1 / 0], ids=["answers-no-bool", "raises"])
def test_a_should_stop_that_fails_stops_the_run_and_is_raised_with_its_report(
    shop: Shop, answer: Callable[[], object]
) -> None:
    payments = refunds_due(shop, 2)
    asked: list[int] = []

    def should_stop() -> bool:
        asked.append(len(asked))
        return False if len(asked) == 1 else answer()  # type: ignore[return-value]  # the point

    with pytest.raises((WrongType, ZeroDivisionError)) as raised:
        shop.kit.payments.run_due(should_stop=should_stop)
    assert getattr(raised.value, DUE_REPORT_ATTRIBUTE, None) == DueReport(
        done=1, more=True, stopped=True
    )
    assert "raised by run_due's should_stop, which stopped the run" in raised.value.__notes__
    if isinstance(raised.value, WrongType):
        assert (raised.value.name, raised.value.value) == ("should_stop()", 1)
    assert due(shop, payments) == [None, "refund"]


class Refusing(FakeGateway):
    """A provider answering every refund failed (a closed card)."""

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        failed = RefundReceipt(ref="re_closed", status="failed")
        return self._once("refund", idempotency_key, (intent_ref, amount), lambda: failed)


def test_a_refund_the_provider_failed_is_reported_without_asking() -> None:
    shop = Shop()
    shop.gateway.__class__ = Refusing  # its refunds are answered failed from now on
    first = refunds_due(shop, 1)[0]
    shop.kit.payments.run_due()  # answered failed: given up till retry_refund
    shop.gateway.__class__ = FakeGateway
    second = refunds_due(shop, 1, day=3)[0]
    stop = Asked(shop.gateway, 0)  # spent: no call may start
    report = shop.kit.payments.run_due(should_stop=stop)
    assert ([f[1] for f in report.failed], report.done, report.stopped) == ([first], 0, True)
    assert (stop.asked, due(shop, [first, second])) == (1, ["refund", "refund"])


def test_the_kits_run_payment_calls_passes_should_stop_on(shop: Shop) -> None:
    # kit.run_payment_calls is the kit-level twin of kit.payments.run_due: a job bounding
    # its calls through it was given no way to stop between them.
    payments = refunds_due(shop, 3)
    stop = Asked(shop.gateway, 1)
    report = shop.kit.run_payment_calls(should_stop=stop)
    assert (report.done, report.more, report.stopped, stop.asked) == (1, True, True, 2)
    assert due(shop, payments) == [None, "refund", "refund"]
