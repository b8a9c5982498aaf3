"""Session codes: each new session numbered off its counter, in the unit that inserts it.

Private to the services package (import from :mod:`sessionkit.services._usage`).
:func:`assign_codes` numbers new sessions when the kit has
:class:`~sessionkit.model.usage.SessionCodes`; a code two sessions would share
is refused as misconfigured codes (:func:`_code_clash`).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sessionkit.errors import DuplicateUsage, InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.session import Session
from sessionkit.model.usage import CODE_FIELD, SessionCode, SessionCodes, code_counter
from sessionkit.ports import COUNTERS, SESSION_CODES
from sessionkit.services._context import Context, Tx

__all__ = ["assign_codes"]


def _codes_for(ctx: Context, session: Session) -> SessionCodes | None:
    codes = ctx.codes
    if codes is None or isinstance(codes, SessionCodes):
        return codes
    chosen = codes(session)
    if chosen is not None and not isinstance(chosen, SessionCodes):
        raise WrongType(
            chosen, name=f"codes(session {shown(session.id)})", expected="SessionCodes or None"
        )
    return chosen


def assign_codes(ctx: Context, tx: Tx, sessions: Sequence[Session]) -> list[Session]:
    """Give each new session its code (field ``session_code``); return them, in the same order.

    Numbers come from one bump per (tenant, counter), in start-then-id order,
    in the unit of work that inserts the sessions: they commit together or
    not at all, and writers of one counter queue on it. ``InvalidValue`` (see
    :func:`_code_clash`) when a code rendered is already another session's.
    """
    if ctx.codes is None or not sessions:
        return list(sessions)
    # By counter, not by template: sessions coded "IND-..." and "GRP-..." off one counter are
    # numbered together, in start order, as the counter's one bump promises.
    groups: dict[tuple[str, str], list[tuple[Session, SessionCodes]]] = {}
    for session in sessions:
        codes = _codes_for(ctx, session)
        if codes is not None:
            groups.setdefault((session.tenant, codes.counter), []).append((session, codes))
    coded: dict[str, Session] = {}
    records: list[SessionCode] = []
    for (tenant, name), group in groups.items():
        group.sort(key=lambda pair: (pair[0].start, pair[0].id))
        last = tx.repository(COUNTERS).bump(tenant, code_counter(name), len(group))
        assert last is not None  # no limit was given
        for number, (session, codes) in enumerate(group, start=last - len(group) + 1):
            code = codes.render(tenant=tenant, n=number, group=session.group)
            metadata = {**session.metadata, CODE_FIELD: code}
            coded[session.id] = attrs.evolve(session, metadata=metadata)
            records.append(
                SessionCode(
                    id=session.id, tenant=tenant, code=code, counter=codes.counter, number=number
                )
            )
    if records:
        _store_codes(tx, records)
    return [coded.get(s.id, s) for s in sessions]


def _store_codes(tx: Tx, records: Sequence[SessionCode]) -> None:
    """Add the code records; one a deleted session of the same id left is given the new code.

    A record's id is its session's, and a deleted session's record stays (its
    number is never issued again): a session created again under that id
    takes the record over instead of being refused as a duplicate code.
    """
    repo = tx.repository(SESSION_CODES)
    by_tenant: dict[str, list[SessionCode]] = {}
    for record in records:
        by_tenant.setdefault(record.tenant, []).append(record)
    for tenant, mine in by_tenant.items():
        left = {c.id: c for c in repo.get_many(tenant, [r.id for r in mine])}
        try:
            repo.add_many([r for r in mine if r.id not in left])
            for record in mine:
                old = left.get(record.id)
                if old is not None:
                    repo.update(
                        attrs.evolve(record, version=old.version), expected_version=old.version
                    )
        except DuplicateUsage as taken:
            held = taken.existing
            clashing = next((r for r in mine if r.id == taken.record_id), None)
            if taken.key != "code" or clashing is None or not isinstance(held, SessionCode):
                raise
            raise _code_clash(clashing, held) from taken


def _code_clash(record: SessionCode, held: SessionCode) -> InvalidValue:
    """The error for ``record``, whose code ``held`` (another session's) has: codes misconfigured.

    A counter's numbers are never issued twice, so two sessions rendering one
    code means two counters with the same template (a format cannot name its
    counter), a renamed counter starting again at 1, or templates that
    overlap. Refused every time, not retried: each attempt renders the code again.
    """
    if held.counter == record.counter:
        cause = (
            f"counter {record.counter!r} renders it for numbers {held.number} and "
            f"{record.number}; give each template of the counter its own prefix or format"
        )
    else:
        cause = (
            f"counters {held.counter!r} (number {held.number}) and {record.counter!r} "
            f"(number {record.number}) render the same codes; give each counter its own "
            "prefix or format"
        )
    return InvalidValue(
        f"session code {record.code!r} for session {record.id!r} already belongs to session "
        f"{held.id!r}: {cause}",
        value=record.code,
        expected="codes unique per tenant: each counter its own prefix or format",
    )
