"""``import sessionkit``, and so ``import hypothesis``, import what is used, not every subpackage.

Hypothesis imports sessionkit's ``hypothesis`` entry point, in every project of the
environment, and the package's ``__init__`` imported all of sessionkit (the
services, the ports, 171 modules, about 0.7 s) where registering the strategies
needs the domain types only. The package now imports a public name on its first
use (PEP 562); each check runs in a fresh interpreter, where nothing is imported yet.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests._fresh_python import run_python

import sessionkit

INIT = Path(sessionkit.__file__)


def test_importing_hypothesis_imports_the_domain_types_and_no_service() -> None:
    out = run_python(
        """
        import sys
        import hypothesis
        unused = ("services", "ports", "adapters", "testing.strategies", "cli")
        print(sorted(m for m in unused if f"sessionkit.{m}" in sys.modules))
        print(sorted(m for m in ("sessionkit.model.session", "sessionkit.model.booking")
                     if m in sys.modules))
        """
    )
    assert out == ["[]", "['sessionkit.model.booking', 'sessionkit.model.session']"]


def test_the_types_draw_the_shipped_strategies_once_hypothesis_is_imported() -> None:
    # The strategies' modules are imported when a type is first drawn, not before.
    out = run_python(
        """
        import sys
        from hypothesis import Phase, find, given, settings, strategies as st
        from sessionkit.availability import Availability
        from sessionkit.model.booking import Booking
        from sessionkit.model.session import ResourceRef, Session
        from sessionkit.policies import BookingRules
        from sessionkit.recurrence import Recurrence, Rule
        from sessionkit.timespan import TimeSpan
        print("sessionkit.testing.strategies" in sys.modules)

        @settings(max_examples=10, database=None, deadline=None)
        @given(st.from_type(Session))
        def check(session):
            assert (session.tenant, session.end > session.start) == ("acme", True)

        check()
        print("sessionkit.testing.strategies" in sys.modules)
        kinds = [TimeSpan, Rule, Recurrence, Availability, BookingRules]
        kinds += [Session, Booking, ResourceRef]
        # Any value will do: not shrunk to the least (14 of the test's 24 s, Booking's 6).
        once = settings(database=None, phases=[Phase.generate])
        drawn = [find(st.from_type(kind), lambda v: True, settings=once) for kind in kinds]
        print(all(type(v) is kind for v, kind in zip(drawn, kinds)))
        print(drawn[-1].kind in ("teacher", "room", "student"), drawn[-2].tenant)
        print("sessionkit.services" in sys.modules)
        """
    )
    assert out == ["False", "True", "True", "True acme", "False"]


def test_a_strategy_of_your_own_registered_before_any_draw_wins() -> None:
    # Registered after Hypothesis ran the entry point, before sessionkit's resolver ran once;
    # importing the strategies (which registers them too) keeps it.
    out = run_python(
        """
        from hypothesis import Phase, find, settings, strategies as st
        from sessionkit.testing.strategies import sessions
        from sessionkit.model.session import Session
        st.register_type_strategy(Session, sessions(tenant="mine"))
        import sessionkit.testing.strategies
        once = settings(database=None, phases=[Phase.generate])  # any session: not shrunk
        print(find(st.from_type(Session), lambda s: True, settings=once).tenant)
        """
    )
    assert out == ["mine"]


def test_a_package_that_fails_to_import_still_only_warns() -> None:
    # The package's own first import (the errors) failing, not a subpackage's.
    out = run_python(
        """
        import sys, warnings
        sys.modules["sessionkit.errors"] = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import hypothesis
        print(hypothesis.__name__, [w.category.__name__ for w in caught
                                    if "sessionkit" in str(w.message)])
        """
    )
    assert out == ["hypothesis ['RuntimeWarning']"]


def test_import_sessionkit_imports_only_the_errors() -> None:
    out = run_python(
        """
        import sys, sessionkit
        print(sorted({m.split(".")[1] for m in sys.modules if m.startswith("sessionkit.")}))
        """
    )
    assert out == ["['_startup', 'errors']"]


def test_every_public_name_is_listed_and_resolves_to_its_modules_object() -> None:
    out = run_python(
        """
        import importlib, sys, sessionkit
        print([n for n in sessionkit.__all__ if n not in dir(sessionkit)])
        print("sessionkit.services" in sys.modules)
        home = {n: sessionkit._MODULE_OF.get(n, "sessionkit.errors") for n in sessionkit.__all__}
        del home["__version__"]
        wrong = [n for n, m in home.items()
                 if getattr(sessionkit, n) is not getattr(importlib.import_module(m), n)]
        print(wrong, "sessionkit.services" in sys.modules)
        from sessionkit import SessionKit, Session, ANY, __version__
        print(SessionKit.__name__, Session.__name__, ANY is sessionkit.lifecycle.ANY, __version__)
        """
    )
    assert out == ["[]", "False", "[] True", "SessionKit Session True 0.1.0.dev0"]


def test_the_subpackages_importing_it_bound_are_still_its_attributes() -> None:
    out = run_python(
        """
        import sessionkit
        print(sessionkit.services.SessionKit.__name__, sessionkit.recurrence.Rule.__name__)
        try:
            sessionkit.NoSuchName
        except AttributeError as exc:
            print(exc)
        """
    )
    assert out == ["SessionKit Rule", "module 'sessionkit' has no attribute 'NoSuchName'"]


def test_what_importing_the_package_made_attributes_still_is() -> None:
    # The package imported sessionkit.model.money itself and, through the services, every
    # model module: after import sessionkit, sessionkit.model.money.DECIMALS (docs/payments.md
    # names it) resolved. sessionkit.model alone imports neither.
    out = run_python(
        """
        import sessionkit
        print(sessionkit.model.money.DECIMALS.prec, sessionkit.model.booking.Booking.__name__)
        print(sessionkit.services.payments.RETRY_FIRST, sessionkit.model.usage.__name__)
        """
    )
    assert out == ["28 Booking", "0:01:00 sessionkit.model.usage"]


def test_every_model_module_is_an_attribute_once_hypothesis_imported_the_model() -> None:
    # Hypothesis' entry point imports sessionkit.model and some of its modules, so the
    # package's __getattr__ was no longer asked for it: after import sessionkit,
    # sessionkit.model.usage (payment, journal, analytics, ...) was an AttributeError
    # until something imported it, where import sessionkit had imported every one.
    out = run_python(
        """
        import pkgutil, sys
        import hypothesis
        import sessionkit
        model = sys.modules["sessionkit.model"]
        names = sorted(m.name for m in pkgutil.iter_modules(model.__path__))
        print([n for n in names if f"sessionkit.model.{n}" not in sys.modules])
        print([n for n in names if n not in dir(sessionkit.model)])
        reached = {n: getattr(sessionkit.model, n) for n in names}
        print([n for n, m in reached.items() if m is not sys.modules[f"sessionkit.model.{n}"]])
        print(sessionkit.model.payment.__name__, sessionkit.policies.money.RefundPolicy.__name__)
        print(hasattr(sessionkit.model, "no_such_module"), "sessionkit.services" in sys.modules)
        """
    )
    assert out[0] != "[]"  # the entry point left some unimported: the case this checks
    assert out[1:] == ["[]", "[]", "sessionkit.model.payment RefundPolicy", "False False"]


def test_a_model_module_is_an_attribute_after_import_sessionkit_model() -> None:
    # import sessionkit.model binds it on the package as the entry point does. A private
    # module first: _booking_seats imports booking (which imports it back) by itself.
    out = run_python(
        """
        import sessionkit.model
        print(sessionkit.model._booking_seats.in_session_order.__module__)
        print(sessionkit.model.usage.__name__, sessionkit.model.journal.__name__)
        """
    )
    assert out == ["sessionkit.model.booking", "sessionkit.model.usage sessionkit.model.journal"]


def test_an_attribute_error_while_importing_a_model_module_is_an_import_error() -> None:
    # As the package's (below): out of sessionkit.model's __getattr__ it meant "no such module".
    out = run_python(
        """
        import sys

        class TooOld:
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name == "sessionkit.model.usage":
                    raise AttributeError("module 'attrs' has no attribute 'frozen'")

        sys.meta_path.insert(0, TooOld)
        import sessionkit.model
        try:
            sessionkit.model.usage
        except ImportError as exc:
            print(exc, "|", repr(exc.__cause__))
        """
    )
    cause = "module 'attrs' has no attribute 'frozen'"
    assert out == [
        f"sessionkit.model.usage could not be imported: {cause} | AttributeError({cause!r})"
    ]


def test_dir_lists_the_subpackages_it_reaches() -> None:
    # They were in dir() once the package had imported them; a REPL completes from dir().
    out = run_python(
        """
        import rlcompleter, sessionkit
        print([n for n in sorted(sessionkit._SUBPACKAGES) if n not in dir(sessionkit)])
        print(rlcompleter.Completer({"sessionkit": sessionkit}).complete("sessionkit.serv", 0))
        """
    )
    assert out == ["[]", "sessionkit.services"]


def test_an_attribute_error_while_importing_a_name_is_an_import_error_saying_it() -> None:
    # Raised out of the package's __getattr__, an AttributeError means "no such name": a
    # dependency missing an attribute made from sessionkit import Limits "cannot import name
    # 'Limits'" (its cause lost) and hasattr False, where import sessionkit showed it.
    out = run_python(
        """
        import sys

        class TooOld:
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name == "sessionkit.limits":
                    raise AttributeError("module 'attrs' has no attribute 'frozen'")

        sys.meta_path.insert(0, TooOld)
        import sessionkit
        for use in ("from sessionkit import Limits", "print(hasattr(sessionkit, 'Limits'))",
                    "sessionkit.services"):
            try:
                exec(use)
            except Exception as exc:
                print(type(exc).__name__, "|", exc, "|", repr(exc.__cause__))
        """
    )
    cause = "module 'attrs' has no attribute 'frozen'"
    said = (
        f"ImportError | sessionkit.{{}} could not be imported: {cause} | AttributeError({cause!r})"
    )
    assert out == [said.format("Limits"), said.format("Limits"), said.format("services")]


def _imported_names(statements: list[ast.stmt]) -> dict[str, str]:
    return {
        alias.asname or alias.name: node.module or ""
        for node in statements
        if isinstance(node, ast.ImportFrom) and node.module != "sessionkit"
        for alias in node.names
    }


def test_the_type_checking_imports_the_lazy_table_and_all_name_the_same() -> None:
    # Three lists of one set of names (what type checkers see, what __getattr__ imports,
    # what is exported): a name added to one only is caught here.
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    (checking,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "_typing.TYPE_CHECKING"
    ]
    eager = _imported_names(tree.body)
    lazy = _imported_names(checking.body)
    assert lazy == sessionkit._MODULE_OF
    assert set(eager) | set(lazy) | {"__version__"} == set(sessionkit.__all__)
    assert set(eager) & set(lazy) == set()
    assert set(eager.values()) == {"sessionkit.errors"}
