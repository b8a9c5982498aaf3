"""``kit.advance_due`` when the publisher raises after a session's steps committed.

The session moved on (stored READY), but the report listed it only in
``failed``: ``advanced`` was empty, and the next run found nothing to do, so
a host acting on ``advanced`` (say, sending "your lesson is ready") never
heard of it. The tick counts such a session as advanced; so does
``advance_due`` now, and it still reports the error in ``failed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.events import DomainEvent
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class _Mailer:
    down = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.down:
            raise RuntimeError("smtp down")


def test_a_session_stored_before_the_publisher_raised_is_reported_advanced() -> None:
    mailer = _Mailer()
    kit = SessionKit(uow=InMemoryStore(publisher=mailer).unit_of_work, clock=ManualClock(NOW))
    ids = [
        kit.sessions.create_extra(
            "acme",
            actor="u",
            start=NOW + timedelta(minutes=10 + n),
            end=NOW + timedelta(minutes=40 + n),
            lifecycle="academy",
        ).id
        for n in range(2)
    ]
    mailer.down = True
    report = kit.advance_due("acme")
    assert [kit.queries.get("acme", i).status for i in ids] == ["READY", "READY"]
    assert sorted((s.id, s.status) for s in report.advanced) == sorted((i, "READY") for i in ids)
    assert sorted((f.session_id, str(f.error)) for f in report.failed) == sorted(
        (i, "smtp down") for i in ids
    )
    mailer.down = False
    assert kit.advance_due("acme").advanced == ()  # done once
