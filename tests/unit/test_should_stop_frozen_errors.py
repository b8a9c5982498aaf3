"""A ``should_stop`` that raises a frozen error stops the run, and that error is raised.

``run_due`` notes on the error of its ``should_stop`` that it stopped the run
(``add_note``, which sets ``__notes__``): a frozen dataclass refuses that, and the
refusal (``FrozenInstanceError``) escaped from the loop instead, with no report of
the calls already made and stored.
"""

from __future__ import annotations

import dataclasses

import pytest
from tests.unit.test_payment_calls_should_stop import due, refunds_due
from tests.unit.test_services_payments import Shop

from sessionkit.services.payments import DUE_REPORT_ATTRIBUTE, DueReport


@dataclasses.dataclass(frozen=True)
class ClockGone(Exception):
    """A host's error, a frozen dataclass."""

    why: str = "the deadline cannot be read"


def test_run_due_raises_a_frozen_should_stop_error_with_its_report_and_note() -> None:
    shop = Shop()
    payments = refunds_due(shop, 2)
    asked: list[int] = []

    def should_stop() -> bool:
        asked.append(len(asked))
        if len(asked) > 1:
            raise ClockGone
        return False

    with pytest.raises(ClockGone) as raised:
        shop.kit.payments.run_due(should_stop=should_stop)
    report = getattr(raised.value, DUE_REPORT_ATTRIBUTE, None)
    assert report == DueReport(done=1, more=True, stopped=True)
    assert "raised by run_due's should_stop, which stopped the run" in raised.value.__notes__
    assert due(shop, payments) == [None, "refund"]
