"""A lifecycle's lookups: statuses and transitions by name, and the transitions leaving each status.

:class:`Tables` is built once from a validated definition. It answers a name
with its :class:`~sessionkit.lifecycle.Status` or
:class:`~sessionkit.lifecycle.Transition`, reads a value's current status, and
raises the error that names the lifecycle and lists what it does have
(:class:`~sessionkit.errors.UnknownStatus`,
:class:`~sessionkit.errors.UnknownTransitionName`) when a name is not there.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sessionkit.errors import UnknownStatus, UnknownTransitionName, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle._values import check_value
from sessionkit.lifecycle.definition import Status, Transition

__all__ = ["Tables"]


@attrs.frozen
class Tables:
    """The lookups of the lifecycle called ``lifecycle``, all in declaration order."""

    lifecycle: str
    status_by_name: dict[str, Status]
    transition_by_name: dict[str, Transition]
    leaving: dict[str, tuple[Transition, ...]]

    @classmethod
    def build(
        cls, lifecycle: str, statuses: Sequence[Status], transitions: Sequence[Transition]
    ) -> Tables:
        """Index a validated lifecycle's ``statuses`` and ``transitions``."""
        by_name = {status.name: status for status in statuses}
        leaving = {name: tuple(t for t in transitions if name in t.sources) for name in by_name}
        return cls(lifecycle, by_name, {t.name: t for t in transitions}, leaving)

    def status(self, name: str) -> Status:
        """Return the status called ``name``; raise ``UnknownStatus`` if there is none."""
        if not isinstance(name, str):
            raise WrongType(name, name="status", expected="a status name (str)")
        try:
            return self.status_by_name[name]
        except KeyError:
            raise self.unknown_status(name) from None

    def transition(self, name: str) -> Transition:
        """Return the transition called ``name``; raise ``UnknownTransitionName`` if none."""
        if not isinstance(name, str):
            raise WrongType(name, name="transition", expected="a transition name (str)")
        try:
            return self.transition_by_name[name]
        except KeyError:
            raise UnknownTransitionName(
                f"lifecycle {shown(self.lifecycle)} has no transition {shown(name)}",
                value=name,
                expected=", ".join(self.transition_by_name),
            ) from None

    def current(self, value: object, field: str) -> str:
        """Return the status ``value`` holds in ``field``; raise ``UnknownStatus`` if foreign.

        Raises ``NotASession`` first if ``value`` is not a value the machine can copy,
        and ``WrongType`` naming the field if it holds no name at all (a list, say,
        which could not even be looked up).
        """
        check_value(value, field)
        status = getattr(value, field)
        if not isinstance(status, str):
            raise WrongType(
                status,
                name=f"{type(value).__name__}.{field}",
                expected=f"a status name of lifecycle {shown(self.lifecycle)} (str)",
            )
        if status not in self.status_by_name:
            # A stored value whose lifecycle was changed under it: name the value, and
            # say how to move it on, since nothing can fire from a status not declared.
            raise UnknownStatus(
                f"{type(value).__name__} {shown(getattr(value, 'id', None))} is in status "
                f"{status!r}, which is not a status of lifecycle {self.lifecycle!r}; a "
                "lifecycle changed under stored values must keep the statuses they are in "
                "(with a transition out) until none is left there",
                value=status,
                expected=", ".join(self.status_by_name),
            )
        return self.status_by_name[status].name

    def unknown_status(self, name: object) -> UnknownStatus:
        """Return the error for ``name``, which is not a status of this lifecycle."""
        return UnknownStatus(
            f"{name!r} is not a status of lifecycle {self.lifecycle!r}",
            value=name,
            expected=", ".join(self.status_by_name),
        )
