"""The contract of kinds whose records point at a parent record (a session at its series).

Mix :class:`ParentsContract` into a kind's :class:`RepositoryContract` when the
kind declares ``parents``: a record whose parent is missing is refused with the
parent's ``NotFound``, and a parent still pointed at is not deleted
(``StillReferenced``), in every adapter.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pytest

from sessionkit.errors import NotFound, StillReferenced
from sessionkit.ports import Kind, Record
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import TENANT
from sessionkit.testing.contract.repository import RepositoryContract

__all__ = ["ParentsContract"]

R = TypeVar("R", bound=Record)


class ParentsContract(RepositoryContract[R]):
    """Referential rules for a kind with ``parents``; ``make_record`` must set a parent id.

    :meth:`~RepositoryContract.prepare` stores the parents that ``keep`` needs.
    """

    def _parents(self, record: R) -> list[tuple[str, Kind[Any], str]]:
        found = [
            (field, parent, getattr(record, field))
            for field, parent in self.kind.parents.items()
            if getattr(record, field) is not None
        ]
        assert found, f"kind {self.kind.name!r} has no parent, or make_record() sets none"
        return found

    def test_a_record_whose_parent_is_missing_is_refused(self, store: Factory) -> None:
        """Adding a record whose parent (a session's series) is not stored: the parent's ``NotFound``."""  # noqa: E501
        record = self.make_record("a")
        _field, parent, parent_id = self._parents(record)[0]
        with store() as uow:
            with pytest.raises(NotFound) as caught:
                self.repo(uow).add(record)
            assert (caught.value.kind, caught.value.record_id) == (parent.name, parent_id)
            assert self.repo(uow).get_many(TENANT, ["a"]) == []

    def test_a_record_others_point_at_is_not_deleted(self, store: Factory) -> None:
        """Deleting a parent that a record still points at raises ``StillReferenced``, unchanged.

        The unit of work stays usable: deleting the record first, then the parent, works.
        """
        record = self.make_record("a")
        _field, parent, parent_id = self._parents(record)[0]
        self.keep(store, record)
        with store() as uow:
            parents = uow.repository(parent)
            stored_parent = parents.get(TENANT, parent_id)
            with pytest.raises(StillReferenced) as caught:
                parents.delete(TENANT, parent_id, expected_version=stored_parent.version)
            error = caught.value
            assert isinstance(error, ValueError)
            assert (error.kind, error.record_id, error.tenant) == (parent.name, parent_id, TENANT)
            assert error.referenced_by == {self.kind.name: 1}
            assert parents.get(TENANT, parent_id) == stored_parent
            self.repo(uow).delete(TENANT, "a", expected_version=1)
            parents.delete(TENANT, parent_id, expected_version=stored_parent.version)
            uow.commit()
        with store() as uow:
            assert uow.repository(parent).get_many(TENANT, [parent_id]) == []
            assert self.repo(uow).get_many(TENANT, ["a"]) == []
