"""The generic in-memory repository, and the registry of specialised ones.

:class:`MemoryRepository` stores any :class:`~sessionkit.ports.Kind` in a
:class:`~sessionkit.adapters.memory._table.Table`: a kind sessionkit has never
heard of works with no registration at all. A kind whose repository needs
more (sessions: conflict checks and queries) subclasses it and is
:func:`register`-ed, once, beside its class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from sessionkit.adapters.memory._table import Index, Journal, Table
from sessionkit.errors import ConcurrentModification, StillReferenced
from sessionkit.ports import Kind, Record, check_kind

if TYPE_CHECKING:
    from sessionkit.adapters.memory._store import InMemoryUnitOfWork

__all__ = ["MemoryRepository", "register", "repository_class"]

R = TypeVar("R", bound=Record)


class MemoryRepository(Generic[R]):
    """The :class:`~sessionkit.ports.Repository` of one kind in an in-memory unit of work.

    Raises the kind's own errors (``kind.missing()``, ``kind.taken()``): an id
    or a unique key already held is refused, a stale ``expected_version`` is a
    ``ConcurrentModification``, and a refused write changes nothing.

    Subclasses add the kind's own reads, extra write checks (override
    :meth:`check`) and indexes (override :meth:`indexes`), and are made known
    with :func:`register`.
    """

    kind: Kind[Any]

    def __init__(self, uow: InMemoryUnitOfWork, kind: Kind[Any]) -> None:
        self.kind = kind
        self._uow = uow

    @classmethod
    def indexes(cls) -> dict[str, Index[Any]]:
        """Return fresh specialised indexes, by name, for a new table of this kind (none by default)."""  # noqa: E501
        return {}

    # ------------------------------------------------------------------ plumbing

    def _open(self) -> tuple[Journal, Table[R]]:
        """Return the unit's journal and this kind's table; raise ``RuntimeError`` outside ``with``."""  # noqa: E501
        journal = self._uow.journal()
        return journal, self._uow.table(self.kind)

    @property
    def table(self) -> Table[R]:
        """This kind's table (inside the ``with`` block only)."""
        return self._open()[1]

    def _stored(self, table: Table[R], tenant: str, record_id: str) -> R:
        found = table.get(tenant, record_id)
        if found is None:
            raise self.kind.missing(record_id, tenant)
        return found

    def _check(self, table: Table[R], record: R, *, replacing: bool) -> None:
        """Raise the kind's ``Duplicate`` (or :meth:`check`'s error) if ``record`` may not be stored."""  # noqa: E501
        if not replacing:
            existing = table.get(record.tenant, record.id)
            if existing is not None:
                raise self.kind.taken(record, None, existing)
        for index in table.unique.values():
            owner = index.owner(record)
            if owner is not None and owner != record.id:
                raise self.kind.taken(record, index.key, table.get(record.tenant, owner))
        self.check(table, record)
        for field, parent in self.kind.parents.items():
            parent_id = getattr(record, field)
            if (
                parent_id is not None
                and self._uow.table(parent).get(record.tenant, parent_id) is None
            ):
                raise parent.missing(parent_id, record.tenant)

    def check(self, table: Table[R], record: R) -> None:
        """Raise if ``record`` may not be stored beside the others; a hook, nothing by default.

        Called after the id and unique keys passed, with ``record`` (on an
        update, its old state) possibly still in ``table``.
        """

    # ------------------------------------------------------------------ the Repository port

    def get(self, tenant: str, record_id: str) -> R:
        """Return the record; raise the kind's ``NotFound`` (also for another tenant's id)."""
        return self._stored(self.table, tenant, record_id)

    def get_many(self, tenant: str, record_ids: Iterable[str]) -> list[R]:
        """Return the records that exist among ``record_ids``, in the order asked, each once."""
        rows = self.table.of(tenant)
        found: dict[str, R] = {}
        for record_id in record_ids:
            record = rows.get(record_id)
            if record is not None:
                found.setdefault(record_id, record)
        return list(found.values())

    def claim(self, tenant: str, record_ids: Iterable[str]) -> list[R]:
        """Return the records among ``record_ids``, by id: one unit at a time holds the store."""
        return sorted(self.get_many(tenant, record_ids), key=lambda record: record.id)

    def add(self, record: R) -> None:
        """Store a new record; raise the kind's ``Duplicate`` for a taken id or unique key."""
        journal, table = self._open()
        self._check(table, record, replacing=False)
        journal.insert(table, record)

    def add_many(self, records: Sequence[R]) -> None:
        """Store new records in bulk, all or none; same errors as :meth:`add`."""
        journal, table = self._open()
        mark = journal.mark()
        try:
            for record in records:
                self._check(table, record, replacing=False)
                journal.insert(table, record)
        except BaseException:
            journal.undo_to(mark)
            raise

    def update(self, record: R, *, expected_version: int) -> R:
        """Replace the stored record, returning it with ``version + 1``.

        Raises the kind's ``NotFound``, ``ConcurrentModification`` or the kind's
        ``Duplicate`` (a unique key held by another record).
        """
        journal, table = self._open()
        old = self._stored(table, record.tenant, record.id)
        if old.version != expected_version:
            raise ConcurrentModification(record.id, expected_version, old.version)
        new = attrs.evolve(record, version=old.version + 1)  # type: ignore[misc]  # R is an attrs class by contract
        self._check(table, new, replacing=True)
        journal.replace(table, old, new)
        return new

    def delete(self, tenant: str, record_id: str, *, expected_version: int) -> None:
        """Delete the record; raise ``NotFound``, ``ConcurrentModification`` or ``StillReferenced``.

        ``StillReferenced`` names the kinds whose records point at it.
        """
        journal, table = self._open()
        old = self._stored(table, tenant, record_id)
        if old.version != expected_version:
            raise ConcurrentModification(record_id, expected_version, old.version)
        holders = self._uow.referring(self.kind, tenant, record_id)
        if holders:
            raise StillReferenced(self.kind.name, record_id, tenant, holders)
        journal.remove(table, old)


RepositoryClass = type[MemoryRepository[Any]]

_REGISTRY: dict[str, RepositoryClass] = {}


def register(kind: Kind[Any], factory: RepositoryClass) -> None:
    """Make ``factory`` (a :class:`MemoryRepository` subclass) the repository of ``kind``.

    Only needed for a kind with reads or checks beyond the generic ones; the
    latest registration for a kind's name wins. A kind of yours named as one of
    sessionkit's own is refused (``InvalidValue``).
    """
    check_kind(kind)
    _REGISTRY[kind.name] = factory


def repository_class(kind: Kind[Any]) -> RepositoryClass:
    """Return the repository class for ``kind``: the registered one, else the generic one."""
    return _REGISTRY.get(kind.name, MemoryRepository)
