"""Packages that import their public names, and their modules, on first use (PEP 562).

:func:`lazy_attributes` makes the ``__getattr__`` and ``__dir__`` of such a package
(``sessionkit.model``, ``sessionkit.policies``): a public name is imported from the
module the package's table names, a module of the package is imported by its name,
and anything else (a dunder above all: ``hasattr(package, "__wrapped__")`` by
inspect, doctest and pickle) is an ``AttributeError`` at once, before the package's
files are listed. A name imported once is kept in the package's namespace, so later
uses never ask again.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping, MutableMapping

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str,
    path: Iterable[str],
    module_of: Mapping[str, str],
    public: Iterable[str],
    namespace: MutableMapping[str, object],
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``.

    ``path`` is its ``__path__``, ``module_of`` maps each public name to the
    module it is imported from, ``public`` is its ``__all__`` and ``namespace``
    its ``globals()``.
    """
    paths = list(path)

    @functools.cache
    def module_names() -> frozenset[str]:
        return frozenset(m.name for m in pkgutil.iter_modules(paths))

    def import_on_first_use(name: str) -> object:
        if name not in module_of and (name.startswith("__") or name not in module_names()):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            if name not in module_of:
                return importlib.import_module(f"{package}.{name}")
            value = getattr(importlib.import_module(module_of[name]), name)
        except AttributeError as exc:
            # Out of __getattr__ it would mean "no such name" (as in sessionkit.__init__).
            raise ImportError(f"{package}.{name} could not be imported: {exc}") from exc
        namespace[name] = value  # later uses find it without this function
        return value

    def listing() -> list[str]:
        """The package's names, its public names and modules, imported yet or not."""
        return sorted({*namespace, *public, *module_names()})

    return import_on_first_use, listing
