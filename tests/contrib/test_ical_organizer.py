"""sessionkit.contrib.ical: a feed's ORGANIZER (``sessions_feed(organizer=...)``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import icalendar
import pytest

from sessionkit.contrib.ical import IcalCalendar, IcalEvent, read_ical, sessions_feed, write_ical
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)
START = datetime(2026, 3, 10, 9, tzinfo=UTC)
TEACHERS = {"teacher:tom": "mailto:tom@example.org"}


def lesson(session_id: str, teacher: str) -> Session:
    return Session(
        id=session_id,
        tenant="acme",
        title="Pottery",
        span=TimeSpan(START, START + timedelta(hours=1)),
        tz="Europe/Berlin",
        status="SCHEDULED",
        lifecycle="academy",
        busy=True,
        created_at=NOW,
        capacity=8,
        resources=(ResourceRef.parse(teacher),),
    )


def teacher_of(session: Session) -> str | None:
    return TEACHERS.get(str(session.resources[0]))


def organizers(text: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for event in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        organizer = event.get("ORGANIZER")
        found[str(event["UID"])] = None if organizer is None else str(organizer)
    return found


def test_organizer_gives_each_session_its_address_or_none() -> None:
    text = sessions_feed(
        [lesson("s1", "teacher:tom"), lesson("s2", "teacher:una")],
        stamp=NOW,
        organizer=teacher_of,
    )

    assert organizers(text) == {"s1": "mailto:tom@example.org", "s2": None}
    assert "ORGANIZER:mailto:tom@example.org\r\n" in text


def test_without_organizer_none_is_written() -> None:
    text = sessions_feed([lesson("s1", "teacher:tom")], stamp=NOW)

    assert organizers(text) == {"s1": None}


def test_the_feed_reads_back_as_without_an_organizer() -> None:
    sessions = [lesson("s1", "teacher:tom")]
    plain = read_ical(sessions_feed(sessions, stamp=NOW))
    organized = read_ical(sessions_feed(sessions, stamp=NOW, organizer=teacher_of))

    assert organized == plain
    assert organized.events[0].organizer is None


def test_write_ical_writes_a_hand_made_events_organizer() -> None:
    event = IcalEvent(
        uid="e1",
        title="Call",
        span=TimeSpan(START, START + timedelta(minutes=30)),
        tz="UTC",
        organizer="mailto:tom@example.org",
    )

    text = write_ical(IcalCalendar(events=(event,)), stamp=NOW)

    assert organizers(text) == {"e1": "mailto:tom@example.org"}


def test_an_organizer_that_is_no_uri_is_refused_naming_the_session() -> None:
    with pytest.raises(InvalidValue) as refused:
        sessions_feed([lesson("s1", "teacher:tom")], stamp=NOW, organizer=lambda s: "tom@x.org")

    assert "the organizer of 's1'" in str(refused.value)
    assert refused.value.value == "tom@x.org"


def test_an_organizer_line_break_is_refused() -> None:
    with pytest.raises(InvalidValue):
        sessions_feed(
            [lesson("s1", "teacher:tom")],
            stamp=NOW,
            organizer=lambda s: "mailto:a@x.org\r\nATTENDEE:mailto:b@x.org",
        )


def test_an_organizer_that_is_no_function_is_refused() -> None:
    with pytest.raises(WrongType) as refused:
        sessions_feed(
            [lesson("s1", "teacher:tom")],
            stamp=NOW,
            organizer="mailto:tom@example.org",  # type: ignore[arg-type]
        )

    assert refused.value.name == "organizer"


def test_a_hand_made_events_organizer_is_checked() -> None:
    with pytest.raises(InvalidValue):
        attrs.evolve(
            IcalEvent(
                uid="e1",
                title="Call",
                span=TimeSpan(START, START + timedelta(minutes=30)),
                tz="UTC",
            ),
            organizer="tom",
        )
