"""The domain model: sessions, series, domain events and queries (frozen attrs values).

Every module of the model is an attribute, imported on its first use if nothing
has imported it yet (a module ``__getattr__``, PEP 562): ``import sessionkit``
imported them all once, through the services, so ``sessionkit.model.usage``
resolved; the package now imports what is used, and once ``sessionkit.model`` is
imported (Hypothesis' entry point imports it) the package's own ``__getattr__`` is
no longer asked for it. So is each name below (``Session``, ``Series``, ...):
Hypothesis' entry point needs the session and booking modules only, not the
events, queries and series. The ``TYPE_CHECKING`` imports name the same for type
checkers and IDEs; a test holds them, ``_FROM`` and ``__all__`` to the same names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionkit._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from sessionkit.model.events import (
        DomainEvent,
        SeriesClosed,
        SeriesUpdated,
        SessionCanceled,
        SessionCreated,
        SessionDeleted,
        SessionsRegenerated,
        SessionStatusChanged,
        SessionUpdated,
    )
    from sessionkit.model.query import MAX_LIMIT, Cursor, Page, SessionQuery, SortField
    from sessionkit.model.series import ScheduleItem, Series, SeriesStatus, WindowPolicy, add_months
    from sessionkit.model.session import (
        MAX_ID_LENGTH,
        MAX_NAME_LENGTH,
        MAX_REF_LENGTH,
        MAX_TITLE_LENGTH,
        ResourceRef,
        Session,
        resource_refs,
    )

_FROM: dict[str, tuple[str, ...]] = {
    "sessionkit.model.events": (
        "DomainEvent",
        "SeriesClosed",
        "SeriesUpdated",
        "SessionCanceled",
        "SessionCreated",
        "SessionDeleted",
        "SessionsRegenerated",
        "SessionStatusChanged",
        "SessionUpdated",
    ),
    "sessionkit.model.query": ("MAX_LIMIT", "Cursor", "Page", "SessionQuery", "SortField"),
    "sessionkit.model.series": (
        "ScheduleItem",
        "Series",
        "SeriesStatus",
        "WindowPolicy",
        "add_months",
    ),
    "sessionkit.model.session": (
        "MAX_ID_LENGTH",
        "MAX_NAME_LENGTH",
        "MAX_REF_LENGTH",
        "MAX_TITLE_LENGTH",
        "ResourceRef",
        "Session",
        "resource_refs",
    ),
}
"""The module of each name imported on first use: the ``TYPE_CHECKING`` imports above."""
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LIMIT",
    "MAX_NAME_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_TITLE_LENGTH",
    "Cursor",
    "DomainEvent",
    "Page",
    "ResourceRef",
    "ScheduleItem",
    "Series",
    "SeriesClosed",
    "SeriesStatus",
    "SeriesUpdated",
    "Session",
    "SessionCanceled",
    "SessionCreated",
    "SessionDeleted",
    "SessionQuery",
    "SessionStatusChanged",
    "SessionUpdated",
    "SessionsRegenerated",
    "SortField",
    "WindowPolicy",
    "add_months",
    "resource_refs",
]


_import_on_first_use, __dir__ = _lazy_attributes(__name__, __path__, _MODULE_OF, __all__, globals())

if not TYPE_CHECKING:  # to a type checker an unknown name stays an error, not an object
    __getattr__ = _import_on_first_use
