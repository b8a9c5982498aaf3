"""What the modules split past the style's ~400 lines moved still reads from the public ones.

Each public module exports what it had under its own name: moved classes and
functions show, pickle and resolve their type hints there, and a contract
keeps its hooks and its tests, in their order (a base it gained holds no
tests). Each test names what moved to the private module beside its public one.
"""

from __future__ import annotations

import pickle
import typing
from datetime import UTC, datetime

from tests.unit._split_guard import pickled_names


def _tests(cls: type) -> list[str]:
    """The test methods pytest collects on a subclass of ``cls``, in its order (bases first)."""
    seen: set[str] = set()
    per_class: list[list[str]] = []
    for base in cls.__mro__:
        names = [n for n in vars(base) if n.startswith("test_") and n not in seen]
        seen.update(names)
        per_class.append(names)
    return [name for names in reversed(per_class) for name in names]


def test_the_payments_contract_keeps_its_names_and_tests() -> None:
    # Moved to _payments_records: make_payment, EXACT_AMOUNTS, the base PaymentsRecordsContract.
    from sessionkit.testing.contract import payments
    from sessionkit.testing.contract._payments_records import PaymentsRecordsContract

    assert payments.__all__ == ["EXACT_AMOUNTS", "PaymentsRepositoryContract", "make_payment"]
    assert payments.make_payment.__module__ == "sessionkit.testing.contract.payments"
    assert pickle.loads(pickle.dumps(payments.make_payment)) is payments.make_payment
    assert pickled_names(payments.make_payment) == {"sessionkit.testing.contract.payments"}
    paid = payments.make_payment("p1", amount="0.125")
    assert (paid.booking_id, str(paid.participant), str(paid.amount.amount)) == (
        "b-p1",
        "student:b-p1",
        "0.125",
    )
    assert ("0.125", "EUR") in payments.EXACT_AMOUNTS
    contract = payments.PaymentsRepositoryContract
    assert contract.kind.name == "payment"
    own = [name for name in vars(contract) if name.startswith("test_")]
    assert _tests(contract)[-len(own) :] == own  # after the generic and the parents' tests
    # Its base from _payments_records holds no tests: pytest's ids and their order stay.
    assert not [name for name in vars(PaymentsRecordsContract) if name.startswith("test_")]
    assert own[0] == "test_a_second_payment_for_a_booking_is_a_duplicate"
    assert own[-1] == "test_paging_with_the_keyset_visits_every_payment_once"
    assert "test_amounts_come_back_exactly" in own


def test_the_analytics_use_contract_keeps_its_names() -> None:
    # Moved to _analytics_use_data: the data set, seed_analytics_use and NOW.
    from sessionkit.testing.contract import analytics_use

    assert analytics_use.__all__ == ["AnalyticsUseContract", "seed_analytics_use"]
    moved = analytics_use.seed_analytics_use
    assert moved.__module__ == "sessionkit.testing.contract.analytics_use"
    assert pickle.loads(pickle.dumps(moved)) is moved
    assert datetime(2026, 3, 6, 13, tzinfo=UTC) == analytics_use.NOW
    tests = _tests(analytics_use.AnalyticsUseContract)
    assert (tests[0], tests[-1]) == (
        "test_attendance_of_the_whole_tenant",
        "test_bad_arguments_are_refused",
    )


def test_the_repository_contract_keeps_its_hooks_and_its_check_of_kind() -> None:
    # Moved to _repository_hooks: the kind, its check, the hooks and helpers (RepositoryHooks).
    import pytest

    from sessionkit.errors import WrongType
    from sessionkit.testing.contract import RepositoryContract
    from sessionkit.testing.contract._repository_hooks import RepositoryHooks

    assert RepositoryContract.__module__ == "sessionkit.testing.contract.repository"
    assert RepositoryContract.__abstractmethods__ >= {"make_record", "change", "make_store"}
    assert RepositoryContract._required_attributes == ("kind",)
    for hook in ("prepare", "collide", "repo", "keep", "ids", "_collision", "_missing_error"):
        assert hasattr(RepositoryContract, hook), hook
    assert not [name for name in vars(RepositoryHooks) if name.startswith("test_")]
    tests = _tests(RepositoryContract)
    assert (tests[0], tests[-1]) == (
        "test_add_then_get_returns_an_equal_record",
        "test_the_unit_hands_out_one_repository_per_kind",
    )
    with pytest.raises(WrongType, match=r"\.TestRooms\.kind"):

        class TestRooms(RepositoryContract[typing.Any]):
            kind = "room"  # type: ignore[assignment]  # the mistake the check catches

            def make_store(self, publisher: typing.Any) -> typing.Any: ...
            def make_record(
                self, record_id: str, *, tenant: str = "", variant: int = 0
            ) -> None: ...
            def change(self, record: typing.Any) -> typing.Any: ...


def test_the_sql_repository_keeps_its_reads() -> None:
    # Moved to _repository_reads: the reads, in SqlRepositoryReads, the base of SqlRepository.
    from sessionkit.adapters.sqlalchemy import SqlRepository

    assert SqlRepository.__module__ == "sessionkit.adapters.sqlalchemy._repository"
    for read in ("get", "get_many", "claim", "_fetch", "_load", "_load_once"):
        assert callable(getattr(SqlRepository, read)), read


