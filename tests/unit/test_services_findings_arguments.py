"""Arguments an audit found taken as something else: a bare string for a collection, ``None``.

A bare string where a collection of statuses or participants is expected was
read as one item (``statuses="HELD"``); ``progress(tenant, None)`` was read as
the whole tenant; ``clear_override(actor=None)`` went through where
``override`` asks who decided. Each is now an ``InvalidValue`` naming the
value and what was expected, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model import ResourceRef
from sessionkit.model.query import SessionQuery
from sessionkit.model.text import check_collection
from sessionkit.testing.harness import Harness

from ._bookings_support import ANA, NOW, T, harness, slot


@pytest.fixture
def h() -> Harness:
    return harness()


# -- the shared check ---------------------------------------------------------------------


@pytest.mark.parametrize("values", [["HELD"], ("HELD", "CONFIRMED"), {"HELD"}, iter(["HELD"]), []])
def test_a_collection_is_handed_back_as_it_came(values: object) -> None:
    assert check_collection(values, "statuses", of="booking statuses") is values


def test_a_bare_string_is_refused_naming_it_and_what_was_expected() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_collection("HELD", "statuses", of="booking statuses")
    assert caught.value.value == "HELD"
    assert caught.value.expected == "a collection (list, tuple, set) of booking statuses"
    told = str(caught.value)
    assert "statuses" in told
    assert "'HELD'" in told
    assert "['HELD']" in told  # what to write instead


@pytest.mark.parametrize("values", [b"HELD", {"HELD": 1}, 5, ResourceRef("student", "ana")])
def test_what_is_no_collection_is_a_wrong_type(values: object) -> None:
    with pytest.raises(WrongType) as caught:
        check_collection(values, "statuses", of="booking statuses")
    assert caught.value.name == "statuses"


# -- booking and payment queries, the agenda ----------------------------------------------

Query = Callable[[Harness, str, Any], object]
_QUERIES: dict[str, Query] = {
    "bookings.for_session": lambda h, sid, v: h.kit.bookings.for_session(T, sid, statuses=v),
    "bookings.for_participant": lambda h, _sid, v: h.kit.bookings.for_participant(
        T, ANA, statuses=v
    ),
    "payments.list": lambda h, _sid, v: h.kit.payments.list(T, statuses=v),
    "queries.agenda": lambda h, _sid, v: h.kit.queries.agenda(
        T, "tutor:tina", start=NOW, end=NOW + timedelta(days=7), statuses=v
    ),
}
_ONE_STATUS = {
    "bookings.for_session": "CONFIRMED",
    "bookings.for_participant": "CONFIRMED",
    "payments.list": "PAID",
    "queries.agenda": "SCHEDULED",
}


@pytest.mark.parametrize("query", sorted(_QUERIES))
def test_a_status_filter_refuses_a_bare_string(h: Harness, query: str) -> None:
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    status = _ONE_STATUS[query]
    with pytest.raises(InvalidValue) as caught:
        _QUERIES[query](h, s.id, status)
    assert caught.value.value == status
    assert caught.value.expected.startswith("a collection (list, tuple, set) of ")
    assert "statuses" in str(caught.value)
    assert f"'{status}'" in str(caught.value)
    _QUERIES[query](h, s.id, [status])  # the same status in a list is fine
    _QUERIES[query](h, s.id, (status,))


# -- usage: participants --------------------------------------------------------------------


def _charged_lesson(h: Harness) -> str:
    s = slot(h, capacity=1)
    h.kit.usage.subscribe(T, actor="admin", subscriber=ANA, credits=4, starts=NOW)
    h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    return s.id


@pytest.mark.parametrize("command", ["consume", "reverse"])
@pytest.mark.parametrize(
    ("participants", "error"),
    [(ANA, InvalidValue), (ResourceRef("student", "ana"), WrongType)],  # a ref is no collection
)
def test_usage_refuses_one_participant_where_a_collection_is_expected(
    h: Harness, command: str, participants: object, error: type[Exception]
) -> None:
    session_id = _charged_lesson(h)
    if command == "reverse":
        h.kit.usage.consume(T, session_id, actor="admin", participants=[ANA])
    before = h.kit.usage.entries(T, session_id=session_id)
    call = getattr(h.kit.usage, command)
    with pytest.raises(error) as caught:
        call(T, session_id, actor="admin", participants=participants)
    assert isinstance(caught.value, InvalidValue | WrongType)
    assert caught.value.value == participants
    assert "participants" in str(caught.value)
    assert h.kit.usage.entries(T, session_id=session_id) == before  # nothing written
    assert call(T, session_id, actor="admin", participants=[ANA])  # a list of one is fine


# -- analytics: progress needs a scope ------------------------------------------------------


def test_progress_refuses_no_scope_rather_than_reading_the_whole_tenant(h: Harness) -> None:
    slot(h)
    with pytest.raises(InvalidValue) as caught:
        h.kit.analytics.progress(T, None)  # type: ignore[arg-type]  # the bad value on purpose
    assert caught.value.value is None
    told = str(caught.value)
    assert "scope" in told
    assert "SessionQuery()" in told  # how to ask for every session, on purpose
    assert h.kit.analytics.progress(T, SessionQuery()).sessions == 1


# -- attendance: clearing an override names who decided ---------------------------------------


@pytest.mark.parametrize("actor", [None, ""])
def test_clearing_an_override_needs_an_actor_as_setting_one_does(h: Harness, actor: Any) -> None:
    s = slot(h, capacity=1)
    h.kit.attendance.override(T, s.id, ANA, status="absent", actor="tina")
    for call in (
        lambda: h.kit.attendance.override(T, s.id, ANA, status="absent", actor=actor),
        lambda: h.kit.attendance.clear_override(T, s.id, ANA, actor=actor),
    ):
        with pytest.raises(InvalidValue) as caught:
            call()
        assert caught.value.value == actor
        assert "actor" in str(caught.value)
    [kept] = h.kit.attendance.for_session(T, s.id)
    assert kept.override is not None  # nothing removed
    assert kept.override.decided_by == "tina"
    assert h.kit.attendance.clear_override(T, s.id, ANA, actor="tina") is True
