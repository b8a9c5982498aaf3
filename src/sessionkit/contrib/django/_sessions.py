"""Sessions in Django: conflict checks on the resource rows, and the session reads and queries.

Sorting and keyset comparisons of text use the ``"C"`` collation on
PostgreSQL, so titles, statuses, groups and ids order by code point as
:mod:`sessionkit.model.query` requires (SQLite compares text by bytes already).
What a query's filters and sort keys become in SQL (``filtered``, the sort
expressions, the own-field conditions) is in ``_session_filters``, whose
functions the repository's class body takes as its methods.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connections
from django.db.models import F, Q, QuerySet, Subquery

from sessionkit.adapters._unseen_conflict import unseen_conflict
from sessionkit.contrib.django import _session_filters
from sessionkit.contrib.django._mapping import (
    occurrence_text,
    resource_rows,
    session_fields,
    session_from_record,
)
from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import (
    EXCLUSION_CONSTRAINT,
    SeriesRecord,
    SessionRecord,
    SessionResource,
)
from sessionkit.errors import SessionConflict, TransientConflict
from sessionkit.errors._base import shown
from sessionkit.model.query import Cursor, Page, SessionQuery, SortKey
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import SERIES
from sessionkit.timespan import TimeSpan

__all__ = ["DjangoSessionRepository"]


def _lock_key(tenant: str, resource: str) -> int:
    """The advisory lock key of one tenant's resource (64 bits of a hash)."""
    text = f"sessionkit.django\x1f{tenant}\x1f{resource}"
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class DjangoSessionRepository(DjangoRepository[Session, SessionRecord]):
    """The :class:`~sessionkit.ports.SessionRepository` of a Django unit of work.

    Beside the generic rules, ``add``/``add_many``/``update`` refuse a session
    of a missing series (``SeriesNotFound``) and a busy session overlapping
    another busy session on a shared resource (``SessionConflict``, blockers
    by start then id); on PostgreSQL the exclusion constraint refuses the
    second of two racing writers, explained as the same ``SessionConflict``.
    In a host's ``atomic()`` at ``REPEATABLE READ`` or ``SERIALIZABLE`` a
    blocker committed after the host's first read is refused by the
    constraint but hidden from every read: still a ``SessionConflict``, with
    empty ``conflicts``.
    """

    model = SessionRecord

    # ------------------------------------------------------------------ mapping

    def to_fields(self, record: Session) -> dict[str, Any]:
        """Return the :class:`SessionRecord` field values of ``record``."""
        return session_fields(record)

    def from_row(self, row: SessionRecord) -> Session:
        """Return the session a row holds."""
        return session_from_record(row)

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:
        """Return the lookups of ``occurrence`` or ``series_start``."""
        series_id, second = value
        if key == "occurrence":
            return {"series_ref": series_id, "occurrence_key": occurrence_text(second)}
        return {"series_ref": series_id, "start_at": second}

    def _by_start(self, rows: QuerySet[SessionRecord]) -> list[Session]:
        ordered = rows.order_by("start_at", self._exact("record_id").asc())
        return [self.from_row(row) for row in ordered]

    # ------------------------------------------------------------------ writes

    def check(self, record: Session, fields: dict[str, Any]) -> None:
        """Refuse a missing series or a busy overlap; set the series' foreign key in ``fields``."""
        fields["series_row_id"] = None
        if record.series_id is not None:
            parent = (
                SeriesRecord.objects.using(self.using)
                .filter(tenant=record.tenant, record_id=record.series_id)
                .values_list("pk", flat=True)
                .first()
            )
            if parent is None:
                raise self.kind.parents.get("series_id", SERIES).missing(
                    record.series_id, record.tenant
                )
            fields["series_row_id"] = parent
        if not (record.busy and record.resources):
            return
        self.lock_resources(record.tenant, record.resources)
        blockers = self.busy_overlapping(
            record.tenant, resources=record.resources, span=record.span, exclude_ids=[record.id]
        )
        if not blockers:
            return
        shared = sorted({str(r) for b in blockers for r in b.resources if r in record.resources})
        raise SessionConflict(
            f"session {shown(record.id)} ({record.span.isoformat()}) needs "
            f"{', '.join(shared)}, already busy with "
            + ", ".join(f"{shown(b.id)} ({b.span.isoformat()})" for b in blockers),
            session=record,
            conflicts=blockers,
        )

    def _explain(
        self, record: Session, error: IntegrityError, *, replacing: bool
    ) -> TransientConflict:
        """Raise the ``SessionConflict`` behind a refusal; else return a ``TransientConflict``.

        The exclusion constraint checks the rows committed by now, but a
        host's ``REPEATABLE READ`` or ``SERIALIZABLE`` transaction reads the
        snapshot of its first read: a session committed since refuses the
        write, and no read of the transaction loads it. A unit in the host's
        transaction cannot run again by itself, so it raises a
        ``SessionConflict`` with empty ``conflicts``, naming the session and
        resource PostgreSQL's DETAIL shows, as the SQLAlchemy store does. A
        unit of the store's own gets the retryable ``TransientConflict``: its
        next attempt is a new transaction, whose read names the blocker.
        """
        transient = super()._explain(record, error, replacing=replacing)
        if self._uow.joined:
            unseen = unseen_conflict(
                [record],
                error.__cause__,
                EXCLUSION_CONSTRAINT,
                advice="run your transaction.atomic() blocks in READ COMMITTED to have it named",
            )
            if unseen is not None:
                raise unseen from error
        return transient

    def lock_resources(self, tenant: str, resources: Iterable[ResourceRef]) -> None:
        """PostgreSQL: queue writers of busy sessions per resource until the transaction ends.

        Transaction advisory locks, taken in one order: the check then sees the
        previous writer's commit, and racing inserts never meet in the
        exclusion constraint's check, where they could deadlock each other
        (PostgreSQL would abort one with a deadlock error, not a conflict).
        The constraint still refuses writes made around sessionkit.
        """
        if self._uow.vendor != "postgresql":
            return  # SQLite: writers take the database's lock when they begin
        keys = sorted({_lock_key(tenant, str(ref)) for ref in resources})
        with connections[self.using].cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])

    def written(self, record: Session, row: SessionRecord, *, replaced: bool) -> None:
        """Write the session's resource rows (replacing the old ones on an update)."""
        resources = SessionResource.objects.using(self.using)
        if replaced:
            resources.filter(session_id=row.pk).delete()
        rows = resource_rows(record, row)
        if rows:
            resources.bulk_create(rows)

    # ------------------------------------------------------------------ reads

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        refs = sorted({str(ref) for ref in resources})
        if not refs:
            return []
        occupying = SessionResource.objects.using(self.using).filter(
            tenant=tenant,
            busy=True,
            resource__in=refs,
            start_at__lt=span.end,
            end_at__gt=span.start,
        )
        rows = self.rows(tenant).filter(pk__in=Subquery(occupying.values("session_id")))
        excluded = list(exclude_ids)
        if excluded:
            rows = rows.exclude(record_id__in=excluded)
        return self._by_start(rows)

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        rows = self.rows(tenant).filter(series_ref=series_id)
        if start_from is not None:
            rows = rows.filter(start_at__gte=start_from)
        return self._by_start(rows)

    def for_occurrences(
        self, tenant: str, series_id: str, keys: Iterable[datetime]
    ) -> dict[datetime, Session]:
        """Return the series' sessions for the given occurrence keys, by key (in the order asked)."""  # noqa: E501
        wanted: dict[str, datetime] = {}
        for key in keys:
            wanted.setdefault(occurrence_text(key) or "", key)
        if not wanted:
            return {}
        found: dict[str, Session] = {}
        texts = list(wanted)
        for start in range(0, len(texts), 500):
            rows = self.rows(tenant).filter(
                series_ref=series_id, occurrence_key__in=texts[start : start + 500]
            )
            for row in rows:
                assert row.occurrence_key is not None
                found[row.occurrence_key] = self.from_row(row)
        return {wanted[text]: found[text] for text in texts if text in found}

    def due(
        self,
        tenant: str,
        *,
        statuses: Iterable[str],
        start_before: datetime,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        lifecycles: Mapping[str, Collection[str]] | None = None,
    ) -> list[Session]:
        """Return sessions in ``statuses`` starting before ``start_before``, by start then id.

        ``after`` (a ``(start, id)``) and ``limit`` page through them, on the
        (tenant, status, start) index; ids compare by code point. ``lifecycles``
        keeps those in a status of their own lifecycle's.
        """
        wanted = _timed(statuses, lifecycles)
        if wanted is None:
            return []
        rows = self.rows(tenant).filter(wanted, start_at__lt=start_before)
        if after is not None:
            start, last_id = after
            rows = rows.annotate(sk_id=self._exact("record_id")).filter(
                Q(start_at__gt=start) | Q(start_at=start, sk_id__gt=last_id)
            )
        ordered = rows.order_by("start_at", self._exact("record_id").asc())
        if limit is not None:
            ordered = ordered[:limit]
        return [self.from_row(row) for row in ordered]

    def due_tenants(
        self,
        *,
        statuses: Iterable[str],
        start_before: datetime,
        lifecycles: Mapping[str, Collection[str]] | None = None,
    ) -> list[str]:
        """Return, sorted, the tenants with sessions in ``statuses`` starting before the bound."""
        wanted = _timed(statuses, lifecycles)
        if wanted is None:
            return []
        self._uow.require_open()
        tenants = (
            SessionRecord.objects.using(self.using)
            .filter(wanted, start_at__lt=start_before)
            .order_by()
            .values_list("tenant", flat=True)
            .distinct()
        )
        return sorted(tenants)  # by code point, whatever the column's collation

    # ------------------------------------------------------------------ queries

    _sort_expression = _session_filters._sort_expression
    _member = _session_filters._member
    _text_contains = _session_filters._text_contains
    _field_condition = _session_filters._field_condition
    filtered = _session_filters.filtered

    def _beyond(self, order: tuple[SortKey, ...], cursor: Cursor) -> Q:
        """Rows strictly after the cursor: the lexicographic OR-chain over the keys and the id."""
        keys: list[tuple[str, Any, bool]] = [
            (f"sk_key{n}", value, direction == "desc")
            for n, ((_field, direction), value) in enumerate(zip(order, cursor.values, strict=True))
        ]
        keys.append(("sk_id", cursor.id, order[-1][1] == "desc"))
        beyond = Q()
        for n, (name, value, descending) in enumerate(keys):
            branch = Q(**{name + ("__lt" if descending else "__gt"): value})
            for earlier, known, _ in keys[:n]:
                branch &= Q(**{earlier: known})
            beyond |= branch
        return beyond

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count.

        ``updated`` sorts a never-updated session by its creation time; ties
        break by id in the same direction as the sort.
        """
        rows = self.filtered(tenant, query)
        total = rows.count()
        order = query.ordering
        names = {f"sk_key{n}": self._sort_expression(field) for n, (field, _) in enumerate(order)}
        rows = rows.annotate(**names, sk_id=self._exact("record_id"))
        if query.after is not None:
            rows = rows.filter(self._beyond(order, Cursor.decode(query.after, order)))
        sorting = [
            F(f"sk_key{n}").desc() if direction == "desc" else F(f"sk_key{n}").asc()
            for n, (_field, direction) in enumerate(order)
        ]
        sorting.append(F("sk_id").desc() if order[-1][1] == "desc" else F("sk_id").asc())
        start = 0 if query.after is not None else query.offset
        found = [
            self.from_row(row) for row in rows.order_by(*sorting)[start : start + query.limit + 1]
        ]
        items = tuple(found[: query.limit])
        next_cursor = None
        if len(found) > query.limit:
            next_cursor = Cursor.after_row(order, items[-1]).encode()
        return Page(
            items=items, total=total, page=query.page, limit=query.limit, next_cursor=next_cursor
        )


def _timed(statuses: Iterable[str], lifecycles: Mapping[str, Collection[str]] | None) -> Q | None:
    """The condition on status (and lifecycle) of ``due``; ``None``: no session can match."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    if not wanted:
        return None
    if lifecycles is None:
        return Q(status__in=sorted(wanted))
    # A lifecycle the kit does not know: its sessions stay candidates, for the tick to report.
    condition = ~Q(lifecycle__in=sorted(lifecycles)) & Q(status__in=sorted(wanted))
    for name, timed in sorted(lifecycles.items()):
        if wanted & set(timed):
            condition |= Q(lifecycle=name, status__in=sorted(wanted & set(timed)))
    return condition


# The methods the class body took from _session_filters show as its own, and their hints
# (``self: DjangoSessionRepository``) resolve there.
for _name in ("_sort_expression", "_member", "_text_contains", "_field_condition", "filtered"):
    _method = vars(DjangoSessionRepository)[_name]
    _method.__module__, _method.__qualname__ = __name__, f"DjangoSessionRepository.{_name}"
del _name, _method
vars(_session_filters)["DjangoSessionRepository"] = DjangoSessionRepository
