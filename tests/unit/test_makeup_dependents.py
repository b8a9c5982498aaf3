"""A session marked as a cancelled session's makeup is a dependent: never deleted by the way.

The academy cancelled lesson 2 and marked lesson 4 its makeup; a change of the
class's hour then deleted lesson 4 as any untouched lesson, silently, and
lesson 2 stayed "made up by" a session that no longer existed (so no other
session could make it up). ``kit.sessions.delete`` and closing the series did
the same. The mark counts as a dependent now, as a booking does: the change
keeps the makeup and reports it, and deleting it is refused (cancel it
instead, which frees its cancelled session for another makeup). Memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionkit.errors import SessionLocked
from sessionkit.model.session import Session
from sessionkit.model.usage import MADE_UP_BY_FIELD
from sessionkit.services import SessionKit

from ._store_support import STORES, fresh_kit, weekly

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def kit(request: pytest.FixtureRequest) -> SessionKit:
    return fresh_kit(request.param, NOW)


def made_up(kit: SessionKit) -> tuple[str, list[Session]]:
    """A weekly academy class whose second lesson was cancelled and made up by its fourth."""
    series, made = kit.series.create(
        T, actor="a", title="Tajweed", items=[weekly(17)], lifecycle="academy"
    )
    lessons = sorted(made.created, key=lambda s: s.start)
    kit.sessions.fire(T, lessons[1].id, "cancel", actor="a")
    kit.usage.mark_makeup(T, lessons[3].id, replaces=lessons[1].id, actor="a")
    return series.id, lessons


def test_a_schedule_change_keeps_a_makeup_and_reports_it(kit: SessionKit) -> None:
    series_id, lessons = made_up(kit)
    makeup = lessons[3]
    report = kit.series.change_schedule(T, series_id, actor="a", items=[weekly(18)])
    assert makeup.id not in {s.id for s in report.deleted}
    [orphan] = [o for o in report.orphans if o.session.id == makeup.id]
    assert orphan.reason.endswith(f"the makeup of session '{lessons[1].id}')"), orphan.reason
    kept = kit.queries.get(T, makeup.id)
    assert (kept.start, kept.metadata["makeup_of"]) == (makeup.start, lessons[1].id)
    assert kit.queries.get(T, lessons[1].id).metadata[MADE_UP_BY_FIELD] == makeup.id
    # The other untouched lessons moved to the new hour (or were made again there).
    starts = {s.start.astimezone(UTC).hour for s in kit.queries.series_sessions(T, series_id)}
    assert starts == {makeup.start.hour, lessons[1].start.hour, 17}


def test_deleting_a_makeup_is_refused_and_cancelling_it_frees_its_session(
    kit: SessionKit,
) -> None:
    _, lessons = made_up(kit)
    makeup, cancelled = lessons[3], lessons[1]
    with pytest.raises(SessionLocked, match=f"the makeup of session '{cancelled.id}'") as refused:
        kit.sessions.delete(T, makeup.id, actor="a")
    assert refused.value.session_id == makeup.id
    assert kit.queries.get(T, makeup.id).status == "SCHEDULED"
    kit.sessions.fire(T, makeup.id, "cancel", actor="a")
    other = lessons[5]
    kit.usage.mark_makeup(T, other.id, replaces=cancelled.id, actor="a")
    assert kit.queries.get(T, cancelled.id).metadata[MADE_UP_BY_FIELD] == other.id
