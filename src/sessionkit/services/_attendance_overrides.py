"""The teacher's word: override a participant's attendance, or clear the override.

Private to the services. :class:`OverrideCommands` is the ``override`` and
``clear_override`` of :class:`~sessionkit.services.attendance.AttendanceCommands`.
An override is stored apart from presence, which stays visible, and always
wins when attendance is derived.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from sessionkit.errors import (
    ActionRefused,
    InvalidValue,
    UnknownLifecycle,
    UnknownStatus,
)
from sessionkit.errors._base import plain_int, shown
from sessionkit.model.attendance import (
    ABSENT,
    Attendance,
    AttendanceOverride,
    derive_attendance,
    held_span,
    override_id,
)
from sessionkit.model.booking import participant_ref
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_actor, check_id, check_tenant, check_text
from sessionkit.ports import ATTENDANCE_OVERRIDES
from sessionkit.services._attendance_policy import WRITE_ATTEMPTS, AttendancePolicy
from sessionkit.services._context import Context
from sessionkit.services._presence import override_repository, presence_repository
from sessionkit.services._presence_recording import start_on_join
from sessionkit.services._presence_seal import seal_instant

__all__ = ["OverrideCommands"]


def _decider(actor: object, why: str) -> str:
    """Return ``actor``, who decided a teacher's report, if given; else ``InvalidValue``.

    ``why`` says what records it. Checked as any actor (``check_actor``) besides.
    """
    if actor is None or actor == "":
        raise InvalidValue(
            f"{why}: actor is required, got {shown(actor)}",
            value=actor,
            expected="the deciding user's id",
        )
    checked = check_actor(actor)
    assert checked is not None  # None was refused just above
    return checked


class OverrideCommands:
    """The overrides of :class:`~sessionkit.services.attendance.AttendanceCommands`."""

    _ctx: Context
    policy: AttendancePolicy

    def override(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        status: str,
        actor: str | None,
        minutes: int | None = None,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Attendance:
        """Record the teacher's report for ``participant``; return their attendance with it.

        Replaces an earlier override of the same participant; presence is kept
        apart and stays visible. ``status`` is one of
        :data:`~sessionkit.model.attendance.ATTENDANCE_STATUSES`; ``actor``,
        who decided it, is required (it is recorded as ``decided_by``);
        ``minutes``, if given, lie in 0 up to the session's length in whole
        minutes (the span it was held, once it ended early). A status but
        ``absent`` before the start, while the join transition still lies
        ahead, raises ``ActionRefused`` (rule
        ``"not_started"``, ``allows_at`` the start); one of a session that
        ended before its start (cancelled before it: not held) raises it
        whenever it comes (rule ``"not_held"``, ``allows_at`` ``None``). Raises
        ``SessionNotFound``,
        ``InvalidValue`` (naming the value) and ``WrongType`` (``minutes`` not
        an int: a bool, a float, text); nothing is written then.
        Racing overrides of one participant: the last to commit wins, none
        fails. A database's refusal (``TransientConflict``) runs it again as
        any command's does (``attempts``), and not at all in a unit joined to
        the host's transaction.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        _decider(actor, "an attendance override records who decided it")
        check_text(reason, "reason", limit=2000, optional=True)
        who = participant_ref(participant)
        # A racing (first) override of ``who`` was stored: replace it.
        return self._ctx.retrying_races(
            lambda: self._override(tenant, session_id, who, status, actor, minutes, reason, now),
            WRITE_ATTEMPTS,
            duplicate=ATTENDANCE_OVERRIDES.name,
        )

    def _override(
        self,
        tenant: str,
        session_id: str,
        who: ResourceRef,
        status: str,
        actor: str | None,
        minutes: int | None,
        reason: str | None,
        now: datetime | None,
    ) -> Attendance:
        with self._ctx.transaction(now) as tx:
            session = tx.sessions.get(tenant, session_id)
            held = held_span(session)  # ended early: its start to when it ended
            most = held.duration // timedelta(minutes=1)
            minutes = plain_int(minutes)
            if isinstance(minutes, int) and not 0 <= minutes <= most:  # other types: the record
                lasts = (
                    f"lasts {most} whole minutes"
                    if held == session.span
                    else f"was held {most} whole minutes, to {held.end.isoformat()}"
                )
                raise InvalidValue(
                    f"minutes must be 0..{most} (session {shown(session_id)} {lasts}), "
                    f"got {shown(minutes)}",
                    value=minutes,
                    expected=f"0..{most}",
                )
            repo = override_repository(tx.uow)
            record = AttendanceOverride(
                id=override_id(session_id, who),
                tenant=tenant,
                session_id=session_id,
                participant=who,
                status=status,
                minutes=minutes,
                reason=reason,
                decided_by=actor,
                decided_at=tx.now,
            )
            ended = None if record.status == ABSENT else self._ended_before_start(session)
            if ended is not None:
                # Not held, so nobody was there, as its sealed presence says; a word that
                # someone was counted their minutes in the analytics.
                raise ActionRefused(
                    "not_held",
                    f"session {shown(session_id)} ended before its start ({session.status} at "
                    f"{ended.isoformat()}): it was not held, so {who} was not there "
                    f"({record.status})",
                )
            if record.status != ABSENT and tx.now < session.start and self._awaits_join(session):
                # Nothing would move the session on at its start: READY would hold for good,
                # its ABSENT timer blocked by the word that someone came.
                raise ActionRefused(
                    "not_started",
                    f"session {shown(session_id)} has not started: that {who} was there "
                    f"({record.status}) is reported from its start on",
                    allows_at=session.start,
                )
            found = repo.get_many(tenant, [record.id])
            if found:
                stored = repo.update(
                    attrs.evolve(record, version=found[0].version),
                    expected_version=found[0].version,
                )
            else:
                repo.add(record)
                stored = record
            presence = presence_repository(tx.uow).for_sessions(tenant, [session_id])
            attendance = derive_attendance(
                presence,
                span=held,
                session_id=session_id,
                participant=who,
                thresholds=self.policy.thresholds,
                override=stored,
            )
            if attendance.attended_effectively and tx.now >= session.start:
                # The teacher's word that someone was there moves a session on as a
                # first join does (READY -> ONGOING, then the clock completes it):
                # with no join heard (the provider missed it) it stayed READY for good.
                start_on_join(self._ctx, self.policy, tx, [session], actor=actor)
            return attendance

    def _ended_before_start(self, session: Session) -> datetime | None:
        """When ``session`` ended, if it did at or before its start (cancelled before it).

        ``None`` while it has not ended, once it ended after its start, and
        for a lifecycle or status the kit does not know (read by the clock).
        """
        try:
            ended = seal_instant(self._ctx.lifecycle(session.lifecycle), session)
        except (UnknownLifecycle, UnknownStatus):
            return None
        return ended if ended is not None and ended <= session.start else None

    def _awaits_join(self, session: Session) -> bool:
        """Whether the join transition still lies ahead of ``session`` (it has not started).

        From its status or one its transitions lead to. A lesson a join already
        started (early) is past it; with no join transition nothing starts on
        a report either way.
        """
        name = self.policy.join_transition
        if name is None:
            return False
        machine = self._ctx.lifecycle(session.lifecycle)
        return any(
            transition.name == name
            for status in machine.reachable_from(session.status)
            for transition in machine.transitions_from(status)
        )

    def clear_override(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        actor: str | None,
        now: datetime | None = None,
    ) -> bool:
        """Remove the teacher's report for ``participant``; return whether there was one.

        ``actor``, who decided it, is required, as for :meth:`override`
        (``InvalidValue`` for ``None`` or ``""``; nothing is removed then).
        Raises ``SessionNotFound`` for a session the tenant does not have.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        _decider(actor, "clearing an attendance override records who decided it")
        who = participant_ref(participant)
        with self._ctx.transaction(now) as tx:
            repo = override_repository(tx.uow)
            found = repo.get_many(tenant, [override_id(session_id, who)])
            if not found:
                tx.sessions.get(tenant, session_id)  # SessionNotFound for an unknown session
                return False
            repo.delete(tenant, found[0].id, expected_version=found[0].version)
            return True
