"""``kit.advance_due`` when the host's fact provider fails for one session.

The provider's error left the whole job as a bare ``RuntimeError``: none of
the tenant's due sessions advanced, where the report should name the one
whose facts failed and advance the rest (as ``kit.tick`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class _Flaky:
    """A host's fact provider that fails for any batch holding a session titled "bad"."""

    def facts_for(self, sessions: Sequence[Session], uow: object) -> dict[str, dict[str, object]]:
        del uow
        if any(s.title == "bad" for s in sessions):
            raise RuntimeError("the fact service is down")
        return {}


def test_a_fact_provider_failing_for_one_session_is_reported_and_the_rest_advance() -> None:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), facts=attendance_facts(_Flaky())
    )
    ids = {}
    for n, title in enumerate(("ok", "bad", "ok2")):
        start = NOW + timedelta(hours=1, minutes=5 * n)
        ids[title] = kit.sessions.create_extra(
            "acme",
            actor="u",
            title=title,
            start=start,
            end=start + timedelta(minutes=45),
            lifecycle="academy",
        ).id
    report = kit.advance_due("acme", now=NOW + timedelta(minutes=60))
    [failure] = report.failed
    assert (failure.session_id, str(failure.error)) == (ids["bad"], "the fact service is down")
    assert sorted(s.title for s in report.advanced) == ["ok", "ok2"]
    assert [(s.title, s.status) for s in kit.queries.list("acme").items] == [
        ("ok", "READY"),
        ("bad", "SCHEDULED"),
        ("ok2", "READY"),
    ]
