"""A schedule change generates over the series' window, not as far as its furthest session.

A weekly class generated two months ahead had an extra session of the
series (the final exam) set ten months ahead, or one lesson moved by hand to
next year. A change of the class's hour then made every weekly lesson up to
that session: ten months of them, far past the rolling window and its
``generated_until`` (a daily class with a reunion five years ahead got 1,270
lessons, and a session further ahead could make the change fail on
``LimitExceeded``). Only the generated sessions at their occurrence decide how
far the change reaches. Each case runs on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model import ResourceRef
from sessionkit.services import SessionKit

from ._store_support import STORES, fresh_kit, weekly

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
UNTIL = datetime(2026, 5, 2, 15, tzinfo=UTC)  # two months from the first lesson, Berlin's clock


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def kit(request: pytest.FixtureRequest) -> SessionKit:
    return fresh_kit(request.param, NOW)


def test_an_extra_session_months_ahead_does_not_stretch_the_change(kit: SessionKit) -> None:
    series, made = kit.series.create(T, actor="a", title="Chem", items=[weekly(17)])
    assert series.generated_until == UNTIL
    exam = datetime(2027, 1, 11, 9, tzinfo=UTC)
    kit.sessions.create_extra(
        T,
        actor="a",
        series_id=series.id,
        title="Final exam",
        start=exam,
        end=exam + timedelta(hours=2),
    )
    report = kit.series.change_schedule(T, series.id, actor="a", items=[weekly(18)])
    assert len(report.deleted) == len(made.created) == 9
    assert len(report.created) == 9
    assert max(s.start for s in report.created) < UNTIL
    assert kit.queries.get_series(T, series.id).generated_until == UNTIL
    starts = [s.start for s in kit.queries.series_sessions(T, series.id)]
    assert [s for s in starts if s >= UNTIL] == [exam]


def test_a_lesson_moved_by_hand_to_next_year_still_holds_its_week_and_no_more(
    kit: SessionKit,
) -> None:
    series, made = kit.series.create(T, actor="a", title="Chem", items=[weekly(17)])
    later = datetime(2027, 2, 1, 17, tzinfo=UTC)
    moved = kit.sessions.update(T, made.created[3].id, actor="a", start=later)
    report = kit.series.change_schedule(T, series.id, actor="a", items=[weekly(18)])
    assert [o.session.id for o in report.orphans] == [moved.id]
    assert [(k.key, k.reason) for k in report.skipped] == [(datetime(2026, 3, 23, 18), "exists")]
    assert len(report.created) == 8
    assert max(s.start for s in report.created) < UNTIL


def test_sessions_materialised_past_the_window_are_still_reconciled(kit: SessionKit) -> None:
    series, _ = kit.series.create(T, actor="a", title="Chem", items=[weekly(17)])
    ahead = kit.series.materialise(
        T,
        series.id,
        actor="a",
        start=datetime(2026, 9, 1, tzinfo=UTC),
        end=datetime(2026, 9, 15, tzinfo=UTC),
    )
    report = kit.series.change_schedule(T, series.id, actor="a", items=[weekly(17, "teacher:ben")])
    updated = {s.id: s for s in report.updated}
    assert [updated[s.id].resources for s in ahead.created] == [
        (ResourceRef("teacher", "ben"),)
    ] * 2
