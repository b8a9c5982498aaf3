"""What a session occupies: :class:`ResourceRef` and the reading of a list of them.

:class:`ResourceRef` (``teacher:t-17``), :func:`resource_refs` (refs or
``"kind:id"`` texts to the sorted, duplicate-free tuple a record stores) and
:data:`MAX_RESOURCES`. Every aggregate names participants and resources with
them (bookings, payments, attendance, series and schedule items), not the
session alone, so they stand apart from the :class:`Session` record.

Private to :mod:`sessionkit.model.session`, which exports its names under its
own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.model.text import MAX_REF_LENGTH, check_id

__all__ = ["MAX_RESOURCES", "ResourceRef", "resource_refs"]


@attrs.frozen(slots=True, order=True)
class ResourceRef:
    """A typed reference to something a session occupies: ``ResourceRef("teacher", "t-17")``.

    ``kind`` is free text (teacher, room, student, tutor, ...); ``str()`` gives
    ``"teacher:t-17"`` and :meth:`parse` reads it back.
    """

    kind: str
    id: str

    def __attrs_post_init__(self) -> None:
        check_id(self.kind, "ResourceRef.kind", limit=MAX_REF_LENGTH)
        check_id(self.id, "ResourceRef.id", limit=MAX_REF_LENGTH)
        if ":" in self.kind:
            raise InvalidValue(
                f"ResourceRef.kind must be a non-empty string without ':', got {shown(self.kind)}",
                value=self.kind,
                expected="a non-empty string without ':'",
            )
        if len(self.kind) + len(self.id) + 1 > MAX_REF_LENGTH:
            raise InvalidValue(
                f"resource reference {self.kind}:{shown(self.id)} is longer than "
                f"{MAX_REF_LENGTH} characters",
                value=f"{self.kind}:{self.id}",
                expected=f"<= {MAX_REF_LENGTH} characters",
            )

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ResourceRef:
        """Read ``"kind:id"`` back into a ResourceRef."""
        if not isinstance(text, str):
            raise WrongType(text, name="resource", expected="'kind:id' text or a ResourceRef")
        kind, sep, ident = text.partition(":")
        if not sep:
            raise InvalidValue(
                f"a resource reference looks like 'teacher:t-17', got {shown(text)}",
                value=text,
                expected="kind:id",
            )
        return cls(kind, ident)


MAX_RESOURCES = 100
"""The most resources one session (or schedule item) occupies."""


def resource_refs(
    values: Iterable[ResourceRef | str], *, most: int = MAX_RESOURCES
) -> tuple[ResourceRef, ...]:
    """Normalise resources (refs or ``"kind:id"`` strings) to a sorted, duplicate-free tuple.

    At most ``most`` of them (default :data:`MAX_RESOURCES`).
    """
    if isinstance(values, (str, ResourceRef)):
        values = (values,)
    elif isinstance(values, (bytes, Mapping)) or not isinstance(values, Iterable):
        raise WrongType(
            values, name="resources", expected="ResourceRefs or 'kind:id' texts (one or a list)"
        )
    most = check_int(most, name="most", expected="an int")
    refs: set[ResourceRef] = set()
    for value in values:
        refs.add(value if isinstance(value, ResourceRef) else ResourceRef.parse(value))
        if len(refs) > most:
            raise InvalidValue(
                f"at most {most} resources, got more", value=len(refs), expected=f"<= {most}"
            )
    return tuple(sorted(refs))
