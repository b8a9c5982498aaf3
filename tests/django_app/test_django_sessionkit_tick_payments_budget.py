"""``manage.py sessionkit_tick --budget SECONDS --payments``: the budget bounds the calls too.

The payment calls came after the ticks and ignored the budget: a run of up to 100
provider calls, each of which may take its timeout, could outlast a cron slot by
minutes. With a budget it is the run's ``should_stop``, asked before each call.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.errors import PaymentGatewayError
from sessionkit.model.money import Money
from sessionkit.policies import Rate
from sessionkit.services import SessionKit
from sessionkit.services.payments import DueReport
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import OTHER_TENANT, TENANT
from sessionkit.testing.payments import FakeGateway

from .conftest import clear
from .django_settings import KITS

command = importlib.import_module("sessionkit.contrib.django.management.commands.sessionkit_tick")

START = datetime(2026, 3, 2, 17, tzinfo=UTC)


class Seconds:
    """A fake monotonic clock: each provider call takes 10 seconds of it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def paying(sqlite_db: str) -> Iterator[tuple[SessionKit, FakeGateway, ManualClock]]:
    """A kit on the default alias that prices lessons, with its provider; ``SESSIONKIT_KIT``."""
    clear(sqlite_db)
    clock = ManualClock(START - timedelta(days=1))
    gateway = FakeGateway(clock=clock.now)
    made = SessionKit(
        uow=DjangoStore(using=sqlite_db).unit_of_work,
        clock=clock,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    KITS.append(made)
    yield made, gateway, clock
    KITS.remove(made)
    clear(sqlite_db)


def cancels_due(
    paying: tuple[SessionKit, FakeGateway, ManualClock], tenant: str, count: int
) -> list[str]:
    """``count`` paid bookings cancelled while the provider was down: a cancel due each, in turn."""
    kit, gateway, clock = paying
    ids = []
    for n in range(count):
        clock.advance(timedelta(seconds=1))  # the calls fall due in this order
        start = START + timedelta(hours=n)
        lesson = kit.sessions.create_extra(
            tenant,
            actor="test",
            start=start,
            end=start + timedelta(minutes=45),
            lifecycle="academy",
            capacity=1,
        )
        checkout = kit.payments.book(tenant, lesson.id, "student:ana", actor="ana")
        gateway.fail_next(1)  # the cancel's own call
        kit.bookings.cancel(tenant, checkout.booking.id, actor="ana")
        ids.append(checkout.payment.id)
    return ids


def slow_calls(monkeypatch: pytest.MonkeyPatch, gateway: FakeGateway) -> Seconds:
    """``--budget``'s clock, moved on 10 s by each cancel the provider is asked for."""
    seconds = Seconds()
    monkeypatch.setattr(command, "_monotonic", seconds)
    real = gateway.cancel

    def cancel(intent_ref: str, *, idempotency_key: str) -> object:
        seconds.now += 10
        return real(intent_ref, idempotency_key=idempotency_key)

    monkeypatch.setattr(gateway, "cancel", cancel)
    return seconds


def due(kit: SessionKit, tenant: str, ids: list[str]) -> list[str | None]:
    return [kit.payments.get(tenant, i).due for i in ids]


def test_a_spent_budget_starts_no_other_payment_call(
    paying: tuple[SessionKit, FakeGateway, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    kit, gateway, _ = paying
    ids = cancels_due(paying, TENANT, 4)
    slow_calls(monkeypatch, gateway)
    out = StringIO()
    call_command("sessionkit_tick", "--kind", "advance", "--budget", "15", "--payments", stdout=out)
    # Calls at 0 and 10 s; by 20 s the budget is spent, so the third is not started.
    assert out.getvalue().splitlines()[-1] == (
        "payments: 2 payment calls made, 0 failed; the --budget was spent, more may be due"
    )
    assert due(kit, TENANT, ids) == [None, None, "cancel", "cancel"]
    rest = StringIO()  # the next run, without a budget, makes the rest at once
    call_command("sessionkit_tick", "--kind", "advance", "--payments", stdout=rest)
    assert rest.getvalue().splitlines()[-1] == "payments: 2 payment calls made, 0 failed"
    assert due(kit, TENANT, ids) == [None] * 4


def test_a_tenant_after_the_budget_is_spent_makes_no_payment_call(
    paying: tuple[SessionKit, FakeGateway, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    kit, gateway, _ = paying
    first = cancels_due(paying, TENANT, 2)
    second = cancels_due(paying, OTHER_TENANT, 1)
    slow_calls(monkeypatch, gateway)
    out = StringIO()
    tenants = ("--tenant", TENANT, "--tenant", OTHER_TENANT)
    call_command(
        "sessionkit_tick", *tenants, "--kind", "advance", "--budget", "15", "--payments", stdout=out
    )
    assert [line for line in out.getvalue().splitlines() if "payments: " in line] == [
        # Spent by the second call, its last: none is left, so none "may be due".
        f"{TENANT}: payments: 2 payment calls made, 0 failed",
        f"{OTHER_TENANT}: payments: not started, the --budget was spent; more may be due",
    ]
    assert (due(kit, TENANT, first), due(kit, OTHER_TENANT, second)) == ([None] * 2, ["cancel"])


def test_under_a_budget_a_failed_call_holds_back_no_other_and_is_listed_once(
    paying: tuple[SessionKit, FakeGateway, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    kit, gateway, _ = paying
    ids = cancels_due(paying, TENANT, 3)
    slow_calls(monkeypatch, gateway)
    real = gateway.cancel

    def cancel(intent_ref: str, *, idempotency_key: str) -> object:
        if intent_ref == kit.payments.get(TENANT, ids[0]).intent_ref:
            raise PaymentGatewayError("cancel", ids[0], detail="the provider is down")
        return real(intent_ref, idempotency_key=idempotency_key)

    monkeypatch.setattr(gateway, "cancel", cancel)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"^1 due items failed"):
        call_command(
            "sessionkit_tick",
            *("--kind", "advance", "--budget", "50", "--payments"),
            stdout=out,
            stderr=err,
        )
    assert out.getvalue().splitlines()[-1] == "payments: 2 payment calls made, 1 failed"
    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == [
        f"failed payment call {TENANT}/{ids[0]}"
    ]
    assert due(kit, TENANT, ids) == ["cancel", None, None]


def test_under_a_budget_the_due_calls_are_read_once_a_tenant(
    paying: tuple[SessionKit, FakeGateway, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run of one call at a time read what is due once a call, and once more to find none.
    kit, gateway, _ = paying
    ids = cancels_due(paying, TENANT, 3)
    slow_calls(monkeypatch, gateway)
    runs: list[int | None] = []
    real = kit.payments.run_due

    def run_due(*args: Any, **kwargs: Any) -> DueReport:
        runs.append(kwargs.get("limit"))
        return real(*args, **kwargs)

    monkeypatch.setattr(kit.payments, "run_due", run_due)
    out = StringIO()
    call_command("sessionkit_tick", "--kind", "advance", "--budget", "50", "--payments", stdout=out)
    assert out.getvalue().splitlines()[-1] == "payments: 3 payment calls made, 0 failed"
    assert (runs, due(kit, TENANT, ids)) == ([command.PAYMENT_CALLS], [None] * 3)
