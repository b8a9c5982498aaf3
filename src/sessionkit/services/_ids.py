"""The kit's id source, which takes back an id drawn for a record never stored.

A booking command on a store's quick way (:class:`~sessionkit.ports.QuickBookings`)
draws its booking's id before the store knows whether it can take the booking;
when it cannot, the command runs again in a unit of work, which draws as the
command always drew. The id given back is handed out by the next draw instead
of a new one, so a host's sequence of ids (a counter, a test's) runs as if the
quick way had never been tried.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

__all__ = ["IdSource"]


class IdSource:
    """Draw ids from ``draw``, but an id given back (:meth:`give_back`) first.

    Thread-safe as ``draw`` is: a deque's ``append`` and ``popleft`` are
    atomic. An id given back was never stored, so any command may take it.
    """

    __slots__ = ("_draw", "_given_back")

    def __init__(self, draw: Callable[[], str]) -> None:
        self._draw = draw
        self._given_back: deque[str] = deque()

    def __call__(self) -> str:
        """Return the oldest id given back, else a new one from ``draw``."""
        given_back = self._given_back
        if given_back:
            try:
                return given_back.popleft()
            except IndexError:  # another thread took it meanwhile
                pass
        return self._draw()

    def give_back(self, record_id: str) -> None:
        """Hand ``record_id`` (drawn, never stored) out again at the next draw."""
        self._given_back.append(record_id)
