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

import functools
from typing import TYPE_CHECKING

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


@functools.cache
def _module_names() -> frozenset[str]:
    """The names of the package's modules (its files, listed once)."""
    import pkgutil

    return frozenset(m.name for m in pkgutil.iter_modules(__path__))


def _import_on_first_use(name: str) -> object:
    """Import a public name, or a module of the package: the module's ``__getattr__``."""
    import importlib

    # A dunder (hasattr(model, "__wrapped__") by inspect, doctest, pickle) is never a module:
    # refused before the package's files are listed.
    if name not in _MODULE_OF and (name.startswith("__") or name not in _module_names()):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        if name not in _MODULE_OF:
            return importlib.import_module(f"{__name__}.{name}")
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    except AttributeError as exc:
        # Out of __getattr__ it would mean "no such module" (as in sessionkit.__init__).
        raise ImportError(f"{__name__}.{name} could not be imported: {exc}") from exc
    globals()[name] = value  # later uses find it without this function
    return value


def __dir__() -> list[str]:
    """The module's names, public names and modules, imported yet or not (a REPL completes)."""
    return sorted({*globals(), *__all__, *_module_names()})


if not TYPE_CHECKING:  # to a type checker an unknown name stays an error, not an object
    __getattr__ = _import_on_first_use
