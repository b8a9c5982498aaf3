"""Sealing a session's presence when it ends: nothing heard after the end counts.

Private to the services. A session ends when it enters a terminal status
(completed, cancelled, a no-show); its presence is then sealed at the end
instant, :func:`seal_instant`: the moment of its last change, at most its
scheduled end. Two things keep the seal, so that every reading of presence
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
from datetime import datetime

from sessionkit.lifecycle import Lifecycle
from sessionkit.model.attendance import LEAVE, Presence, intervals_of
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import PRESENCE, PresenceRepository
from sessionkit.services._context import Tx

__all__ = ["SEAL_PROVIDER", "close_open_stays", "seal_ended", "seal_instant"]

SEAL_PROVIDER = "sessionkit"
"""The provider of the LEAVE events a seal writes (their ids are ``sessionkit:seal-...``)."""


def seal_instant(machine: Lifecycle, session: Session) -> datetime | None:
    """Return the instant ``session``'s presence is sealed at, or ``None`` while it has not ended.

    Its last change (the one into its terminal status, unless it was changed
    since), at most its scheduled end.
    """
    if not machine.status(session.status).terminal or session.updated_at is None:
        return None
    return min(session.span.end, session.updated_at)


def _seal_id(session_id: str, participant: ResourceRef, at: datetime) -> str:
    text = f"{session_id}\x00{participant}\x00{at.isoformat()}"
    return f"{SEAL_PROVIDER}:seal-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def close_open_stays(
    repo: PresenceRepository, session: Session, at: datetime, records: Iterable[Presence]
) -> int:
    """Store a LEAVE at ``at`` for each stay among ``records`` still open then; return how many.

    ``records`` are the session's stored presence events. Only a seal before
    the scheduled end writes anything: after it, the span's end already
    bounds every open stay.
    """
    if not session.start < at < session.end:
        return 0
    stored = list(records)
    known = {r.id for r in stored}
    by_participant: dict[ResourceRef, list[Presence]] = {}
    for record in stored:
        by_participant.setdefault(record.participant, []).append(record)
    leaves = []
    for participant in sorted(by_participant, key=str):
        stays = intervals_of(r for r in by_participant[participant] if r.at <= at)
        record_id = _seal_id(session.id, participant, at)
        if stays and stays[-1].left is None and stays[-1].joined < at and record_id not in known:
            leaves.append(
                Presence(
                    id=record_id,
                    tenant=session.tenant,
                    session_id=session.id,
                    participant=participant,
                    action=LEAVE,
                    at=at,
                    received_at=at,
                )
            )
    repo.add_many(leaves)
    return len(leaves)


def seal_ended(tx: Tx, machine: Lifecycle, before: Session, stored: Session) -> None:
    """Close the open stays of ``stored`` if this change ended it before its scheduled end."""
    if machine.status(before.status).terminal or not machine.status(stored.status).terminal:
        return
    at = tx.now
    if not stored.start < at < stored.end:
        return
    repo = tx.repository_or_none(PRESENCE)
    if repo is None:
        return
    close_open_stays(repo, stored, at, repo.for_sessions(stored.tenant, [stored.id]))
