"""Closing the stays open when a session ends early or moves: the LEAVEs a seal writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model.attendance import JOIN, LEAVE, Presence, intervals_of
from sessionkit.model.session import ResourceRef, Session
from sessionkit.services._presence_seal import SEAL_PROVIDER, close_open_stays
from sessionkit.timespan import TimeSpan

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
MIN = timedelta(minutes=1)
SESSION = Session(
    id="s1",
    tenant="acme",
    title="Maths",
    span=TimeSpan(START, START + timedelta(hours=1)),
    tz="UTC",
    status="IN_PROGRESS",
    lifecycle="marketplace",
    busy=True,
    created_at=START - timedelta(days=1),
)
ANA = ResourceRef("student", "ana")


class Kept:
    """A presence repository's ``add_many``, keeping what it was given."""

    def __init__(self) -> None:
        self.added: list[Presence] = []

    def add_many(self, records: Sequence[Presence]) -> None:
        self.added.extend(records)


def event(n: int, action: str, minutes: float, who: ResourceRef = ANA) -> Presence:
    at = START + timedelta(minutes=minutes)
    return Presence(
        id=f"meet:e{n}",
        tenant="acme",
        session_id="s1",
        participant=who,
        action=action,
        at=at,
        received_at=at,
    )


@pytest.mark.parametrize(
    ("records", "stays"),
    [
        # An open stay ends at the seal.
        ([event(1, JOIN, 0)], [(0, 30)]),
        # A closed one is left alone; so is nobody's.
        ([event(1, JOIN, 0), event(2, LEAVE, 10)], [(0, 10)]),
        ([], []),
        # A stay that began at the seal's very instant is undone (it counts nothing).
        ([event(1, JOIN, 30)], []),
        # A reconnect at the seal's instant: the stay from before still ends there.
        ([event(1, JOIN, 0), event(2, LEAVE, 30), event(3, JOIN, 30)], [(0, 30)]),
        # On two devices (a phone and a laptop): both end at the seal, one leave each.
        ([event(1, JOIN, 0), event(2, JOIN, 10)], [(0, 30)]),
        ([event(1, JOIN, 0), event(2, JOIN, 10), event(3, LEAVE, 20)], [(0, 30)]),
        ([event(1, JOIN, 20), event(2, JOIN, 30), event(3, JOIN, 40)], [(20, 30)]),
        # A stay begun after the seal (stored before a late tick sealed the session as of
        # when its step fell due) is undone, open or closed.
        ([event(1, JOIN, 40)], []),
        ([event(1, JOIN, 40), event(2, LEAVE, 50)], []),
        ([event(1, JOIN, 20), event(2, LEAVE, 50), event(3, JOIN, 55)], [(20, 30)]),
    ],
)
def test_a_seal_closes_each_stay_open_at_its_instant(
    records: list[Presence], stays: list[tuple[int, int | None]]
) -> None:
    repo = Kept()
    at = START + timedelta(minutes=30)
    close_open_stays(repo, SESSION, at, records)  # type: ignore[arg-type]  # add_many only
    found = intervals_of([*records, *repo.added])
    expected = [
        (START + joined * MIN, None if left is None else START + left * MIN)
        for joined, left in stays
    ]
    assert [(s.joined, s.left) for s in found] == expected
    assert all(r.id.startswith(f"{SEAL_PROVIDER}:seal-") for r in repo.added)
    again = Kept()
    close_open_stays(again, SESSION, at, [*records, *repo.added])  # type: ignore[arg-type]
    assert again.added == []  # sealed once
