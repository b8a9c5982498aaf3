"""Paging through due work read from the front of its queue, each item tried once per run.

Private to the services package: the tick's expiry and reschedule passes
(:mod:`~sessionkit.services._tick_work`) and ``kit.bookings.expire_due``
(:mod:`~sessionkit.services.bookings`) read their due rows with it. A store
answers "the first ``limit`` rows due, earliest first"; there is no cursor to
page on with, as doing the work is what takes a row out of the queue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence

__all__ = ["DuePages"]

Item = tuple[str, str]
"""A due item: ``(tenant, id)``."""


class DuePages:
    """The due items (earliest first) not yielded before, page by page, in the read's order.

    ``due(limit)`` reads the first ``limit`` due rows, an item each (one
    item may hold several rows; ``None``: the store keeps none of them). An
    item yielded once is not yielded again: what is still due there failed,
    or waits for the next run. Those rows stay at the front of the queue, so
    each read asks for as many more rows as it expects to find there: a batch
    of failing items never hides the items due after them.

    Each read asks for ``batch`` rows beyond the ones it expects still due of
    the items yielded before: the rows of an item marked :meth:`failed`
    (rolled back) from the next read on, those of one left unmarked once a
    later read finds them again. With a ``budget``, a read asks for at most
    what is left of it, the rows of the items yielded and not marked failed
    spending it, and the pages end once it is spent. A page then holds only
    the new items whose rows in the read fit in what is left (the first ones,
    in the read's order): when rows read past were taken out of the queue by
    another writer meanwhile, a read finds that many more new rows than it
    asked for, and the rest stay due, for the next run (the pages end there,
    and :attr:`more` is true). They end, too, when a read comes back short:
    every due row was read. :attr:`more` says whether the last read came back
    full, or a page was cut.
    """

    def __init__(
        self,
        due: Callable[[int], Sequence[Item] | None],
        batch: int,
        *,
        budget: int | None = None,
    ) -> None:
        # A batch of 0 reads nothing new, ever: the pages would never end (callers check it).
        assert batch >= 1, batch
        self._due = due
        self._batch = batch
        self._budget = budget
        self._failed: set[Item] = set()
        self.more = False
        """Whether the last read came back full: more rows may be due after it."""

    def failed(self, item: Item) -> None:
        """Mark ``item``, yielded, as rolled back: its rows are still due, to be read past."""
        self._failed.add(item)

    def __iter__(self) -> Iterator[list[Item]]:
        seen: set[Item] = set()
        left = self._budget
        limit = self._new_rows(left)
        while True:
            found = self._due(limit)
            if found is None:
                return
            fresh = list(dict.fromkeys(item for item in found if item not in seen))
            cut = left is not None and _cut(fresh, found, left)
            if fresh:
                seen.update(fresh)
                yield fresh
            if cut:
                self.more = True  # the items cut off are still due
                return
            done = set(fresh) - self._failed
            done_rows = sum(1 for item in found if item in done)
            self.more = len(found) >= limit
            if left is not None:
                left -= done_rows
            if not self.more or (left is not None and left <= 0):
                return  # every due row was read, or the budget is spent
            limit = len(found) - done_rows + self._new_rows(left)

    def _new_rows(self, left: int | None) -> int:
        """How many rows past those still due a read asks for: a batch, at most ``left``."""
        return self._batch if left is None else min(self._batch, left)


def _cut(fresh: list[Item], found: Sequence[Item], left: int) -> bool:
    """Keep in ``fresh`` the first items whose rows in ``found`` fit in ``left``; whether any went.

    Without another writer, a read finds at most ``left`` new rows (it asks for
    the rows still due, then at most ``left``): nothing goes.
    """
    rows = Counter(found)
    for kept, item in enumerate(fresh):
        left -= rows[item]
        if left < 0:
            del fresh[kept:]
            return True
    return False
