"""``DuePages`` reads as the two loops it replaced did: the tick's ``unseen`` and ``expire_due``'s.

A queue of due rows (an item each, earliest first); working an item takes its
rows out of the queue unless it fails (rolled back: they stay, at the front).
The oracles are the loops as they stood before they became one pager
(``_tick_work.unseen`` and the loop of ``BookingCommands.expire_due``), run
on the same queue: the same reads (how many rows each asked for), the same
pages, and for the expiry job the same ``more``.
"""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import example, given
from hypothesis import strategies as st

from sessionkit.services._due_pages import DuePages

Item = tuple[str, str]

items = st.tuples(st.sampled_from(["acme", "beta"]), st.sampled_from("abcdef"))
queues = st.lists(items, max_size=30)


class Queue:
    """Due rows; ``due`` reads the front and records how many rows it asked for."""

    def __init__(self, rows: list[Item], failing: set[Item]) -> None:
        self.rows = list(rows)
        self.failing = failing
        self.asked: list[int] = []

    def due(self, limit: int) -> list[Item]:
        self.asked.append(limit)
        return self.rows[:limit]

    def work(self, item: Item) -> bool:
        """Work ``item``: its rows leave the queue unless it fails; whether it did."""
        if item in self.failing:
            return False
        self.rows = [row for row in self.rows if row != item]
        return True


def _unseen(queue: Queue, batch: int) -> Iterator[list[Item]]:
    """The tick's loop before ``DuePages``."""
    seen: set[Item] = set()
    limit = batch
    while True:
        found = queue.due(limit)
        fresh = list(dict.fromkeys(item for item in found if item not in seen))
        if fresh:
            seen.update(fresh)
            yield fresh
        if len(found) < limit:
            return
        limit = sum(1 for item in found if item not in fresh) + batch


def _expire_due(queue: Queue, limit: int) -> tuple[list[list[Item]], bool]:
    """``expire_due``'s loop before ``DuePages``: its pages and ``more``."""
    pages: list[list[Item]] = []
    tried: set[Item] = set()
    stuck: set[Item] = set()
    asked = budget = limit
    while True:
        keys = queue.due(asked)
        fresh = [key for key in dict.fromkeys(keys) if key not in tried]
        tried.update(fresh)
        if fresh:
            pages.append(fresh)
        for key in fresh:
            if not queue.work(key):
                stuck.add(key)
        more = len(keys) >= asked
        settled = set(fresh) - stuck
        settled_rows = sum(key in settled for key in keys)
        budget -= settled_rows
        if not more or budget <= 0:
            return pages, more
        asked = len(keys) - settled_rows + budget


def _worked(pages: DuePages, queue: Queue, *, mark: bool) -> list[list[Item]]:
    """Work every page's items off ``queue``; the pages. With ``mark``, mark what failed."""
    got = []
    for page in pages:
        got.append(page)
        for item in page:
            if not queue.work(item) and mark:
                pages.failed(item)
    return got


@given(rows=queues, failing=st.sets(items), batch=st.integers(1, 6))
def test_the_tick_reads_and_pages_as_unseen_did(
    rows: list[Item], failing: set[Item], batch: int
) -> None:
    old, new = Queue(rows, failing), Queue(rows, failing)
    before = []
    for page in _unseen(old, batch):
        before.append(page)
        for item in page:
            old.work(item)
    # The tick marks no failure: it learns of one from the next read.
    after = _worked(DuePages(new.due, batch), new, mark=False)
    assert (after, new.asked, new.rows) == (before, old.asked, old.rows)


@given(rows=queues, failing=st.sets(items), limit=st.integers(1, 6))
def test_the_expiry_job_reads_pages_and_says_more_as_its_loop_did(
    rows: list[Item], failing: set[Item], limit: int
) -> None:
    old, new = Queue(rows, failing), Queue(rows, failing)
    before, more = _expire_due(old, limit)
    pages = DuePages(new.due, limit, budget=limit)
    after = _worked(pages, new, mark=True)
    assert (after, new.asked, new.rows, pages.more) == (before, old.asked, old.rows, more)


class RacedQueue(Queue):
    """A queue another writer clears ``cleared`` items off from the ``after``-th read on."""

    def __init__(self, rows: list[Item], failing: set[Item], cleared: set[Item], after: int):
        super().__init__(rows, failing)
        self.cleared = cleared
        self.after = after
        self.found: list[Item] = []

    def due(self, limit: int) -> list[Item]:
        if len(self.asked) + 1 >= self.after:
            self.rows = [row for row in self.rows if row not in self.cleared]
        self.found = super().due(limit)
        return self.found


# a fails and fills the first read; cleared, the second read (of 4) finds four new items.
@example(rows=[("t", i) for i in "aabcde"], failing={("t", "a")}, spared=set(), after=2, limit=2)
@given(
    rows=queues,
    failing=st.sets(items),
    spared=st.sets(items),
    after=st.integers(1, 4),
    limit=st.integers(1, 6),
)
def test_the_expiry_job_works_at_most_its_budget_when_rows_read_past_are_cleared_meanwhile(
    rows: list[Item], failing: set[Item], spared: set[Item], after: int, limit: int
) -> None:
    # The oracle loop above has no other writer: its reads never find more new rows than
    # are left of the budget, so it never cuts a page. Here the bound itself is checked,
    # with another writer settling failed items (the rows read past) between two reads.
    queue = RacedQueue(rows, failing, failing - spared, after)
    pages = DuePages(queue.due, limit, budget=limit)
    worked_rows = 0
    yielded: list[Item] = []
    for page in pages:
        read = queue.found  # the read this page came from
        yielded += page
        for item in page:
            if queue.work(item):
                worked_rows += read.count(item)
            else:
                pages.failed(item)
    assert worked_rows <= limit
    assert len(yielded) == len(set(yielded))
    if not pages.more:  # every due row was read: only failed items' rows are left
        assert set(queue.rows) <= set(yielded) & failing


def test_a_store_without_the_repository_yields_nothing() -> None:
    pages = DuePages(lambda _limit: None, 3)
    assert list(pages) == []
    assert pages.more is False


def test_a_failed_item_is_read_past_at_once_and_each_is_yielded_once() -> None:
    queue = Queue([("t", "a"), ("t", "a"), ("t", "b"), ("t", "c")], failing={("t", "a")})
    pages = DuePages(queue.due, 2, budget=2)
    got = _worked(pages, queue, mark=True)
    # a's two rows filled the first read; the second asked past them for two more.
    assert got == [[("t", "a")], [("t", "b"), ("t", "c")]]
    assert queue.asked == [2, 4]
    # The budget is spent by a full read: more may be due (run it again while more).
    assert pages.more is True
    assert queue.rows == [("t", "a"), ("t", "a")]
