"""Slips an adapter author makes with the contract suite are refused at once, naming them.

Found following docs/extending.md as a new user: a contract subclass whose ``kind`` is a
name (or ``None``), or whose ``make_store`` returns the store itself, failed every test
of the suite with a bare ``AttributeError`` or ``TypeError``.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import WrongType
from sessionkit.ports import EventPublisher, Kind, Repository, UnitOfWorkFactory
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract import TENANT, RepositoryContract, StorageContract


@attrs.frozen
class Desk:
    id: str
    tenant: str
    label: str
    version: int = 1


DESKS: Kind[Repository[Desk]] = Kind("audited_desk", Desk)


class DesksContract(RepositoryContract[Desk]):
    """The hooks but ``kind`` and ``make_store``, as docs/extending.md's ``RoomsContract``."""

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Desk:
        return Desk(record_id, tenant, f"desk {variant}")

    def change(self, record: Desk) -> Desk:
        return attrs.evolve(record, label=record.label + "!")


# -- the contract: a kind that is no Kind ----------------------------------------------


def _desks_class(kind: object) -> type:
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "kind": kind,
        "make_store": lambda self, publisher: InMemoryStore(publisher).unit_of_work,
    }
    return type("TestDesks", (DesksContract,), namespace)


@pytest.mark.parametrize("kind", ["audited_desk", None])
def test_the_refusal_names_the_class_attribute_and_the_value(kind: object) -> None:
    with pytest.raises(WrongType) as refused:
        _desks_class(kind)
    assert isinstance(refused.value, TypeError)
    assert refused.value.value == kind
    assert refused.value.name == f"{__name__}.TestDesks.kind"
    assert "a Kind" in str(refused.value)


def test_a_test_class_with_a_kind_is_made_and_a_mixin_may_name_none() -> None:
    made = _desks_class(DESKS)
    assert made.kind is DESKS  # type: ignore[attr-defined]  # set by _desks_class
    mixin = type("DesksOnMemory", (DesksContract,), {"kind": "not yet"})
    assert mixin.kind == "not yet"  # type: ignore[attr-defined]  # not Test...: not checked


# -- the contract: make_store returning the store --------------------------------------


class TestStoreItselfIsRefused:
    """``made_store`` refuses a ``make_store`` that returns the store, not its factory."""

    def test_storage_contract(self) -> None:
        class StoreItself(StorageContract):
            def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
                return InMemoryStore(publisher)  # type: ignore[return-value]  # the slip

        with pytest.raises(WrongType) as refused:
            StoreItself().made_store(RecordingPublisher())
        assert isinstance(refused.value.value, InMemoryStore)
        assert refused.value.name == f"{StoreItself.__qualname__}.make_store()"
        assert "unit_of_work (not the store itself)" in str(refused.value)

    def test_repository_contract(self) -> None:
        class DesksOnStore(DesksContract):
            kind = DESKS

            def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
                return InMemoryStore(publisher)  # type: ignore[return-value]  # the slip

        with pytest.raises(WrongType) as refused:
            DesksOnStore().made_store(RecordingPublisher())
        assert refused.value.name.endswith("DesksOnStore.make_store()")

    def test_a_factory_is_returned_as_it_is(self) -> None:
        class DesksOnMemory(DesksContract):
            kind = DESKS

            def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
                return InMemoryStore(publisher).unit_of_work

        factory = DesksOnMemory().made_store(RecordingPublisher())
        with factory() as uow:
            uow.repository(DESKS).add(Desk("d1", TENANT, "by the window"))
            uow.commit()
        with factory() as uow:
            assert uow.repository(DESKS).get(TENANT, "d1").label == "by the window"
