"""The booking repository's reads: a session's bookings, seats, a participant's agenda, listings.

:class:`SqlBookingReads` is the read half of
:class:`~._bookings.SqlAlchemyBookingRepository`, which adds the locks and the
checked writes. Every read is one statement built once per shape
(:mod:`~._booking_queries`), plus, for ``seating``, a second one only when
there are bookings to act on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sessionkit.adapters.sqlalchemy import _booking_queries as sql
from sessionkit.adapters.sqlalchemy import _direct as direct
from sessionkit.adapters.sqlalchemy._booking_statements import bind, shape
from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.model.booking import WAITLISTED, BookableSession, Booking, Seating, SessionOrder
from sessionkit.model.session import ResourceRef
from sessionkit.timespan import TimeSpan

__all__ = ["SqlBookingReads"]


class SqlBookingReads(SqlRepository[Booking]):
    """The reads of :class:`~sessionkit.ports.BookingRepository` over ``sessionkit_bookings``."""

    def for_session(
        self,
        tenant: str,
        session_id: str,
        *,
        statuses: Iterable[str] | None = None,
        after: SessionOrder | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``, if given) by position, creation, id.

        Continued after ``after`` and cut to ``limit`` by the database.
        """
        params: dict[str, Any] = {"tenant": tenant, "session_id": session_id}
        numbered = None
        if statuses is not None:
            wanted = sorted(set(statuses))
            if not wanted:
                return []
            params.update((f"st{n}", status) for n, status in enumerate(wanted))
            numbered = len(wanted)
        placed = None
        if after is not None:
            position, params["after_created"], params["after_id"] = after
            placed = position is not None
            params["after_position"] = position
        if limit is not None:
            params["limit"] = limit
        return self._rows(sql.of_session(numbered, placed, limit is not None), params)

    def for_sessions(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, list[Booking]]:
        """Return the bookings (in ``statuses``) of those sessions, by session id, in order.

        One statement per :data:`~._query.CHUNK` sessions.
        """
        wanted = sorted(set(session_ids))
        chosen = None if statuses is None else sorted(set(statuses))
        found: dict[str, list[Booking]] = {}
        if chosen == []:
            return found
        for chunk in chunks(wanted):
            params = bind({"tenant": tenant}, "s", chunk)
            if chosen is not None:
                params.update((f"st{n}", status) for n, status in enumerate(chosen))
            statement = sql.of_sessions(shape(chunk), None if chosen is None else len(chosen))
            for booking in self._rows(statement, params):
                found.setdefault(booking.session_id, []).append(booking)
        return found

    def seats_taken(
        self, tenant: str, session_ids: Iterable[str], *, at: datetime
    ) -> dict[str, int]:
        """Return the seats taken at ``at`` per session id (sessions with none are left out)."""
        wanted = list(dict.fromkeys(session_ids))
        found: dict[str, int] = {}
        connection = self._unit.db().connection()
        for chunk in chunks(sorted(wanted)):
            params = bind({"tenant": tenant, "at": at}, "s", chunk)
            rows = connection.execute(sql.grouped_seats(shape(chunk)), params)
            # int(): MySQL sums integers as DECIMAL.
            found.update((i, int(n)) for i, n in rows if n)
        return {i: found[i] for i in wanted if i in found}

    def seating(
        self, tenant: str, session_id: str, *, at: datetime, participant: ResourceRef | None = None
    ) -> Seating:
        """Return the seats taken at ``at`` and the run-out, waiting and participant's bookings.

        One statement (:func:`~._booking_queries.seating`) sums the seats and
        names the bookings to act on; a second reads those, when there are any.
        A booking command settling a session so reads none of the bookings it
        leaves alone.
        """
        params: dict[str, Any] = {"tenant": tenant, "session_id": session_id, "at": at}
        if participant is not None:
            params.update(kind=participant.kind, ident=participant.id)
        statement = sql.seating(participant is not None)
        rows = self._unit.core().execute(statement, params).all()
        taken = int(rows[0][0]) if rows else 0  # int(): MySQL sums integers as DECIMAL
        ids = [booking_id for _, booking_id in rows if booking_id is not None]
        if not ids:
            return Seating(taken=taken)
        found = self._fetch(self._unit.db(), tenant, ids)
        lapsed: list[Booking] = []
        waiting: list[Booking] = []
        mine: list[Booking] = []
        for booking in (found[i] for i in ids if i in found):
            # Judged on the rows as read now (a booking leaving play does not wait for
            # the session's lock), by the rules the first statement applied.
            if not booking.active:
                continue
            if booking.expired_at(at):
                lapsed.append(booking)
                continue
            if booking.participant == participant:
                mine.append(booking)
            if booking.status == WAITLISTED:
                waiting.append(booking)
        return Seating(taken=taken, lapsed=tuple(lapsed), waiting=tuple(waiting), mine=tuple(mine))

    def counts(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Return how many bookings (in ``statuses``, if given) each session has.

        A session with none is left out of the mapping (read a missing id as 0).
        """
        wanted = list(dict.fromkeys(session_ids))
        chosen = None if statuses is None else sorted(set(statuses))
        if chosen == []:
            return {}
        found: dict[str, int] = {}
        connection = self._unit.db().connection()
        for chunk in chunks(wanted):
            params = bind({"tenant": tenant}, "s", chunk)
            if chosen is not None:
                params.update((f"st{n}", status) for n, status in enumerate(chosen))
            statement = sql.counted(shape(chunk), None if chosen is None else len(chosen))
            found.update((i, int(n)) for i, n in connection.execute(statement, params))
        return {i: found[i] for i in wanted if i in found}

    def bookable(
        self,
        tenant: str,
        *,
        window: TimeSpan,
        at: datetime,
        seats: int = 1,
        resource: ResourceRef | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        closed: Collection[tuple[str, str]] = (),
        known: Collection[tuple[str, str]] | None = None,
    ) -> list[BookableSession]:
        """Return busy sessions in ``window`` starting after ``at`` with ``seats`` free, by start.

        One statement (:func:`~._booking_queries.bookable`): the database
        sums the seats taken and owed to the waitlist, leaves out the full
        sessions and sends seven columns per session.
        """
        params: dict[str, Any] = {
            "tenant": tenant,
            "start": window.start,
            "end": window.end,
            "at": at,
            "seats": seats,
        }
        if resource is not None:
            params["resource"] = str(resource)
        if after is not None:
            params.update(after_start=after[0], after_id=after[1])
        if limit is not None:
            if limit <= 0:
                return []
            params["limit"] = limit
        shut = sorted(set(closed))
        for n, (lifecycle, status) in enumerate(shut):
            params[f"closed_{n}_l"], params[f"closed_{n}_s"] = lifecycle, status
        kept: dict[str, list[str]] = {}
        for lifecycle, status in sorted(set(known or ())):
            kept.setdefault(lifecycle, []).append(status)
        if known is not None and not kept:
            return []
        for n, (lifecycle, statuses) in enumerate(kept.items()):
            params[f"known_{n}"] = lifecycle
            params.update((f"known_{n}_{m}", status) for m, status in enumerate(statuses))
        statement = sql.bookable(
            resource is not None,
            after is not None,
            limit is not None,
            len(shut),
            None if known is None else tuple(map(len, kept.values())),
        )
        connection = self._unit.core()
        with self._unit.backend.planned_per_call(connection):
            # Fetched at once, not row by row (the driver's fetchall is a C loop), on
            # the driver's cursor: a listing's rows cost more through Core than the
            # statement's planning.
            rows: Sequence[Any] = direct.rows(connection, statement, params)
        if self._unit.backend.name == "mysql":  # it sums integers as DECIMAL
            rows = [(i, t, s, e, c, int(n), int(o)) for i, t, s, e, c, n, o in rows]
        return BookableSession.unchecked_many(rows)

    def by_key(self, tenant: str, idempotency_key: str) -> Booking | None:
        """Return the booking made with ``idempotency_key``, or ``None``."""
        found = self._rows(sql.BY_KEY, {"tenant": tenant, "key": idempotency_key})
        return found[0] if found else None

    def for_participant(
        self,
        tenant: str,
        participant: ResourceRef,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the participant's bookings of sessions starting in ``window``, by start then id.

        One range of the agenda index; ``after`` (a ``(session_start, id)``
        keyset cursor) and ``limit`` are applied by the database.
        """
        params: dict[str, Any] = {"kind": participant.kind, "ident": participant.id}
        return self._by_start(sql.of_participant, tenant, params, window, statuses, after, limit)

    def for_tenant(
        self,
        tenant: str,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the tenant's bookings of sessions starting in ``window``, by start then id.

        One range of the tenant's start index (``TENANT_START_INDEX``); ``after``
        and ``limit`` are applied by the database, as for :meth:`for_participant`.
        """
        return self._by_start(sql.of_tenant, tenant, {}, window, statuses, after, limit)

    def _by_start(
        self,
        statement_of: Callable[[int | None, bool, bool, bool], Any],
        tenant: str,
        params: dict[str, Any],
        window: TimeSpan | None,
        statuses: Iterable[str] | None,
        after: tuple[datetime, str] | None,
        limit: int | None,
    ) -> list[Booking]:
        """Run a by-start read (:func:`~._booking_queries.of_participant`, ``of_tenant``)."""
        params["tenant"] = tenant
        wanted = None
        if statuses is not None:
            wanted = sorted(set(statuses))
            if not wanted:
                return []
            params.update((f"st{n}", status) for n, status in enumerate(wanted))
        if window is not None:
            params.update(start=window.start, end=window.end)
        if after is not None:
            params.update(after_start=after[0], after_id=after[1])
        if limit is not None:
            if limit <= 0:
                return []
            params["limit"] = limit
        statement = statement_of(
            None if wanted is None else len(wanted),
            window is not None,
            after is not None,
            limit is not None,
        )
        return self._rows(statement, params)

    def expiring(self, tenant: str | None, *, before: datetime, limit: int) -> list[Booking]:
        """Return the bookings that ran out by ``before`` (``Booking.runs_out_at``), earliest first.

        ``tenant=None`` reads every tenant's (a system job); ties go by tenant, then id.
        """
        if limit <= 0:
            return []
        params: dict[str, Any] = {"before": before, "limit": limit}
        if tenant is not None:
            params["tenant"] = tenant
        return self._rows(sql.expiring(tenant is not None), params)

    def next_position(self, tenant: str, session_id: str) -> int:
        """Return the waitlist position after the session's last one (1 for the first)."""
        params = {"tenant": tenant, "session_id": session_id}
        last = self._unit.db().connection().execute(sql.LAST_POSITION, params).scalar()
        return (last or 0) + 1

    def _rows(self, statement: Any, params: dict[str, Any] | None = None) -> list[Booking]:
        rows = self._unit.db().connection().execute(statement, params).mappings()
        make = self.sql.from_row
        return [make(row) for row in rows]
