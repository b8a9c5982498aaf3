"""What a kind's repository contract fills in: the kind, its records, and the helpers its tests use.

:class:`RepositoryHooks` is the base of
:class:`~sessionkit.testing.contract.RepositoryContract`: the :attr:`kind`
under test (a ``Test...`` subclass's checked to be a
:class:`~sessionkit.ports.Kind`), the hooks a subclass implements (:meth:`make_record`,
:meth:`change`) or may (:meth:`prepare`, :meth:`collide`), and the helpers
the generic tests and every kind's own contract call (:meth:`repo`,
:meth:`keep`, :meth:`ids`). The tests themselves are ``repository``'s; kept
apart by the style's size limit.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

import pytest

from sessionkit.errors import Duplicate, NotFound, WrongType
from sessionkit.ports import Kind, Record, Repository, UnitOfWork
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import TENANT, ContractBase

__all__ = ["RepositoryHooks"]

R = TypeVar("R", bound=Record)


class RepositoryHooks(ContractBase, Generic[R]):
    """The kind, hooks and helpers of :class:`~sessionkit.testing.contract.RepositoryContract`."""

    kind: ClassVar[Kind[Any]]
    """The kind under test (abstract: set it in the subclass)."""

    _required_attributes = ("kind",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a ``Test...`` subclass whose :attr:`kind` is no :class:`~sessionkit.ports.Kind`.

        A kind's name (``kind = "room"``) or ``None`` would otherwise fail every
        test of the suite with a bare ``AttributeError``.
        """
        super().__init_subclass__(**kwargs)
        kind: object = getattr(cls, "kind", None)
        if cls.__name__.startswith("Test") and not isinstance(kind, Kind):
            raise WrongType(
                kind,
                name=f"{cls.__module__}.{cls.__qualname__}.kind",
                expected="a Kind, the one the unit of work is asked for (kind = ROOMS, where"
                ' ROOMS = Kind("room", Room, ...))',
            )

    @abc.abstractmethod
    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> R:
        """Return a new record (version 1); different variants never share a unique key."""

    @abc.abstractmethod
    def change(self, record: R) -> R:
        """Return ``record`` with a mutable field changed (same id, tenant and unique keys)."""

    def prepare(self, uow: UnitOfWork, records: Sequence[R]) -> None:  # optional hook
        """Store what ``records`` need first (a session's series); nothing by default."""

    def collide(self, record: R, new_id: str) -> R | None:  # noqa: ARG002  # a hook to override
        """Return a record with ``new_id`` sharing ``record``'s first unique key, or ``None``.

        It must differ from ``record`` in nothing else that storage could refuse.
        ``None`` (the default) skips the unique-key tests.
        """
        return None

    # ------------------------------------------------------------------ helpers

    def repo(self, uow: UnitOfWork) -> Repository[R]:
        """Return the unit's repository for :attr:`kind`."""
        repository: Repository[R] = uow.repository(self.kind)
        return repository

    def keep(self, store: Factory, *records: R) -> None:
        """Store ``records`` (after :meth:`prepare`) in one committed unit of work."""
        with store() as uow:
            self.prepare(uow, records)
            for record in records:
                self.repo(uow).add(record)
            uow.commit()

    def ids(self, store: Factory, tenant: str, record_ids: Sequence[str]) -> list[str]:
        """Return which of ``record_ids`` are stored for ``tenant``, in the order asked."""
        with store() as uow:
            return [r.id for r in self.repo(uow).get_many(tenant, record_ids)]

    def _collision(self, record: R, new_id: str) -> R:
        if not self.kind.unique:
            pytest.skip(f"kind {self.kind.name!r} has no unique key beside the id")
        twin = self.collide(record, new_id)
        if twin is None:
            pytest.skip("collide() is not implemented for this kind")
        return twin

    def _missing_error(self) -> type[NotFound]:
        return type(self.kind.missing("x", TENANT))

    def _duplicate_error(self, record: R) -> type[Duplicate]:
        return type(self.kind.taken(record, None, record))
