"""Own fields read back the same from every store: the deepest accepted, a negative zero.

MariaDB's JSON check refuses a document deeper than 32 levels: fields nested
31 or 32 deep were accepted by sessionkit and refused there with a raw driver
error (``CONSTRAINT ... metadata failed``), while memory, SQLite and
PostgreSQL stored them. PostgreSQL's jsonb read ``-0.0`` back as ``0.0``. The
limit is now 30 levels (the fields' object and a scalar leave that much), and
a negative zero is stored as ``0.0`` everywhere. One record's fields had no
size bound: 17 MB was stored on SQLite and PostgreSQL and failed raw on MariaDB
(``max_allowed_packet``); they are now at most ``MAX_FIELDS_SIZE`` bytes of JSON
everywhere. Server engines as in ``conftest.py``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import InvalidValue
from sessionkit.model.fields import MAX_FIELD_DEPTH, MAX_FIELDS_SIZE
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def kits(engine: Engine) -> list[SessionKit]:
    return [
        SessionKit(uow=store, clock=ManualClock(NOW))
        for store in (InMemoryStore().unit_of_work, SqlAlchemyStore(engine).unit_of_work)
    ]


def test_the_deepest_field_accepted_is_stored_alike_and_one_deeper_refused(
    race_engine: Engine,
) -> None:
    for kit in kits(race_engine):
        deepest = kit.sessions.create_extra(
            "acme",
            actor="a",
            start=NOW + timedelta(days=1),
            end=NOW + timedelta(days=1, hours=1),
            lifecycle="lms",
            metadata={"v": nested(MAX_FIELD_DEPTH)},
        )
        assert kit.queries.get("acme", deepest.id).metadata == {"v": nested(MAX_FIELD_DEPTH)}
        with pytest.raises(InvalidValue, match="nest more than 30 deep"):
            kit.sessions.set_fields(
                "acme", deepest.id, actor="a", set={"w": nested(MAX_FIELD_DEPTH + 1)}
            )
        assert kit.queries.get("acme", deepest.id).metadata == {"v": nested(MAX_FIELD_DEPTH)}


def test_a_negative_zero_reads_back_as_zero_everywhere(race_engine: Engine) -> None:
    for kit in kits(race_engine):
        session = kit.sessions.create_extra(
            "acme",
            actor="a",
            start=NOW + timedelta(days=2),
            end=NOW + timedelta(days=2, hours=1),
            lifecycle="lms",
            metadata={"zero": -0.0, "list": [-0.0, 1.5]},
        )
        for seen in (session, kit.queries.get("acme", session.id)):
            assert seen.metadata == {"zero": 0.0, "list": [0.0, 1.5]}
            assert math.copysign(1.0, seen.metadata["zero"]) == 1.0
            assert math.copysign(1.0, seen.metadata["list"][0]) == 1.0


def test_the_largest_fields_are_stored_alike_and_one_byte_more_refused(
    race_engine: Engine,
) -> None:
    # {"v":"éé…"}: 8 bytes around the text, 2 bytes (UTF-8) for each "é".
    largest = {"v": "\u00e9" * ((MAX_FIELDS_SIZE - 8) // 2)}
    for kit in kits(race_engine):
        session = kit.sessions.create_extra(
            "acme",
            actor="a",
            start=NOW + timedelta(days=3),
            end=NOW + timedelta(days=3, hours=1),
            lifecycle="lms",
            capacity=2,
            metadata=largest,
        )
        assert kit.queries.get("acme", session.id).metadata == largest
        with pytest.raises(InvalidValue, match="take 65,537 bytes as JSON") as refused:
            kit.sessions.create_extra(
                "acme",
                actor="a",
                start=NOW + timedelta(days=4),
                end=NOW + timedelta(days=4, hours=1),
                lifecycle="lms",
                metadata={"v": largest["v"] + "x"},
            )
        assert (refused.value.value, refused.value.expected) == (
            "65,537 bytes",
            "at most 65,536 bytes of JSON (UTF-8)",
        )
        with pytest.raises(InvalidValue, match="take 65,542 bytes as JSON"):
            kit.sessions.set_fields("acme", session.id, actor="a", set={"w": 1})
        with pytest.raises(InvalidValue, match="take 65,537 bytes as JSON"):
            kit.bookings.book(
                "acme", session.id, "student:s1", actor="a", metadata={"v": largest["v"] + "x"}
            )
        assert kit.queries.list("acme").total == 1
        assert kit.queries.get("acme", session.id).metadata == largest
        assert kit.bookings.for_session("acme", session.id) == []
