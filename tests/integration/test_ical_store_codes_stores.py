"""store_ical codes every session it stores on every store, as on the memory store.

``tests/unit/test_ical_store_codes.py`` checks the memory store alone: a moved occurrence and
a single event stored by ``store_ical`` get their ``session_code`` and a row in the codes
table (``by_code``, ``code_of``). SQLite, PostgreSQL and MariaDB keep the codes in a table of
their own (``sessionkit_session_codes``), counted per tenant; these are the same assertions
there. PostgreSQL and MariaDB run when SESSIONKIT_TEST_POSTGRES_URL /
SESSIONKIT_TEST_MYSQL_URL are set, and are skipped, saying so, when not.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from sessionkit import SessionCodes, SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.contrib.ical import read_ical, store_ical
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)
CALENDAR = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        *("BEGIN:VEVENT", "UID:yoga", "SUMMARY:Yoga", "DTSTART:20260316T170000Z"),
        *("DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3", "END:VEVENT"),
        *("BEGIN:VEVENT", "UID:yoga", "SUMMARY:Yoga (Tuesday)"),
        *("RECURRENCE-ID:20260323T170000Z", "DTSTART:20260324T180000Z", "DURATION:PT1H"),
        "END:VEVENT",
        *("BEGIN:VEVENT", "UID:talk", "SUMMARY:Talk", "DTSTART:20260401T100000Z"),
        *("DURATION:PT1H", "END:VEVENT"),
        "END:VCALENDAR",
        "",
    ]
)
"""Yoga weekly three times, its second moved to a Tuesday (an override), and a single talk."""


def _kit(engine: Engine | None, codes: SessionCodes | None) -> SessionKit:
    store: UnitOfWorkFactory
    if engine is None:
        store = InMemoryStore().unit_of_work
    else:
        clear_tables(engine)  # the codes table too: each test counts from 1
        store = SqlAlchemyStore(engine).unit_of_work
    return SessionKit(uow=store, clock=ManualClock(NOW), codes=codes)


def test_every_session_store_ical_stores_has_its_code(every_store: Engine | None) -> None:
    kit = _kit(every_store, SessionCodes(prefix="Q"))
    stored = store_ical(kit, "acme", read_ical(CALENDAR), actor="admin")
    sessions = kit.queries.list("acme").items
    # The series' two generated occurrences, its moved one and the talk: four, each its own.
    assert sorted(s.metadata.get("session_code") or "" for s in sessions) == [
        f"Q-acme-00000{n}" for n in range(1, 5)
    ]
    codes = {s.title: s.metadata.get("session_code") for s in sessions}
    [moved] = stored.overrides
    [talk] = stored.extras
    assert moved.metadata["session_code"] == codes["Yoga (Tuesday)"]
    assert talk.metadata["session_code"] == codes["Talk"]
    # The codes table holds them, both ways.
    found = kit.usage.by_code("acme", talk.metadata["session_code"])
    assert found is not None
    assert found.id == talk.id
    assert kit.usage.code_of("acme", moved.id) == moved.metadata["session_code"]
    assert kit.usage.code_of("acme", talk.id) == talk.metadata["session_code"]


def test_a_kit_without_codes_stores_none(every_store: Engine | None) -> None:
    kit = _kit(every_store, None)
    stored = store_ical(kit, "acme", read_ical(CALENDAR), actor="admin")
    assert [s.metadata.get("session_code") for s in kit.queries.list("acme").items] == [None] * 4
    [moved] = stored.overrides
    assert kit.usage.code_of("acme", moved.id) is None
