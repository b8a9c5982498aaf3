"""An in-memory store whose commits the database refuses, as in a deadlock, while armed.

For the commands that run their own loop for version races: a
``TransientConflict`` is the kit's retrying's to run again (``retryable``),
or to raise at once (a unit joined to the host's transaction).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, cast

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import TransientConflict
from sessionkit.ports import UnitOfWork


class RefusingStore:
    """Unit-of-work factory over an :class:`InMemoryStore`; ``refuse`` commits are refused.

    ``joined``: the units say they joined a host's transaction, and their
    ``TransientConflict`` is not ``retryable`` (as ``store.join``'s are).
    ``commits`` counts every commit asked for, refused or not.
    """

    def __init__(self, *, joined: bool = False) -> None:
        self.store = InMemoryStore()
        self.joined = joined
        self.refuse = 0
        self.commits = 0

    def __call__(self) -> UnitOfWork:
        return cast("UnitOfWork", _Unit(self, self.store.unit_of_work()))


class _Unit:
    def __init__(self, owner: RefusingStore, inner: Any) -> None:
        self._owner = owner
        self._inner = inner

    @property
    def joined(self) -> bool:
        return self._owner.joined

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        owner = self._owner
        owner.commits += 1
        if owner.refuse:
            owner.refuse -= 1
            raise TransientConflict(backend="test", retryable=not owner.joined)
        self._inner.commit()
