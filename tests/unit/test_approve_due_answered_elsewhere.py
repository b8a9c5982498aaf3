"""``approve_reschedules`` counts what its unit ended though another answer came first.

``kit.approve_reschedules`` reads the due requests, then answers each in a unit
of its own (aa458a6c): what ran out by the deadline is expired before the
answer and the session settled after it, whether or not the answer is still
this run's to give. When another tick (or a late approve) answered the request
between the read and the unit, the answer is ``None``, yet the unit still
expired Cai's hold and offered Dan the seat, and committed them: the report
dropped those counts, which a later ``expire_due`` finds done and never counts,
while the tick's reschedules pass counts them (found in review, reviewC).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.services._context import Tx

from .test_expiry_report_moves import AFTER, T
from .test_silence_expiry_event_order import RUNS_OUT, _asked


def test_a_request_answered_elsewhere_still_counts_what_its_unit_settled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit, _events = _asked("memory", "no-time", RUNS_OUT["after"])

    def answered_first(tx: Tx, candidate: RescheduleRequest, at: datetime) -> None:
        return None  # answer_due_in's word for "another answer came first"

    monkeypatch.setattr(kit.reschedules, "answer_due_in", answered_first)
    report = kit.approve_reschedules(T, now=AFTER)
    assert (report.approved, report.expired, report.failed) == ((), (), ())
    # Cai's hold ran out and Dan was offered the seat, in this run's unit: counted here.
    assert [b.status for b in kit.bookings.for_participant(T, "student:cai")] == ["EXPIRED"]
    assert [b.status for b in kit.bookings.for_participant(T, "student:dan")] == ["OFFERED"]
    assert (report.bookings_expired, report.seats_offered) == (1, 1)
    later = kit.bookings.expire_due(T, now=AFTER)
    assert (later.expired, later.offered) == (0, 0)  # found done: nobody else counts them
