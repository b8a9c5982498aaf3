"""``sessionkit.policies`` and ``sessionkit.model`` import a public name on its first use (PEP 562).

Hypothesis imports sessionkit's ``hypothesis`` entry point in every project of the
environment, and the entry point needs ``BookingRules``, ``Session`` and
``Booking`` only: the two packages' ``__init__`` imported every policy (pricing,
refunds, no-shows, notice, retries, and the model modules they need) and the
model's events, queries and series, 91 sessionkit modules where 72 do. The names,
``__all__`` and what ``from ... import`` gives are the same objects as before.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest
from tests._fresh_python import run_python

import sessionkit.model
import sessionkit.policies

BEFORE: dict[str, dict[str, tuple[str, ...]]] = {
    # What each package's __init__ imported eagerly, and from where (written out: a name
    # moved in _FROM by mistake is caught here).
    "sessionkit.policies": {
        "sessionkit.policies.booking": (
            "BookingRules",
            "Refusal",
            "RulesFor",
            "check_booking_time",
        ),
        "sessionkit.policies.money": (
            "Fee",
            "FixedPrice",
            "Pricing",
            "PricingFor",
            "Rate",
            "RefundPolicy",
            "RefundTier",
            "SeatPrice",
        ),
        "sessionkit.policies.no_shows": (
            "ATTENDED",
            "HOST_NO_SHOW",
            "NO_SHOW",
            "AttendanceOutcome",
            "NoShowRefund",
            "Outcome",
            "outcome_of",
            "refund_for",
            "uses_credit",
        ),
        "sessionkit.policies.notice": (
            "ACTIONS",
            "Action",
            "NoticePolicy",
            "NoticeRule",
            "NoticeWindow",
            "coaching_notice",
        ),
        "sessionkit.policies.retries": ("PaymentRetries",),
    },
    "sessionkit.model": {
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
    },
}
ADDED: dict[str, dict[str, tuple[str, ...]]] = {
    # Names exported since, as lazily (a new user's `from sessionkit.model import Booking` was
    # an ImportError): each aggregate's main values, and every domain event as the session's.
    "sessionkit.policies": {},
    "sessionkit.model": {
        "sessionkit.model.attendance": ("Attendance", "PresenceEvent"),
        "sessionkit.model.booking": ("BookableSession", "Booking"),
        "sessionkit.model.booking_events": (
            "BookingCancelled",
            "BookingConfirmed",
            "BookingExpired",
            "BookingHeld",
            "BookingOffered",
            "BookingSeatsCancelled",
            "BookingStatusChanged",
            "BookingWaitlisted",
        ),
        "sessionkit.model.money": ("Money",),
        "sessionkit.model.payment": ("Payment", "PaymentChanged", "PaymentEvent"),
        "sessionkit.model.reschedule": ("RescheduleRequest", "RescheduleStatusChanged"),
        "sessionkit.model.usage": (
            "Balance",
            "SessionCodes",
            "Subscription",
            "UsageEntry",
            "UsageRecorded",
        ),
    },
}
EXPORTED = {package: {**BEFORE[package], **ADDED[package]} for package in BEFORE}
"""What each package exports now, by module: what it imported eagerly, and what was added."""
PACKAGES = {"sessionkit.policies": sessionkit.policies, "sessionkit.model": sessionkit.model}

AT_MOST_AFTER_IMPORT_HYPOTHESIS = 74
"""sessionkit's modules ``import hypothesis`` imports (it was 91 with both packages eager; two
are ``sessionkit._lazy``, the packages' shared ``__getattr__``, and ``errors._shown``)."""


def test_import_hypothesis_imports_no_policy_or_model_module_it_does_not_use() -> None:
    out = run_python(
        """
        import sys
        import hypothesis
        ours = [m for m in sys.modules if m.startswith("sessionkit")]
        print(len(ours))
        unused = ["sessionkit.policies." + m for m in ("money", "no_shows", "notice", "retries")]
        unused += ["sessionkit.model." + m for m in ("events", "query", "series", "money")]
        print([m for m in unused if m in sys.modules])
        print([m for m in ("sessionkit.policies.booking", "sessionkit.model.session")
               if m not in sys.modules])
        """
    )
    assert int(out[0]) <= AT_MOST_AFTER_IMPORT_HYPOTHESIS, out
    assert out[1:] == ["[]", "[]"]


@pytest.mark.parametrize("package", sorted(BEFORE))
def test_every_name_is_the_object_it_was(package: str) -> None:
    # In a fresh interpreter, where each name goes through the __getattr__ once: by
    # from-import, by attribute, and by star-import.
    before = {name: module for module, names in EXPORTED[package].items() for name in names}
    out = run_python(
        f"""
        import importlib
        from {package} import *
        import {package} as package
        before = {before!r}
        star = dict(globals())
        print(sorted(package.__all__) == sorted(before))
        print([n for n, m in before.items()
               if not getattr(package, n) is star[n] is getattr(importlib.import_module(m), n)])
        """
    )
    assert out == ["True", "[]"]


@pytest.mark.parametrize("package", sorted(BEFORE))
def test_the_type_checking_imports_the_lazy_table_and_all_name_the_same(package: str) -> None:
    # Three lists of one set of names (what type checkers see, what __getattr__ imports,
    # what is exported): a name added to one only is caught here.
    module = PACKAGES[package]
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    (checking,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and ast.unparse(node.test) in ("TYPE_CHECKING", "_typing.TYPE_CHECKING")
    ]
    seen = {
        node.module: tuple(alias.name for alias in node.names)
        for node in checking.body
        if isinstance(node, ast.ImportFrom)
    }
    assert seen == module._FROM == EXPORTED[package]
    assert sorted(module.__all__) == sorted(n for names in seen.values() for n in names)
    # Nothing of sessionkit is imported with the package but the lazy machinery (which
    # imports nothing): its modules are imported on use.
    eager = [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [n for n in eager if "sessionkit" in n] == [
        "from sessionkit._lazy import lazy_attributes as _lazy_attributes"
    ]


@pytest.mark.parametrize("package", sorted(BEFORE))
def test_modules_and_names_are_listed_and_reached_unknown_ones_are_not(package: str) -> None:
    out = run_python(
        f"""
        import pkgutil, sys
        import {package} as package
        modules = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
        print(sorted(set(package.__all__) | set(modules)) == sorted(
            set(dir(package)) & (set(package.__all__) | set(modules))))
        print([m for m in modules if getattr(package, m) is not sys.modules[f"{package}." + m]])
        print(hasattr(package, "no_such_name"), hasattr(package, "__wrapped__"))
        """
    )
    assert out == ["True", "[]", "False False"]


def test_an_attribute_error_while_importing_a_name_is_an_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Out of __getattr__ it would mean "no such name": from-import would say "cannot
    # import name" and hasattr False, the failure inside the import lost.
    policies: ModuleType = importlib.import_module("sessionkit.policies")
    monkeypatch.setitem(policies._MODULE_OF, "Lost", "sessionkit.policies.retries")
    with pytest.raises(ImportError, match=r"sessionkit\.policies\.Lost could not be imported"):
        policies.Lost  # noqa: B018  # the attribute read is the test
