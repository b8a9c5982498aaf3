"""A report holding the errors it met equals its pickled and deep-copied self.

``TopUpFailure``, ``AdvanceFailure``, ``TickFailure`` and ``RescheduleReport.failed``
hold an exception, which compares by identity: a report with a failure was
not equal to itself after a pickle round trip (a cache, a job engine's
result) or ``copy.deepcopy``, nor to the same failure met again. The error
now compares, and hashes, by its class and message.
"""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime

import pytest

from sessionkit.errors import SeriesNotFound
from sessionkit.services import (
    AdvanceFailure,
    AdvanceReport,
    TickFailure,
    TickReport,
    TopUpFailure,
    TopUpReport,
)
from sessionkit.services.reschedules import RescheduleReport

NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)


def _reports() -> list[object]:
    missing = SeriesNotFound("gone", "acme")
    return [
        TopUpReport(
            now=NOW,
            checked=1,
            failed=(TopUpFailure(tenant="acme", series_id="gone", error=missing),),
        ),
        AdvanceReport(now=NOW, failed=(AdvanceFailure(session_id="s1", error=KeyError("s1")),)),
        TickReport(
            now=NOW,
            failed=(TickFailure(kind="top_up", tenant="acme", item_id="gone", error=missing),),
        ),
        RescheduleReport(failed=(("r1", RuntimeError("provider down")),)),
    ]


@pytest.mark.parametrize("report", _reports(), ids=lambda r: type(r).__name__)
def test_a_report_with_failures_survives_pickle_and_deepcopy(report: object) -> None:
    again = pickle.loads(pickle.dumps(report))
    assert again == report
    assert hash(again) == hash(report)
    assert copy.deepcopy(report) == report
    assert hash(copy.deepcopy(report)) == hash(report)


def test_reported_errors_compare_by_class_and_message() -> None:
    first = TopUpFailure(tenant="acme", series_id="gone", error=SeriesNotFound("gone", "acme"))
    same = TopUpFailure(tenant="acme", series_id="gone", error=SeriesNotFound("gone", "acme"))
    other = TopUpFailure(tenant="acme", series_id="gone", error=SeriesNotFound("else", "acme"))
    assert first == same
    assert hash(first) == hash(same)
    assert first != other
    assert AdvanceFailure(session_id="s1", error=KeyError("s1")) != AdvanceFailure(
        session_id="s1", error=LookupError("s1")
    )
    assert RescheduleReport(failed=(("r1", ValueError("a")),)) != RescheduleReport(
        failed=(("r1", ValueError("b")),)
    )
