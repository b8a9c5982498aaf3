"""docs/jobs.md's procrastinate task for the payment calls, run as written, keeps to its budget.

The task looped ``while report.more`` with no budget: with the provider slow
(each call its timeout) a backlog of calls outlasted the minute the tick's jobs
keep to, and the next periodic job waited behind it. It gives ``run_due`` the
tick's budget as its ``should_stop`` now, and its loop ends once it is spent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.test_payment_calls_should_stop import due, refunds_due
from tests.unit.test_services_payments import Shop

from sessionkit.model.money import Money

ROOT = Path(__file__).resolve().parents[2]


def task_source() -> str:
    """The fenced block of docs/jobs.md that defines the ``payment_calls`` task."""
    text = (ROOT / "docs" / "jobs.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    [block] = [b for b in blocks if "def payment_calls(" in b]
    return str(block)


class App:
    """procrastinate's ``app`` as far as the task uses it: decorators that keep the function."""

    def periodic(self, **_: Any) -> Callable[[Any], Any]:
        return lambda task: task

    def task(self, **_: Any) -> Callable[[Any], Any]:
        return lambda task: task


@pytest.mark.parametrize(("seconds", "made"), [(0.0, 7), (10.0, 5)], ids=["fast", "slow"])
def test_the_docs_payment_task_makes_the_calls_within_the_tick_s_budget(
    monkeypatch: pytest.MonkeyPatch, seconds: float, made: int
) -> None:
    shop = Shop()
    payments = refunds_due(shop, 7)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    real = shop.gateway.refund

    def refund(intent_ref: str, amount: Money, *, idempotency_key: str) -> Any:
        clock[0] += seconds  # the provider's time, each call
        return real(intent_ref, amount, idempotency_key=idempotency_key)

    monkeypatch.setattr(shop.gateway, "refund", refund)
    space: dict[str, Any] = {"app": App(), "make_kit": lambda: shop.kit}
    exec(compile(task_source(), "docs/jobs.md", "exec"), space)  # the docs' own code
    space["payment_calls"](0)
    # Slow: calls at 0, 10, ... 40 s; at 50 s the budget is spent and the rest wait.
    left = due(shop, payments)
    assert (left.count(None), left.count("refund")) == (made, 7 - made)
