"""store_ical codes every session it stores, as the kit's other ways of creating them do.

It coded only a series' generated occurrences: an override (a moved occurrence) and a single
event had no ``session_code`` and no record in the codes table, so ``by_code`` never found them.
"""

from __future__ import annotations

from sessionkit import SessionCodes
from sessionkit.contrib.ical import read_ical, store_ical
from sessionkit.testing.harness import Harness

from ._ical_support import NOW, event, ics

_CALENDAR = ics(
    *event(
        "UID:yoga",
        "SUMMARY:Yoga",
        "DTSTART:20260316T170000Z",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=3",
    ),
    *event(
        "UID:yoga",
        "SUMMARY:Yoga (Tuesday)",
        "RECURRENCE-ID:20260323T170000Z",
        "DTSTART:20260324T180000Z",
        "DURATION:PT1H",
    ),
    *event("UID:talk", "SUMMARY:Talk", "DTSTART:20260401T100000Z", "DURATION:PT1H"),
)


def test_every_stored_session_has_its_code() -> None:
    h = Harness.in_memory(NOW, codes=SessionCodes(prefix="Q"))
    stored = store_ical(h.kit, "acme", read_ical(_CALENDAR), actor="admin")
    sessions = h.kit.queries.list("acme").items
    assert sorted(s.metadata.get("session_code") or "" for s in sessions) == [
        f"Q-acme-00000{n}" for n in range(1, 5)
    ]
    [moved] = stored.overrides
    [talk] = stored.extras
    codes = {s.title: s.metadata.get("session_code") for s in sessions}
    assert moved.metadata["session_code"] == codes["Yoga (Tuesday)"]
    assert talk.metadata["session_code"] == codes["Talk"]
    found = h.kit.usage.by_code("acme", talk.metadata["session_code"])
    assert found is not None
    assert found.id == talk.id
    assert h.kit.usage.code_of("acme", moved.id) == moved.metadata["session_code"]


def test_a_kit_without_codes_stores_none() -> None:
    h = Harness.in_memory(NOW)
    stored = store_ical(h.kit, "acme", read_ical(_CALENDAR), actor="admin")
    assert [s.metadata.get("session_code") for s in (*stored.overrides, *stored.extras)] == [
        None,
        None,
    ]
