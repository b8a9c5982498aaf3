"""sessionkit exports the values the bookings', payments', reschedules' and presence commands give.

Wave 1's reports (``MaterialiseReport`` ... ``TickReport``) were exported from
``sessionkit``; the values wave 2's commands and jobs return, which a user
holds and annotates (``checkout: Checkout = kit.payments.book(...)``), were
reachable only from their services modules. They are exported as lazily as the
rest: importing ``sessionkit`` imports no more modules than it did.
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import sys
import typing
from datetime import UTC, datetime

import pytest
from tests._fresh_python import run_python

import sessionkit
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness

ADDED = {
    "Applied": "sessionkit.services.payments",
    "Checkout": "sessionkit.services.payments",
    "DueReport": "sessionkit.services.payments",
    "CleanupReport": "sessionkit.services",
    "ExpiryReport": "sessionkit.services",
    "GroupCloseReport": "sessionkit.services",
    "PresenceReport": "sessionkit.services.attendance",
    "RescheduleReport": "sessionkit.services.reschedules",
    "SessionOptions": "sessionkit.services.reschedules",
}
"""The names added, and the public module each is imported from on first use."""

NOT_EXPORTED: set[str] = set()
"""Services values a command returns that sessionkit leaves in sessionkit.services: none."""


def test_the_added_names_are_listed_and_imported_from_their_public_modules() -> None:
    assert {name: sessionkit._MODULE_OF.get(name) for name in ADDED} == ADDED
    assert set(ADDED) <= set(sessionkit.__all__)


@pytest.mark.parametrize("name", sorted(ADDED))
def test_each_added_name_is_its_modules_object(name: str) -> None:
    value = getattr(sessionkit, name)
    assert value is getattr(importlib.import_module(ADDED[name]), name)
    assert inspect.isclass(value)
    assert value.__name__ == name
    assert name in importlib.import_module(ADDED[name]).__all__


def test_importing_them_fresh_imports_their_modules_only_then() -> None:
    out = run_python(
        """
        import sys, sessionkit
        count = lambda: len([m for m in sys.modules if m.startswith("sessionkit")])
        print(count(), "sessionkit.services" in sys.modules)
        from sessionkit import Checkout, ExpiryReport, PresenceReport, RescheduleReport
        import sessionkit.services.payments as payments
        print(Checkout is payments.Checkout, "sessionkit.services" in sys.modules)
        """
    )
    assert out == ["12 False", "True True"]  # errors._shown among the 12 (fcd8e8d3)


def _names() -> dict[str, object]:
    """What an annotation of a services module may name, TYPE_CHECKING imports included.

    Every class of sessionkit's imported modules and the abc generics
    (``Iterator``), by name, and the services modules (``fields.GroupCloseReport``).
    """
    names: dict[str, object] = dict(vars(collections.abc))
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("sessionkit"):
            names.update((n, v) for n, v in vars(module).items() if inspect.isclass(v))
            if module.__name__.startswith("sessionkit.services."):
                names[module.__name__.rpartition(".")[2]] = module
    return names


def _returned(cls: type, names: dict[str, object]) -> set[type]:
    """The classes the public methods of ``cls`` are annotated to return (inside any generic)."""

    def leaves(hint: object) -> set[type]:
        args = typing.get_args(hint)
        if args:
            return set().union(*(leaves(arg) for arg in args))
        return {hint} if inspect.isclass(hint) else set()

    found: set[type] = set()
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        hint = member.__annotations__.get("return")
        if not name.startswith("_") and hint is not None:
            # The return annotation only (a parameter's may not resolve), in its module.
            scope = {**names, **member.__globals__}
            found |= leaves(eval(hint, scope) if isinstance(hint, str) else hint)
    return found


def test_every_services_value_a_kits_command_returns_is_exported() -> None:
    kit = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC)).kit
    commands = [SessionKit] + [
        type(value)
        for name, value in vars(kit).items()
        # kit.context is the services' own machinery (units of work), not a command group.
        if not name.startswith("_") and name != "context"
    ]
    names = _names()
    values = {
        returned.__name__
        for cls in commands
        for returned in _returned(cls, names)
        if returned.__module__.startswith("sessionkit.services")
    }
    assert {"Checkout", "TickReport"} <= values  # the walk found the commands and jobs
    assert values - set(sessionkit.__all__) == NOT_EXPORTED
