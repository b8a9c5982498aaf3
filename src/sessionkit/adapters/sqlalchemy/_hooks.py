"""Install an event listener on an engine or pool once, remembered by the object itself.

Not :func:`sqlalchemy.event.contains`: SQLAlchemy's registry keys listeners by
``id()`` of their target and keeps a key until the target's listener
collection is garbage-collected. A disposed engine hands its pool's
collection on to the pool it recreates, so a dead pool's key outlives it, and
a new pool created at the same address (common in a long-running process
that makes engines, such as a test run) is taken for one that has the
listener: it is never installed there. Which address is reused depends on the
allocator, so the hook went missing only now and then.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

__all__ = ["listen_once"]

_INSTALLED: weakref.WeakKeyDictionary[Any, set[tuple[str, Callable[..., Any]]]] = (
    weakref.WeakKeyDictionary()
)
"""The (event, listener) pairs installed on each live target by :func:`listen_once`."""

_GUARD = threading.Lock()


def listen_once(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """Listen with ``fn`` to ``identifier`` on ``target`` unless done before; whether it did now.

    Keyed weakly by the target object, not by its address: a target that died
    takes its entry with it.
    """
    with _GUARD:
        installed = _INSTALLED.get(target)
        if installed is None:
            installed = _INSTALLED[target] = set()
        if (identifier, fn) in installed:
            return False
        event.listen(target, identifier, fn)
        installed.add((identifier, fn))
        return True
