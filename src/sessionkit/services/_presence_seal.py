"""Sealing a session's presence when it ends: nothing heard after the end counts.

Private to the services. A session ends when it enters a terminal status
(completed, cancelled, a no-show); its presence is then sealed at the end
instant, :func:`seal_instant`: when it entered that status (its own field
``sealed_at``, written with the change by :func:`mark_ended`), at most its
scheduled end; after a correction between terminal statuses kept it, its
field ``sealed_by`` names the status that wrote it (:func:`mark_ended`).
Two things keep the seal, so that every reading of presence
(``kit.attendance``, the facts, the analytics' SQL) counts the same stays:

- a session that ends before its scheduled end closes, in the same unit of
  work, every stay still open then, with a LEAVE at the end instant
  (:func:`close_open_stays`; provider ``"sessionkit"``), so an open stay no
  longer runs to the scheduled end;
- ``record_presence`` stores no event of an ended session later than the end
  instant (the report's ``sealed``), and closes a stay one of its late-heard
  joins opened before the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

import attrs

from sessionkit.errors import UnknownStatus
from sessionkit.lifecycle import Lifecycle
from sessionkit.model.attendance import (
    JOIN,
    LEAVE,
    SEALED_BY_FIELD,
    SEALED_FIELD,
    Presence,
    connections_of,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import PRESENCE, PresenceRepository
from sessionkit.services._context import Tx

__all__ = [
    "SEAL_PROVIDER",
    "close_open_stays",
    "ends_early",
    "mark_ended",
    "seal_ended",
    "seal_instant",
]

SEAL_PROVIDER = "sessionkit"
"""The provider of the LEAVE events a seal writes (their ids are ``sessionkit:seal-...``)."""


def seal_instant(machine: Lifecycle, session: Session) -> datetime | None:
    """Return the instant ``session``'s presence is sealed at, or ``None`` while it has not ended.

    When it entered its terminal status (its own field ``sealed_at``, which
    sessionkit writes with that change; for a session ended before there
    was one, its last change), at most its scheduled end.
    """
    if not machine.status(session.status).terminal:
        return None
    ended = _sealed_at(session)
    return None if ended is None else min(session.span.end, ended)


def _sealed_at(session: Session) -> datetime | None:
    written = session.metadata.get(SEALED_FIELD)
    if isinstance(written, str):
        try:
            found = datetime.fromisoformat(written)
        except ValueError:
            found = None
        if found is not None and found.tzinfo is not None:
            return found.astimezone(UTC)
    return session.updated_at


def mark_ended(machine: Lifecycle, before: Session, changed: Session, at: datetime) -> Session:
    """Return ``changed`` with ``sealed_at`` set to ``at`` if it enters a terminal status.

    Entering one from a status that is not; ``sealed_at`` is cleared when it
    leaves the terminal ones. A correction from one terminal status to
    another keeps when the session ended (it relabels the end, it does not
    move it), and ``sealed_by`` names the status that ended it while the
    session is in another; unless that status says nobody was there while it
    was held (:func:`_nobody_held`): then the session went on after all, and
    is sealed at ``at`` (never sooner than it had ended). So COMPLETED at
    17:30, corrected to ABSENT and back, still ended at 17:30.
    ``at`` is when the change fell due (a late tick's step keeps its own
    instant), as its event says.
    """
    was, now = machine.status(before.status).terminal, machine.status(changed.status).terminal
    kept = {k: v for k, v in changed.metadata.items() if k not in (SEALED_FIELD, SEALED_BY_FIELD)}
    if now and (not was or before.status != changed.status):
        earlier = _sealed_at(before) if was else None
        writer = changed.status
        if earlier is not None and not _nobody_held(machine, before, earlier):
            at, writer = earlier, _sealer(machine, before)  # held until then all the same
        elif earlier is not None and earlier > at:
            at = earlier  # a correction never ends the session sooner than it had ended
        kept[SEALED_FIELD] = at.isoformat()
        if writer != changed.status:
            kept[SEALED_BY_FIELD] = writer
        return attrs.evolve(changed, metadata=kept)
    if was and not now and len(kept) != len(changed.metadata):  # out of play: no seal
        return attrs.evolve(changed, metadata=kept)
    return changed


def _sealer(machine: Lifecycle, session: Session) -> str:
    """The status that wrote ``session``'s seal: its ``sealed_by``, else its own status.

    A ``sealed_by`` its lifecycle no longer has is read as its own status.
    """
    named = session.metadata.get(SEALED_BY_FIELD)
    if isinstance(named, str):
        try:
            return machine.status(named).name
        except UnknownStatus:
            pass
    return session.status


def _nobody_held(machine: Lifecycle, session: Session, ended: datetime) -> bool:
    """Whether ``session``'s seal, at ``ended``, says nobody was there.

    One written by a no-show status (ABSENT, MISSED, NO_SHOW; not one such a
    status kept from a correction: :func:`_sealer`), or one at or before its
    start (cancelled before it: never held).
    """
    return machine.status(_sealer(machine, session)).no_show or ended <= session.start


_SEAL_PREFIX = f"{SEAL_PROVIDER}:seal-"


def _seal_id(session_id: str, participant: ResourceRef, at: datetime, n: int = 0) -> str:
    text = f"{session_id}\x00{participant}\x00{at.isoformat()}" + (f"\x00{n}" if n else "")
    return _SEAL_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:40]


def close_open_stays(
    repo: PresenceRepository, session: Session, at: datetime, records: Iterable[Presence]
) -> int:
    """Store the LEAVEs that end every stay among ``records`` at ``at``; return how many.

    ``records`` are the session's stored presence events. Every connection
    open at ``at`` (a participant on two devices has two) gets a LEAVE
    there; the JOINs later than ``at`` (stored while the session was in
    play, before a late tick sealed it as of when its step fell due) get a
    LEAVE each at their own instant, which undoes them, as a join and a
    leave at one instant do.
    """
    stored = list(records)
    known = {r.id for r in stored}
    by_participant: dict[ResourceRef, list[Presence]] = {}
    for record in stored:
        by_participant.setdefault(record.participant, []).append(record)
    leaves: list[Presence] = []
    for participant in sorted(by_participant, key=str):
        theirs = by_participant[participant]
        walk = connections_of([r for r in theirs if r.at <= at])
        wanted = {at: walk[-1][1]} if walk else {}
        for record in theirs:  # each instant after ``at``: as many leaves as it has more joins
            if record.at > at:
                step = 1 if record.action == JOIN else -1
                wanted[record.at] = wanted.get(record.at, 0) + step
        for instant, count in wanted.items():
            n = 0
            while count > 0:
                record_id = _seal_id(session.id, participant, instant, n)
                n += 1
                if record_id in known:
                    continue
                known.add(record_id)
                count -= 1
                leaves.append(
                    Presence(
                        id=record_id,
                        tenant=session.tenant,
                        session_id=session.id,
                        participant=participant,
                        action=LEAVE,
                        at=instant,
                        received_at=at,
                    )
                )
    repo.add_many(leaves)
    return len(leaves)


def ends_early(session: Session, at: datetime) -> bool:
    """Whether a seal of ``session`` at ``at`` cuts it short (before its scheduled end).

    Only then does closing its open stays change anything: a stay open at
    the scheduled end is bounded by it already. A seal before the start (a
    cancel) closes a stay opened early, which would otherwise run through
    the whole span.
    """
    return at < session.end


def seal_ended(tx: Tx, machine: Lifecycle, before: Session, stored: Session) -> None:
    """Keep ``stored``'s presence sealed where this change put its end.

    A session that now ends before its scheduled end gets its open stays
    closed at that instant. One whose seal moved or went (corrected out of a
    no-show into another terminal status later, or back into play) first
    loses the LEAVEs an earlier seal wrote, so the stays run on as presence
    says; a seal :func:`mark_ended` kept keeps them.
    """
    old, new = seal_instant(machine, before), seal_instant(machine, stored)
    if old == new or (old is None and (new is None or not ends_early(stored, new))):
        return
    repo = tx.repository_or_none(PRESENCE)
    if repo is None:
        return
    records = repo.for_sessions(stored.tenant, [stored.id])
    if old is not None:
        sealed = [r for r in records if r.id.startswith(_SEAL_PREFIX)]
        for record in sealed:
            repo.delete(record.tenant, record.id, expected_version=record.version)
        records = [r for r in records if not r.id.startswith(_SEAL_PREFIX)]
    if new is not None and ends_early(stored, new):
        close_open_stays(repo, stored, new, records)
