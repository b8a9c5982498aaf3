"""A unit of work of any store whose repository of one kind a test wraps (to count or fail)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sessionkit.ports import Kind, UnitOfWork


class WrappedUnit:
    """``inner``, with ``wrap(repository)`` handed out for ``kind``, the rest as they are."""

    def __init__(self, inner: UnitOfWork, kind: Kind[Any], wrap: Callable[[Any], Any]) -> None:
        self._inner = inner
        self._kind = kind
        self._wrap = wrap

    def __enter__(self) -> WrappedUnit:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._inner.__exit__(kind, error, trace)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def repository(self, kind: Kind[Any]) -> Any:
        found = self._inner.repository(kind)
        return self._wrap(found) if kind is self._kind else found
