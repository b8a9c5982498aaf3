"""Double-booking detection: which items claim the same resource at the same time.

An item (a session, a booking, a dict in a notebook: anything, read through key
functions) occupies one or more *resources* (a teacher, a room, a student: any
hashable id) over a :class:`~sessionkit.timespan.TimeSpan`. Two items conflict
when they share a resource and their spans overlap once that resource's buffer
is applied to *both* of them: with ``buffers={"room": (before, after)}`` every
span on the room is read as ``[start - before, end + after)``, so two sessions
in the room need a gap of at least ``before + after`` between them. Spans are
half-open, so back-to-back sessions do not conflict unless a buffer says so.

:func:`find_conflicts` answers "who is double-booked?" for a whole batch with a
sort-and-sweep per resource, O(n log n + k) for n items and k conflicts.
:class:`ConflictIndex` answers "what would this new span collide with?" one
query at a time, in O(log n + k), while items are added and removed.

The package is split by question: ``_batch`` holds :func:`find_conflicts` and
:class:`Conflict`, ``_index`` the :class:`ConflictIndex`, and ``_checks`` the
:data:`Buffers` type and the input checks both share. Import from
``sessionkit.conflicts``; the submodules are private.

>>> from datetime import UTC, datetime, timedelta
>>> from sessionkit.timespan import TimeSpan
>>> def at(hour: int, minute: int = 0) -> TimeSpan:  # one hour from hour:minute
...     start = datetime(2026, 3, 2, hour, minute, tzinfo=UTC)
...     return TimeSpan(start, start + timedelta(hours=1))
>>> lessons = [
...     {"id": 1, "span": at(9), "who": ("ana", "room-1")},
...     {"id": 2, "span": at(10), "who": ("ana",)},               # right after 1: fine
...     {"id": 3, "span": at(9, 30), "who": ("ben", "room-1")},   # room-1 taken by 1
... ]
>>> [(c.first["id"], c.second["id"], c.resource) for c in find_conflicts(
...     lessons, span=lambda s: s["span"], resources=lambda s: s["who"])]
[(1, 3, 'room-1')]
"""

from __future__ import annotations

from sessionkit.conflicts._batch import Conflict, find_conflicts
from sessionkit.conflicts._checks import Buffers
from sessionkit.conflicts._index import ConflictIndex

__all__ = ["Buffers", "Conflict", "ConflictIndex", "find_conflicts"]
