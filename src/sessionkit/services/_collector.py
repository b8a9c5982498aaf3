"""Pausing CPython's cyclic garbage collector for a bulk command.

A bulk command (``kit.series.create_many``) builds tens of thousands of
objects that all stay alive until they are written: the sessions, their spans,
the conflict index, the rows. The cyclic collector runs a full pass over the
whole heap each time the objects that survived its younger passes grow by a
quarter, so such a batch pays for several full passes, each over everything
the process holds (the imported libraries included), and none of them can
free anything the batch made. Measured on a 17,000-session batch into SQLite,
those passes took a fifth of the call.

:func:`collector_paused` switches the collector off for the command and back
on afterwards. Reference counting still frees every object without a cycle at
once; cycles made meanwhile wait for the next collection after the pause.
The collector is process-wide, so the pause is counted: overlapping pauses
from several threads restore it when the last one ends, and only if it was
enabled when the first one began (a host that disabled it keeps it disabled).
A host that disables the collector *during* a pause cannot be told apart from
the pause itself, and finds it enabled again when the pause ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["collector_paused"]

_GUARD = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """Keep the cyclic garbage collector off inside the block (``pause=False``: leave it be)."""
    global _pauses, _was_enabled  # the collector is process state
    if not pause:
        yield
        return
    with _GUARD:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _GUARD:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