def test_moved_coaching_values_keep_the_public_module() -> None:
    # Moved to _coaching_values: Person, Contract, Coaching and Progress.
    from collections.abc import Mapping

    from sessionkit.demo import coaching

    for moved in (coaching.Person, coaching.Contract, coaching.Coaching, coaching.Progress):
        assert moved.__module__ == "sessionkit.demo.coaching", moved
    mia = coaching.Person("student", "mia", "Mia Chen", "America/New_York")
    leo = coaching.Person("coach", "leo", "Leo Brandt", "Europe/Berlin")
    contract = coaching.Contract(
        key="c1", student=mia, coach=leo, subject="Maths", count=6, first=coaching.DEMO_NOW
    )
    figures = coaching.Progress(total=6, statuses={"COMPLETED": 3}, requests={}, moved=1)
    for value in (mia, contract, figures):
        assert pickle.loads(pickle.dumps(value)) == value
        assert pickled_names(value) >= {"sessionkit.demo.coaching"}
        assert not any("._" in name for name in pickled_names(value))
    assert (figures.progress, figures.reschedule_rate) == (0.5, 1 / 6)
    assert typing.get_type_hints(coaching.Contract)["student"] is coaching.Person
    assert typing.get_type_hints(coaching.Progress)["statuses"] == Mapping[str, int]
    assert list(typing.get_type_hints(coaching.Coaching)) == ["kit", "clock", "rooms"]


def test_moved_consulting_names_keep_the_public_module() -> None:
    # Moved to _consulting_platform: the consultants, the rules, price and client_ref.
    from datetime import time

    from sessionkit.demo import consulting
    from sessionkit.model.money import Money

    for moved in (consulting.Consultant, consulting.price, consulting.client_ref):
        assert moved.__module__ == "sessionkit.demo.consulting", moved
        assert pickle.loads(pickle.dumps(moved)) is moved
    priya = consulting.CONSULTANTS[0]
    assert pickle.loads(pickle.dumps(priya)) == priya
    assert not any("._" in name for name in pickled_names(priya))
    hints = typing.get_type_hints(consulting.Consultant)
    assert (hints["hours"], hints["rate"]) == (tuple[tuple[time, time], ...], Money)
    assert consulting.client_ref(" Asha@Example.com").id == "asha@example.com"
    assert consulting.SHOWCASE_NOTICE.total_seconds() == 24 * 3600
    assert consulting.NOTICE.rules[0].notice == consulting.SHOWCASE_NOTICE


def test_moved_academy_names_keep_the_public_module() -> None:
    # Moved to _academy_platform: the settings, schedules, Academy and build_academy.
    from datetime import time

    from sessionkit.demo import academy

    for moved in (academy.Academy, academy.Schedule, academy.build_academy):
        assert moved.__module__ == "sessionkit.demo.academy", moved
    assert academy.first_sessions.__module__ == "sessionkit.demo.academy"
    circle = academy.SCHEDULES[0]
    assert pickle.loads(pickle.dumps(circle)) == circle
    assert "sessionkit.demo.academy" in pickled_names(circle)
    assert not any("._" in name for name in pickled_names(circle))
    assert typing.get_type_hints(academy.Schedule)["at"] is time
    assert list(typing.get_type_hints(academy.Academy)) == ["kit", "clock", "rooms", "events"]
    assert academy.OPEN_ROOMS == ("READY", "ONGOING")
    assert academy.CODES.prefix == "QSE"


def test_methods_a_class_body_took_from_a_private_module_are_its_own() -> None:
    # Moved to _series_change, _reschedule_due, _reschedule_asks and _analytics_clients:
    # methods of public services the class body takes as attributes. Each shows, pickles
    # and resolves its type hints (FastAPI and inspect.signature(eval_str=True) ask) as
    # a method the class defines itself, as before the split.
    import inspect

    from sessionkit.model.analytics import ClientStats
    from sessionkit.model.reschedule import RescheduleRequest
    from sessionkit.policies import Refusal
    from sessionkit.services.analytics import Analytics
    from sessionkit.services.reports import CloseReport, ReconcileReport
    from sessionkit.services.reschedules import (
        RescheduleCommands,
        RescheduleReport,
        SessionOptions,
    )
    from sessionkit.services.series import SeriesCommands

    returns: dict[tuple[type, str], object] = {
        (SeriesCommands, "change_schedule"): ReconcileReport,
        (SeriesCommands, "close"): CloseReport,
        (RescheduleCommands, "approve_due"): RescheduleReport,
        (RescheduleCommands, "answer_due_in"): RescheduleRequest | None,
        (RescheduleCommands, "can_request"): Refusal | None,
        (RescheduleCommands, "options"): SessionOptions,
        (Analytics, "clients"): ClientStats,
    }
    for (cls, name), returned in returns.items():
        method = vars(cls)[name]
        assert inspect.isfunction(method), name  # a function: it binds as a method
        shown = (method.__module__, method.__qualname__)
        assert shown == (cls.__module__, f"{cls.__name__}.{name}")
        assert pickle.loads(pickle.dumps(method)) is method
        assert typing.get_type_hints(method)["return"] == returned, name
        signature = inspect.signature(method, eval_str=True)
        assert signature.return_annotation == returned, name
