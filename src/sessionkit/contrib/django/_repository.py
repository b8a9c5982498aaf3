"""The repository base of the Django adapter: one kind's rows, tenant-scoped and versioned.

:class:`DjangoRepository` implements the generic
:class:`~sessionkit.ports.Repository` methods over one model; a kind's own
repository (sessions, series) subclasses it, says how its records map to rows
and adds its reads and write checks. Every write runs in a savepoint
(``transaction.atomic()`` nested in the unit's), so a refused write changes
nothing and leaves the unit usable. The checks read before writing; the
database's constraints (unique keys, PostgreSQL's exclusion constraint) back
them under concurrency, and a constraint the database reports is explained by
reading again (the winner is then visible) and raising the same sessionkit
error the check would have raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import attrs
from django.db import IntegrityError, connections, models, transaction
from django.db.models import F
from django.db.models.expressions import Combinable
from django.db.models.functions import Collate

from sessionkit.adapters._driver_faults import driver_code
from sessionkit.contrib.django.models import StoredRecord
from sessionkit.errors import ConcurrentModification, StillReferenced, TransientConflict
from sessionkit.ports import Kind, Record

if TYPE_CHECKING:
    from sessionkit.contrib.django.store import DjangoUnitOfWork

__all__ = ["DjangoRepository", "kind_of", "model_of"]


def model_of(kind_name: str) -> type[Any]:
    """Return the model that stores kind ``kind_name`` (from the store's registry)."""
    from sessionkit.contrib.django.store import REPOSITORIES  # the registry imports this module

    return REPOSITORIES[kind_name].model


def kind_of(model: type[Any]) -> str:
    """Return the name of the kind ``model`` stores (its model name if none: a host's own)."""
    from sessionkit.contrib.django.store import REPOSITORIES  # the registry imports this module

    for name, repository in REPOSITORIES.items():
        if repository.model is model:
            return name
    return str(model._meta.model_name)


_REFUSING = (models.PROTECT, models.RESTRICT)
"""The ``on_delete`` handlers that keep a row from being deleted while others point at it."""

R = TypeVar("R", bound=Record)
M = TypeVar("M", bound=StoredRecord)


class DjangoRepository(Generic[R, M]):
    """The :class:`~sessionkit.ports.Repository` of one kind in a Django unit of work.

    Subclasses set :attr:`model` and implement :meth:`to_fields`,
    :meth:`from_row` and :meth:`lookup` (a unique key's field values); they
    may set :attr:`links` and override :meth:`check` (more refusals before a
    write), :meth:`written` (rows beside the record's own) and
    :meth:`refuse_delete`.
    """

    model: ClassVar[type[Any]]

    links: ClassVar[dict[str, str]] = {}
    """The kind's parent fields (``Kind.parents``) and the foreign key holding each.

    ``{"booking_id": "booking_row"}``: a write looks the booking row up in the
    record's tenant, raises the booking kind's ``NotFound`` when it is missing
    and sets ``booking_row``. Repositories that find their parents themselves
    (sessions, bookings) leave it empty.
    """

    def __init__(self, uow: DjangoUnitOfWork, kind: Kind[Any]) -> None:
        self.kind = kind
        self._uow = uow

    # ------------------------------------------------------------------ what subclasses say

    def to_fields(self, record: R) -> dict[str, Any]:
        """Return the model field values of ``record``."""
        raise NotImplementedError

    def from_row(self, row: M) -> R:
        """Return the record a row holds."""
        raise NotImplementedError

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:
        """Return the model lookups of the unique key ``key`` holding ``value``."""
        raise NotImplementedError

    def check(self, record: R, fields: dict[str, Any]) -> None:
        """Raise if ``record`` may not be stored (beyond ids and keys); may fill in ``fields``."""

    def written(self, record: R, row: M, *, replaced: bool) -> None:
        """Write what belongs beside the record's row (``replaced``: an update)."""

    def refuse_delete(self, row: M) -> None:
        """Raise ``StillReferenced`` while rows of other kinds point at the row.

        Every ``PROTECT`` or ``RESTRICT`` foreign key to this kind's model is a
        referring kind (a session's bookings, reschedule requests, presence,
        and a host's own models); the error counts the rows of each. Hidden
        relations (``related_name="+"``) count too, since Django's delete
        visits them all the same, and rows are counted through each model's
        base manager, as Django's delete sees them (a host's default manager
        may leave some out).
        """
        pointing: dict[type[Any], models.Q] = {}
        for relation in self.model._meta.get_fields(include_hidden=True):
            # The reverse side of a foreign key or one-to-one field, as Django's delete picks.
            reverse = relation.auto_created and not relation.concrete
            if not (reverse and (relation.one_to_many or relation.one_to_one)):
                continue
            if relation.on_delete not in _REFUSING:
                continue
            referring = relation.related_model
            # One row pointing twice (two foreign keys to the model) is one row.
            found = pointing.get(referring, models.Q())
            pointing[referring] = found | models.Q(**{relation.field.name: row})
        holders: dict[str, int] = {}
        for referring, where in pointing.items():
            count = referring._base_manager.using(self.using).filter(where).count()
            if count:
                kind = kind_of(referring)
                holders[kind] = holders.get(kind, 0) + count
        if holders:
            raise StillReferenced(self.kind.name, row.record_id, row.tenant, holders)

    # ------------------------------------------------------------------ plumbing

    @property
    def using(self) -> str:
        """The database alias the unit of work writes to."""
        return self._uow.using

    def rows(self, tenant: str) -> models.QuerySet[M]:
        """Return the tenant's rows of this kind (inside the unit only)."""
        self._uow.require_open()
        manager: models.Manager[M] = self.model._default_manager
        return manager.using(self.using).filter(tenant=tenant)

    def _row(self, tenant: str, record_id: str) -> M | None:
        return self.rows(tenant).filter(record_id=record_id).first()

    def _exact(self, expression: Combinable | str) -> Any:
        """``expression`` compared by code point (``COLLATE "C"`` on PostgreSQL)."""
        value = F(expression) if isinstance(expression, str) else expression
        if self._uow.vendor == "postgresql":
            return Collate(value, "C")
        return value

    def _link(self, record: R, fields: dict[str, Any]) -> None:
        """Set the :attr:`links` foreign keys in ``fields``; the parent kind's ``NotFound``."""
        for field, column in self.links.items():
            parent_id = getattr(record, field)
            fields[f"{column}_id"] = None
            if parent_id is None:
                continue
            parent = self.kind.parents[field]
            found = (
                model_of(parent.name)
                ._default_manager.using(self.using)
                .filter(tenant=record.tenant, record_id=parent_id)
                .values_list("pk", flat=True)
                .first()
            )
            if found is None:
                raise parent.missing(parent_id, record.tenant)
            fields[f"{column}_id"] = found

    def _refuse(self, record: R, fields: dict[str, Any], *, replacing: bool) -> None:
        """Raise the kind's ``Duplicate`` (or :meth:`check`'s error) if ``record`` may not be stored."""  # noqa: E501
        if not replacing:
            existing = self._row(record.tenant, record.id)
            if existing is not None:
                raise self.kind.taken(record, None, self.from_row(existing))
        for key in self.kind.unique:
            value = key.value(record)
            if value is None:
                continue
            owner = (
                self.rows(record.tenant)
                .filter(**self.lookup(key.name, value))
                .exclude(record_id=record.id)
                .first()
            )
            if owner is not None:
                raise self.kind.taken(record, key, self.from_row(owner))
        self._link(record, fields)
        self.check(record, fields)

    def _explain(self, record: R, error: IntegrityError, *, replacing: bool) -> TransientConflict:
        """Raise the error behind a constraint the database reported; else return a transient one."""  # noqa: E501
        self._refuse(record, self.to_fields(record), replacing=replacing)
        return TransientConflict(
            f"the database refused {self.kind.name} {record.id!r} in a race ({error}); "
            "running the command again usually succeeds",
            reason="constraint",
            backend=self._uow.vendor,
            retryable=not self._uow.joined,
            code=driver_code(error.__cause__ or error, self._uow.vendor),
        )

    def _insert(self, record: R) -> None:
        fields = self.to_fields(record)
        self._refuse(record, fields, replacing=False)
        row = self.model(**fields)
        row.save(using=self.using, force_insert=True)
        self.written(record, row, replaced=False)

    # ------------------------------------------------------------------ the repository

    def get(self, tenant: str, record_id: str) -> R:
        """Return the record; raise the kind's ``NotFound`` (also for another tenant's id)."""
        row = self._row(tenant, record_id)
        if row is None:
            raise self.kind.missing(record_id, tenant)
        return self.from_row(row)

    def get_many(self, tenant: str, record_ids: Iterable[str]) -> list[R]:
        """Return the records that exist among ``record_ids``, in the order asked, each once."""
        wanted = list(dict.fromkeys(record_ids))
        if not wanted:
            return []
        found: dict[str, R] = {}
        for start in range(0, len(wanted), 500):
            for row in self.rows(tenant).filter(record_id__in=wanted[start : start + 500]):
                record = self.from_row(row)
                found[record.id] = record
        return [found[record_id] for record_id in wanted if record_id in found]

    def claim(self, tenant: str, record_ids: Iterable[str]) -> list[R]:
        """Lock the records no other unit of work holds (``FOR UPDATE SKIP LOCKED``); by id.

        PostgreSQL skips rows another transaction locked
        (``select_for_update(skip_locked=True)``); SQLite has no row locks and
        needs none: a unit begins its write transaction before it reads
        (``transaction_mode = "IMMEDIATE"``), so a second worker waits for the
        first's commit and then reads what it wrote. The records are read
        after their rows are locked, so they are the last committed versions.
        """
        wanted = sorted(set(record_ids))
        features = connections[self.using].features
        locked: list[str] = []
        for start in range(0, len(wanted), 500):
            rows = self.rows(tenant).filter(record_id__in=wanted[start : start + 500])
            if features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            locked.extend(rows.order_by("record_id").values_list("record_id", flat=True))
        return sorted(self.get_many(tenant, locked), key=lambda record: record.id)

    def add(self, record: R) -> None:
        """Store a new record; raise the kind's ``Duplicate`` for a taken id or unique key."""
        try:
            with transaction.atomic(using=self.using):
                self._insert(record)
        except IntegrityError as error:
            raise self._explain(record, error, replacing=False) from error

    def add_many(self, records: Sequence[R]) -> None:
        """Store new records in bulk, all or none; same errors as :meth:`add`."""
        with transaction.atomic(using=self.using):
            for record in records:
                self.add(record)

    def update(self, record: R, *, expected_version: int) -> R:
        """Replace the stored record, returning it with ``version + 1``.

        Raises the kind's ``NotFound``, ``ConcurrentModification`` or the
        kind's ``Duplicate`` (a unique key taken by another record).
        """
        stored = attrs.evolve(record, version=expected_version + 1)  # type: ignore[misc]  # R is an attrs class
        try:
            with transaction.atomic(using=self.using):
                row = self._row(record.tenant, record.id)
                if row is None:
                    raise self.kind.missing(record.id, record.tenant)
                if row.version != expected_version:
                    raise ConcurrentModification(record.id, expected_version, row.version)
                fields = self.to_fields(stored)
                self._refuse(stored, fields, replacing=True)
                changed = (
                    self.rows(record.tenant)
                    .filter(pk=row.pk, version=expected_version)
                    .update(**fields)
                )
                if not changed:
                    raise self._lost(record.tenant, record.id, expected_version)
                row.refresh_from_db(using=self.using)
                self.written(stored, row, replaced=True)
        except IntegrityError as error:
            raise self._explain(stored, error, replacing=True) from error
        return stored

    def delete(self, tenant: str, record_id: str, *, expected_version: int) -> None:
        """Delete the record; raise the kind's ``NotFound`` or ``ConcurrentModification``.

        A record other rows point at raises ``StillReferenced``:
        :meth:`refuse_delete` counts the referring rows first, and should
        Django's delete refuse all the same (a host row protecting a row the
        delete cascades to), its ``ProtectedError`` or ``RestrictedError`` is
        raised as ``StillReferenced`` counting the rows it names, per kind.
        """
        try:
            with transaction.atomic(using=self.using):
                row = self._row(tenant, record_id)
                if row is None:
                    raise self.kind.missing(record_id, tenant)
                if row.version != expected_version:
                    raise ConcurrentModification(record_id, expected_version, row.version)
                self.refuse_delete(row)
                rows = self.rows(tenant).filter(pk=row.pk, version=expected_version)
                deleted, _ = rows.delete()
                if not deleted:
                    raise self._lost(tenant, record_id, expected_version)
        except models.ProtectedError as error:
            raise self._referenced(tenant, record_id, error.protected_objects) from error
        except models.RestrictedError as error:
            raise self._referenced(tenant, record_id, error.restricted_objects) from error

    def _referenced(
        self, tenant: str, record_id: str, holders: Iterable[models.Model]
    ) -> StillReferenced:
        """The error for a delete Django refused: the rows it named, counted per kind."""
        counts = Counter(kind_of(type(holder)) for holder in holders)
        return StillReferenced(self.kind.name, record_id, tenant, counts)

    def _lost(self, tenant: str, record_id: str, expected: int) -> ConcurrentModification:
        """The error for a row another unit changed or deleted between the read and the write."""
        now = self._row(tenant, record_id)
        return ConcurrentModification(record_id, expected, None if now is None else now.version)
