"""The contract suite fails loudly where a slip would let it pass unrun or hang.

A ``Test...`` subclass that is still abstract is refused when it is made (pytest would
skip it quietly), and a paging test fails, rather than looping forever, against an
adapter whose ``after=`` returns the cursor's own row again.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from sessionkit.adapters.memory import (
    InMemoryBookingRepository,
    InMemoryJournalRepository,
    InMemoryPaymentRepository,
    InMemoryStore,
)
from sessionkit.ports import EventPublisher, Kind, Repository, UnitOfWorkFactory
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract import (
    TENANT,
    BookingsRepositoryContract,
    JournalRepositoryContract,
    PaymentsRepositoryContract,
    RepositoryContract,
    StorageContract,
)
from sessionkit.testing.contract._support import ContractBase, page_through


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


# -- an adapter whose after= is inclusive ------------------------------------------


class Hung(Exception):
    """A paging test ran past its time: its loop does not end."""


@pytest.fixture
def time_limit() -> Iterator[None]:
    """Interrupt the test after 10 seconds, where the platform has SIGALRM."""
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover  # Windows: no guard
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise Hung("the paging test did not end: its loop is unbounded")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def inclusive(read: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """Return ``read`` with an ``after`` that also returns the cursor's own row, first."""

    def read_including_the_cursor(
        self: Any, tenant: str, *args: Any, after: tuple[Any, ...] | None = None, **kwargs: Any
    ) -> list[Any]:
        page = read(self, tenant, *args, after=after, **kwargs)
        if after is None:
            return page
        rows = [self.get(tenant, after[-1]), *page]  # each cursor ends with the row's id
        limit = kwargs.get("limit")
        return rows if limit is None else rows[:limit]

    return read_including_the_cursor


class MemoryJournal(OnMemory, JournalRepositoryContract):
    pass


class MemoryBookings(OnMemory, BookingsRepositoryContract):
    pass


class MemoryPayments(OnMemory, PaymentsRepositoryContract):
    pass


PAGING = [
    (
        InMemoryJournalRepository,
        "history",
        MemoryJournal,
        "test_a_history_continues_after_its_cursor",
    ),
    (
        InMemoryBookingRepository,
        "for_session",
        MemoryBookings,
        "test_for_session_pages_in_that_order",
    ),
    (
        InMemoryPaymentRepository,
        "query",
        MemoryPayments,
        "test_paging_with_the_keyset_visits_every_payment_once",
    ),
]
IDS = ["journal", "bookings", "payments"]


@pytest.mark.usefixtures("time_limit")
@pytest.mark.parametrize(("repository", "read", "contract", "test"), PAGING, ids=IDS)
def test_an_inclusive_after_fails_the_paging_test_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
    repository: type[object],
    read: str,
    contract: type[ContractBase],
    test: str,
) -> None:
    monkeypatch.setattr(repository, read, inclusive(getattr(repository, read)))
    suite = contract()
    store = suite.make_store(RecordingPublisher())
    with pytest.raises(AssertionError, match=r"returned the cursor's own row '\w+' again"):
        getattr(suite, test)(store)


@pytest.mark.parametrize(("repository", "read", "contract", "test"), PAGING, ids=IDS)
def test_the_paging_tests_pass_on_the_memory_store(
    repository: type[object], read: str, contract: type[ContractBase], test: str
) -> None:
    del repository, read  # the same table as above, unpatched
    suite = contract()
    getattr(suite, test)(suite.make_store(RecordingPublisher()))


def memos(*ids: str) -> list[Memo]:
    return [Memo(i, TENANT, text=i) for i in ids]


def test_a_page_that_goes_back_before_its_cursor_fails() -> None:
    def ignoring_after(after: str | None) -> list[Memo]:
        del after
        return memos("a", "b")

    with pytest.raises(AssertionError, match=r"query\(after='b'\) returned 'a' a second time"):
        page_through(ignoring_after, lambda memo: memo.id, rows=2, what="query")


def test_a_read_that_never_ends_fails_after_one_page_more_than_its_rows() -> None:
    pages = iter([memos("a"), memos("b"), memos("c")])
    with pytest.raises(pytest.fail.Exception, match="after 3 pages of at most 2 rows"):
        page_through(lambda _after: next(pages), lambda memo: memo.id, rows=2, what="query")
