"""Issue 10 item 8 (and item 1's boundary rule): bad input gets a sessionkit error naming it.

Each finding of the outside attack is pinned here: the value that used to
surface as a raw TypeError, AttributeError, OverflowError, UnicodeEncodeError
or driver error now raises an :class:`~sessionkit.errors.InvalidValue` (or a
:class:`~sessionkit.errors.WrongType`, which is also a ``TypeError``) whose
``value`` is what was passed, and storage is unchanged. The storage-facing
ones run on the memory store, SQLite, and PostgreSQL and MariaDB when their
URLs are set.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit import (
    InvalidRecurrence,
    InvalidValue,
    Recurrence,
    ResourceRef,
    SessionKitError,
    WrongType,
)
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import InvalidDuration
from sessionkit.model import ScheduleItem, SessionQuery, WindowPolicy
from sessionkit.model.query import Cursor
from sessionkit.model.text import check_collection, check_id, check_tenant, check_text
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
T = "acme"
LATER = NOW + timedelta(days=1)


# ---------------------------------------------------------------------- ids and tenants

BAD_IDS: list[tuple[object, type[SessionKitError], str]] = [
    ("acme ", InvalidValue, "whitespace"),
    (" acme", InvalidValue, "whitespace"),
    ("acme\u00a0", InvalidValue, "whitespace"),
    ("", InvalidValue, "non-empty"),
    ("a\x00b", InvalidValue, "NUL"),
    ("a\ud800b", InvalidValue, "lone surrogate"),
    ("a\x07b", InvalidValue, "control character"),
    ("a" * 129, InvalidValue, "129 characters"),
    (5, WrongType, "must be a string"),
    (None, WrongType, "must be a string"),
    (["acme"], WrongType, "must be a string"),
    (b"acme", WrongType, "must be a string"),
]


@pytest.mark.parametrize(("value", "error", "message"), BAD_IDS)
def test_ids_and_tenants_follow_one_rule(
    value: object, error: type[SessionKitError], message: str
) -> None:
    for check in (check_tenant, lambda v: check_id(v, "session_id")):
        with pytest.raises(error, match=message) as caught:
            check(value)
        assert caught.value.value == value  # type: ignore[attr-defined]  # both errors have it
    assert issubclass(WrongType, TypeError)


def test_a_length_refused_names_both_numbers_in_one_form() -> None:
    # "reason is 3,000 characters long; at most 2000": one number grouped, the other not.
    with pytest.raises(InvalidValue) as text:
        check_text("r" * 3000, "reason", limit=2000)
    assert str(text.value) == "reason is 3,000 characters long; at most 2,000 are allowed"
    assert text.value.expected == "<= 2,000 characters"  # as notes' "at most 2,000 characters"
    with pytest.raises(InvalidValue) as ident:
        check_id("i" * 1500, "session_id", limit=1024)
    assert str(ident.value).startswith(
        "session_id is 1,500 characters long; at most 1,024 are allowed: "
    )
    assert ident.value.expected == "1..1,024 characters"
    with pytest.raises(InvalidValue) as cursor:
        SessionQuery(after="x" * 9000)
    assert str(cursor.value) == "a cursor is at most 8,192 characters long, got 9,000"


@pytest.mark.parametrize(
    "check",
    [
        lambda: check_text("r" * 3000, "reason", limit=2000),
        lambda: check_text("", "reason", limit=2000, empty=False),
        lambda: check_text("a\x00b", "reason", limit=2000),
        lambda: check_collection("HELD", "reason", of="statuses"),
    ],
    ids=["too-long", "empty", "unstorable", "bare-string"],
)
def test_a_text_refused_names_its_argument_as_a_field(check: Any) -> None:
    # As WrongType does: an app (or a problem+json body) points at the field by ``name``.
    with pytest.raises(InvalidValue) as refused:
        check()
    assert refused.value.name == "reason"


def test_look_alikes_that_are_exact_are_fine() -> None:
    for value in ("ACME", "acme.eu", "a b", "İstanbul", "teacher:ana", "😀"):
        assert check_tenant(value) == value


# ---------------------------------------------------------------------- one kit per store


@pytest.fixture(scope="module")
def server_engines() -> Iterator[dict[str, Any]]:
    engines: dict[str, Any] = {}
    with (
        postgres_schema(POSTGRES_URL) if POSTGRES_URL else _none() as pg,
        mysql_database(MYSQL_URL) if MYSQL_URL else _none() as my,
    ):
        engines.update(postgres=pg, mysql=my)
        yield engines


class _none:  # noqa: N801  # a do-nothing context manager, named like contextlib.nullcontext
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


@pytest.fixture(params=["memory", "sqlite", "postgres", "mysql"])
def kit(request: pytest.FixtureRequest, server_engines: dict[str, Any]) -> SessionKit:
    if request.param == "memory":
        store: Any = InMemoryStore()
    elif request.param == "sqlite":
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
        store = SqlAlchemyStore(engine)
    else:
        engine = server_engines[request.param]
        if engine is None:
            pytest.skip(f"set SESSIONKIT_TEST_{request.param.upper()}_URL")
        clear_tables(engine)
        store = SqlAlchemyStore(engine)
    counter = itertools.count(1)
    return SessionKit(
        uow=store.unit_of_work, clock=ManualClock(NOW), ids=lambda: f"s{next(counter)}"
    )


def stored(kit: SessionKit) -> list[object]:
    return [*kit.queries.list(T).items, *kit.queries.list("beta").items]


def extra(kit: SessionKit, **changes: Any) -> object:
    arguments: dict[str, Any] = {
        "actor": "u1",
        "start": LATER,
        "end": LATER + timedelta(hours=1),
        "lifecycle": "lms",
    }
    tenant = changes.pop("tenant", T)
    arguments.update(changes)
    return kit.sessions.create_extra(tenant, **arguments)


@pytest.mark.parametrize(("value", "error", "message"), BAD_IDS)
def test_a_bad_tenant_is_refused_by_every_store_before_it_reaches_one(
    kit: SessionKit, value: object, error: type[SessionKitError], message: str
) -> None:
    session = extra(kit)
    before = stored(kit)
    with pytest.raises(error, match=message):
        extra(kit, tenant=value)
    for call in (
        lambda: kit.queries.get(value, session.id),  # type: ignore[arg-type, attr-defined]
        lambda: kit.queries.list(value),  # type: ignore[arg-type]
        lambda: kit.sessions.cancel(value, session.id, actor=None),  # type: ignore[arg-type, attr-defined]
        lambda: kit.bookings.book(value, session.id, "student:ana", actor=None),  # type: ignore[arg-type, attr-defined]
    ):
        with pytest.raises(error):
            call()
    with pytest.raises(error):
        kit.queries.get(T, value)  # type: ignore[arg-type]  # the point: wrong at run time
    assert stored(kit) == before


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"title": "a\x00b"}, InvalidValue),  # PostgreSQL refused NUL with a raw DataError
        ({"title": "a\ud800b"}, InvalidValue),  # drivers raised UnicodeEncodeError
        ({"actor": "u\x00"}, InvalidValue),
        ({"actor": 7}, WrongType),
        ({"metadata": {"note": "a\x00"}}, InvalidValue),
        ({"metadata": {"a\ud800": 1}}, InvalidValue),
        ({"metadata": {"score": float("nan")}}, InvalidValue),
        ({"metadata": {"blob": object()}}, InvalidValue),
        ({"metadata": "json"}, WrongType),
        ({"resources": ["teacher:ana "]}, InvalidValue),
        ({"resources": [5]}, WrongType),
        ({"resources": 5}, WrongType),
        ({"capacity": "3"}, WrongType),  # None means the default here
        ({"capacity": 2**40}, InvalidValue),
        ({"start": datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=14)))}, InvalidValue),
        ({"end": datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14)))}, InvalidValue),
        ({"end": datetime.max.replace(tzinfo=UTC)}, InvalidValue),
        ({"start": LATER.replace(tzinfo=None)}, InvalidValue),
        ({"lifecycle": ["lms"]}, WrongType),
        ({"series_id": {"id": 1}}, WrongType),
    ],
)
def test_bad_values_are_named_and_store_nothing(
    kit: SessionKit, changes: dict[str, Any], error: type[SessionKitError]
) -> None:
    with pytest.raises(error):
        extra(kit, **changes)
    assert stored(kit) == []


def test_paging_searching_and_cursors_refuse_what_no_database_takes(kit: SessionKit) -> None:
    extra(kit, title="Algebra")
    with pytest.raises(InvalidValue, match="page=") as caught:
        kit.queries.list(T, SessionQuery(page=2**62))
    assert caught.value.value == 2**62
    with pytest.raises(InvalidValue, match="search is 10,000,000 characters"):
        kit.queries.list(T, SessionQuery(search="x" * 10_000_000))
    with pytest.raises(InvalidValue):
        kit.queries.list(T, SessionQuery(search="Alg\x00"))
    naive = base64.urlsafe_b64encode(
        json.dumps({"o": [["start", "asc"]], "v": ["2026-03-02T09:00:00"], "i": "s1"}).encode()
    ).decode()
    for cursor in (naive, "garbage", "x" * 5000):
        with pytest.raises(InvalidValue):
            SessionQuery(after=cursor)
    crafted = Cursor((("title", "asc"),), ("a\x00",), "s1").encode()
    with pytest.raises(InvalidValue):
        SessionQuery(sort="title", after=crafted)
    with pytest.raises(WrongType):
        SessionQuery(after=5)  # type: ignore[arg-type]  # the point: wrong at run time
    with pytest.raises(WrongType):
        kit.queries.list(T, {"page": 1})  # type: ignore[arg-type]  # the point: wrong type
    assert kit.queries.list(T, SessionQuery(search="algebra")).total == 1


def test_series_values_are_refused_before_anything_is_stored(kit: SessionKit) -> None:
    weekly = ScheduleItem(
        "mo",
        Recurrence.weekly(
            days=("MO",),
            at=time(9),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=LATER.date(),
        ),
        ["teacher:ana"],
    )
    with pytest.raises(InvalidValue, match="initial_months"):
        WindowPolicy(initial_months=10**6)
    with pytest.raises(InvalidDuration, match="buffer"):
        WindowPolicy(buffer=timedelta.max)
    with pytest.raises(WrongType, match="capacity"):
        kit.series.create(T, actor=None, title="A", items=[weekly], capacity=None)  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="items"):
        kit.series.create(T, actor=None, title="A", items=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecurrence) as caught:
        Recurrence.from_rrule(
            "FREQ=DAILY;INTERVAL=999999999999",
            start=datetime(2026, 3, 2, 9),
            tz="UTC",
            duration=timedelta(hours=1),
        )
    assert caught.value.part == "INTERVAL"
    with pytest.raises(WrongType):
        kit.series.create(T, actor=None, title="A", items=[weekly], window=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="whitespace"):
        ScheduleItem("mo ", weekly.recurrence)
    assert stored(kit) == []


def test_booking_arguments_are_checked_first(kit: SessionKit) -> None:
    session = extra(kit, capacity=3)
    sid: str = session.id  # type: ignore[attr-defined]
    for changes, error in (
        ({"hold_for": timedelta.max}, InvalidDuration),
        ({"seats": "2"}, WrongType),
        ({"seats": 2**40}, InvalidValue),
        ({"confirm": "yes"}, WrongType),
        ({"role": ""}, InvalidValue),
        ({"idempotency_key": "k\x00"}, InvalidValue),
        ({"now": datetime(9999, 12, 31, tzinfo=UTC)}, InvalidValue),
    ):
        with pytest.raises(error):
            kit.bookings.book(T, sid, "student:ana", actor=None, **changes)
    with pytest.raises(WrongType):
        kit.bookings.book(T, sid, 5, actor=None)  # type: ignore[arg-type]
    with pytest.raises(WrongType):
        kit.bookings.for_participant(T, "student:ana", after="later")  # type: ignore[arg-type]
    with pytest.raises(WrongType):
        kit.bookings.agenda(T, "student:ana", days="7")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.bookings.remaining_seats(T, [f"s{n}" for n in range(1_001)])
    with pytest.raises(WrongType):
        kit.bookings.remaining_seats(T, 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        kit.bookings.expire_due(limit=2**62)
    assert kit.bookings.for_session(T, sid) == []


def test_resource_references_are_ids_too() -> None:
    with pytest.raises(InvalidValue, match="whitespace"):
        ResourceRef("teacher", "ana ")
    with pytest.raises(WrongType):
        ResourceRef("teacher", 5)  # type: ignore[arg-type]
    with pytest.raises(WrongType):
        ResourceRef.parse(None)  # type: ignore[arg-type]
    assert str(ResourceRef("room", "A 1")) == "room:A 1"
