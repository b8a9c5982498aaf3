"""The contract suite fails loudly where a slip would let it pass unrun.

A ``Test...`` subclass that is still abstract is refused when it is made (pytest would
skip it quietly).
"""

from __future__ import annotations

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.ports import EventPublisher, Kind, Repository, UnitOfWorkFactory
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract import TENANT, RepositoryContract, StorageContract
from sessionkit.testing.contract._support import ContractBase


@attrs.frozen
class Memo:
    id: str
    tenant: str
    text: str
    version: int = 1


MEMOS: Kind[Repository[Memo]] = Kind("guarded_memo", Memo)


class OnMemory:
    """A store mixin, as an adapter's tests write one: it is no contract of its own."""

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


# -- a Test... class that is still abstract ----------------------------------------


def test_a_test_class_without_make_store_is_refused_naming_it() -> None:
    with pytest.raises(TypeError, match=r"TestForgetful is still abstract") as refused:

        class TestForgetful(StorageContract):
            pass

    message = str(refused.value)
    assert "pytest would skip it" in message
    assert "implement make_store" in message
    assert __name__ in message


def test_a_repository_test_class_names_every_hook_and_the_kind_it_lacks() -> None:
    with pytest.raises(TypeError, match="implement change, make_record; set kind"):

        class TestHalfMemos(OnMemory, RepositoryContract[Memo]):
            pass


def test_a_hook_left_abstract_by_redeclaring_it_is_named() -> None:
    with pytest.raises(TypeError, match="implement make_store"):

        class TestRedeclared(OnMemory, StorageContract):
            make_store = ContractBase.make_store  # the abstract one again


def test_abstract_mixins_not_named_test_are_allowed_and_complete_test_classes_too() -> None:
    class MemosContract(RepositoryContract[Memo]):
        kind = MEMOS

        def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Memo:
            return Memo(record_id, tenant, text=f"memo {variant}")

        def change(self, record: Memo) -> Memo:
            return attrs.evolve(record, text="changed")

    class TestMemos(OnMemory, MemosContract):
        pass

    class TestStore(StorageContract):
        def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
            return InMemoryStore(publisher).unit_of_work

    assert TestMemos().make_record("a") == Memo("a", TENANT, "memo 0")
    assert callable(TestStore().make_store(RecordingPublisher()))
