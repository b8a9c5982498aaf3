"""The contract of kinds whose records point at a parent record (a session at its series).

Mix :class:`ParentsContract` into a kind's :class:`RepositoryContract` when the
kind declares ``parents``: a record whose parent is missing is refused with the
parent's ``NotFound``, and a parent still pointed at is not deleted
(``StillReferenced``), in every adapter. Parents are looked up in the
record's own tenant: another tenant's parent of the same id does not count,
nor does another tenant's record pointing at it.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pytest

from sessionkit.errors import NotFound, StillReferenced
from sessionkit.ports import Kind, Record
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import OTHER_TENANT, TENANT
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

    def test_a_parent_in_another_tenant_does_not_count(self, store: Factory) -> None:
        """A record whose parent id is stored only in another tenant: the parent's ``NotFound``.

        The error names the record's own tenant; nothing is written, and the
        other tenant's parent is untouched.
        """
        record = self.make_record("a")
        _field, parent, parent_id = self._parents(record)[0]
        with store() as uow:
            self.prepare(uow, [self.make_record("a", tenant=OTHER_TENANT)])
            uow.commit()
        with store() as uow:
            theirs = uow.repository(parent).get(OTHER_TENANT, parent_id)
            with pytest.raises(NotFound) as caught:
                self.repo(uow).add(record)
            error = caught.value
            assert type(error) is type(parent.missing(parent_id, TENANT))
            assert (error.kind, error.record_id, error.tenant) == (parent.name, parent_id, TENANT)
            uow.commit()
        with store() as uow:
            assert self.repo(uow).get_many(TENANT, ["a"]) == []
            assert uow.repository(parent).get_many(TENANT, [parent_id]) == []
            assert uow.repository(parent).get(OTHER_TENANT, parent_id) == theirs

    def test_another_tenants_record_does_not_hold_a_parent(self, store: Factory) -> None:
        """A parent that only another tenant's record (same ids) points at is deleted.

        The other tenant's parent and record stay, and still refuse deletion.
        """
        theirs = self.make_record("a", tenant=OTHER_TENANT)
        self.keep(store, theirs)
        _field, parent, parent_id = self._parents(theirs)[0]
        with store() as uow:
            self.prepare(uow, [self.make_record("a")])
            uow.commit()
        with store() as uow:
            parents = uow.repository(parent)
            their_parent = parents.get(OTHER_TENANT, parent_id)
            mine = parents.get(TENANT, parent_id)
            parents.delete(TENANT, parent_id, expected_version=mine.version)
            with pytest.raises(StillReferenced) as caught:
                parents.delete(OTHER_TENANT, parent_id, expected_version=their_parent.version)
            assert (caught.value.tenant, caught.value.referenced_by) == (
                OTHER_TENANT,
                {self.kind.name: 1},
            )
            uow.commit()
        with store() as uow:
            assert uow.repository(parent).get_many(TENANT, [parent_id]) == []
            assert uow.repository(parent).get(OTHER_TENANT, parent_id) == their_parent
            assert self.repo(uow).get(OTHER_TENANT, "a") == theirs
