"""What the booking service tests share: a tutor's slots, four students, the rules, readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from sessionkit.model import ResourceRef, Session
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday
TUTOR = ResourceRef("tutor", "tina")
ANA, BEN, CAI, DAN = "student:ana", "student:ben", "student:cai", "student:dan"
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2))


def harness(rules: BookingRules = RULES) -> Harness:
    """An in-memory kit at :data:`NOW` with ``rules``, its ids ``x1``, ``x2``, ..."""
    return Harness.in_memory(NOW, id_prefix="x", booking_rules=rules)


def slot(h: Harness, *, capacity: int = 1, day: int = 4, hour: int = 10) -> Session:
    """A one-hour "Algebra" slot of the tutor on March ``day`` at ``hour`` UTC."""
    return h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=datetime(2026, 3, day, hour, tzinfo=UTC),
        end=datetime(2026, 3, day, hour + 1, tzinfo=UTC),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=capacity,
        title="Algebra",
    )


def booking_events(h: Harness) -> list[BookingStatusChanged]:
    """The booking events published so far, in order."""
    return [e for e in h.events.events if isinstance(e, BookingStatusChanged)]


def statuses(h: Harness, session_id: str) -> dict[str, str]:
    """Each participant's booking status in the session."""
    return {str(b.participant): b.status for b in h.kit.bookings.for_session(T, session_id)}


def kit_slot(kit: SessionKit, hour: int) -> str:
    """A tutor's LMS slot of 3 seats on Wednesday 4 March at ``hour``; its id."""
    return kit.sessions.create_extra(
        T,
        actor="tina",
        start=datetime(2026, 3, 4, hour, tzinfo=UTC),
        end=datetime(2026, 3, 4, hour + 1, tzinfo=UTC),
        resources=[TUTOR],
        lifecycle="lms",
        capacity=3,
    ).id


def forget(kit: SessionKit, session_id: str, field: str, value: str) -> None:
    """Store the session with its ``field`` (lifecycle or status) set to ``value``, as a kit
    that knew it did: one of a lifecycle or status renamed or removed since."""
    with kit.context.transaction(NOW) as tx:
        old = tx.sessions.get(T, session_id)
        gone = (
            attrs.evolve(old, lifecycle=value)
            if field == "lifecycle"
            else attrs.evolve(old, status=value)
        )
        tx.sessions.update(gone, expected_version=old.version)
