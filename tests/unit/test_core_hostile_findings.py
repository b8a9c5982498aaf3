"""Hostile values for the core's value classes: a SessionKitError naming the value, never bare.

Found by a sweep of the core API outside the services (248 callables, each
argument in turn replaced by hostile values): these constructors and methods
let a bare ``ValueError`` (an integer too long to print), ``RecursionError``
(a list nested too deep to print), ``TypeError``, ``AttributeError``,
``KeyError`` or ``OverflowError`` escape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit import ConflictIndex, SessionQuery, find_conflicts
from sessionkit.errors import NotIndexed, SessionKitError
from sessionkit.lifecycle import Lifecycle, Status, Timer, Transition, get_lifecycle
from sessionkit.model import add_months
from sessionkit.model.fields import field_value, notes_field
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, NoticePolicy
from sessionkit.recurrence import Rule
from sessionkit.testing.contract import make_session
from sessionkit.testing.contract.bookings import make_booking
from sessionkit.timespan import check_buffer_pair

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
H = timedelta(hours=1)
BIG: Any = 10**5000
DEEP: Any = [1]
for _ in range(4999):
    DEEP = [DEEP]
ANY: Any = None
A: Any = "a"
TRUE: Any = True
YES: Any = "yes"
FIVE: Any = 5


CASES: dict[str, Callable[[], object]] = {
    "Rule(10**5000)": lambda: Rule(BIG),
    "Rule(bymonth='a')": lambda: Rule("WEEKLY", bymonth=A),
    "Rule(byday=True)": lambda: Rule("WEEKLY", byday=TRUE),
    # A status's or transition's name is the Lifecycle's to refuse (invalid_name); the
    # status and transition themselves name it in their own refusals.
    "Status(deep list) in a Lifecycle": lambda: Lifecycle(
        "x", [Status(DEEP, initial=True), Status("B", terminal=True)], []
    ),
    "Status(deep list, initial='yes')": lambda: Status(DEEP, initial=YES),
    "Transition(10**5000, ...) in a Lifecycle": lambda: Lifecycle(
        "x",
        [Status("A", initial=True), Status("B", terminal=True)],
        [Transition(BIG, "A", "B")],
    ),
    "Transition(10**5000, 'A', target=5)": lambda: Transition(BIG, "A", FIVE),
    "Lifecycle(10**5000, ...)": lambda: Lifecycle(
        BIG,
        [Status("A", initial=True), Status("B", terminal=True)],
        [Transition("go", "A", "B")],
    ),
    "check_subject(10**5000)": lambda: get_lifecycle("lms").check_subject(BIG),
    "Timer.before(timedelta.max)": lambda: Timer.before("start", timedelta.max),
    "Timer.before_start(timedelta.max)": lambda: Timer.before_start(timedelta.max),
    "find_conflicts(resources=None)": lambda: find_conflicts([make_session("s1")], resources=ANY),
    "find_conflicts(span=None)": lambda: find_conflicts([make_session("s1")], span=ANY),
    "NoticePolicy(bypass=[[1]])": lambda: NoticePolicy(bypass=[[1]]),
    "BookingRules(min_notice=None)": lambda: BookingRules(
        min_notice=ANY, max_horizon=timedelta(days=30)
    ),
    "Session(occurrence_key=True)": lambda: attrs.evolve(make_session("s1"), occurrence_key=TRUE),
    "SessionQuery(page=10**5000)": lambda: SessionQuery(page=BIG),
    "Booking(metadata=True)": lambda: attrs.evolve(make_booking("b1"), metadata=TRUE),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_a_hostile_value_is_a_sessionkit_error(call: Callable[[], object]) -> None:
    with pytest.raises(SessionKitError):
        call()


def test_span_of_an_unknown_key_is_not_indexed() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    with pytest.raises(NotIndexed) as info:
        index.span_of("nope")
    assert isinstance(info.value, KeyError)  # as the docstring promised, and a sessionkit one


def _rec() -> Any:
    from sessionkit.recurrence import Recurrence

    return Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=MO", start=datetime(2026, 3, 2, 9), tz="Europe/Berlin", duration=H
    )


MORE: dict[str, Callable[[], object]] = {
    "field_value(k, 10**5000)": lambda: field_value("k", BIG),
    "notes_field(deep list, ...)": lambda: notes_field(DEEP, "n"),
    "check_buffer_pair(10**5000, ...)": lambda: check_buffer_pair(BIG, (H, TRUE)),
    "ConflictIndex(buffers={10**5000: ...})": lambda: ConflictIndex(buffers={BIG: (H, TRUE)}),
    "Recurrence.split(datetime.max)": lambda: _rec().split(datetime.max.replace(tzinfo=UTC)),
    "Recurrence.split(datetime.min)": lambda: _rec().split(datetime.min),
    "add_months(9999-12-01, 1)": lambda: add_months(date(9999, 12, 1), 1),
    "add_months(..., 2**63)": lambda: add_months(date(2026, 1, 1), 2**63),
    "Money.rounded(True)": lambda: Money.of("10", "EUR").rounded(TRUE),
}


@pytest.mark.parametrize("call", MORE.values(), ids=MORE.keys())
def test_more_hostile_values_are_sessionkit_errors(call: Callable[[], object]) -> None:
    with pytest.raises(SessionKitError):
        call()
