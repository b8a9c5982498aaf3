"""The bookings, payments, usage, attendance and reschedules are exported where sessions are.

A new user's ``from sessionkit.model import Booking`` was an ImportError (``Booking``
lived in ``sessionkit.model.booking`` only), and ``sessionkit`` exported ``Session``,
``Series`` and ``Money`` but no booking or payment. Each aggregate's main values are
now exported by ``sessionkit.model`` and ``sessionkit``, and every domain event by
``sessionkit.model`` (as the session's events are), all imported on first use.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from tests._fresh_python import run_python

import sessionkit
import sessionkit.model
from sessionkit.model.events import DomainEvent

VALUES = {
    "sessionkit.model.attendance": ("Attendance", "PresenceEvent"),
    "sessionkit.model.booking": ("BookableSession", "Booking"),
    "sessionkit.model.payment": ("Payment", "PaymentEvent"),
    "sessionkit.model.reschedule": ("RescheduleRequest",),
    "sessionkit.model.usage": ("Balance", "UsageEntry"),
}
"""The values added to both packages, by the module that defines them."""


def test_a_new_user_imports_booking_and_payment_from_the_model_and_the_package() -> None:
    out = run_python(
        """
        import sys
        from sessionkit.model import Booking, BookableSession, BookingHeld, Payment
        from sessionkit import Booking as B, BookableSession as BS, Payment as P
        print(Booking is B, BookableSession is BS, Payment is P)
        print(Booking.__module__, BookingHeld.__module__, Payment.__module__)
        """
    )
    assert out == [
        "True True True",
        "sessionkit.model.booking sessionkit.model.booking_events sessionkit.model.payment",
    ]


def test_each_value_is_its_modules_object_in_both_packages() -> None:
    for module, names in VALUES.items():
        for name in names:
            value = getattr(importlib.import_module(module), name)
            assert getattr(sessionkit.model, name) is value, name
            assert getattr(sessionkit, name) is value, name
            assert name in sessionkit.model.__all__, name
            assert name in sessionkit.__all__, name


def test_every_domain_event_of_the_model_is_exported_by_the_model() -> None:
    # The session's events are; an aggregate's new event is caught here if it is not.
    events = {
        name
        for info in pkgutil.iter_modules(sessionkit.model.__path__)
        for name, value in vars(importlib.import_module(f"sessionkit.model.{info.name}")).items()
        if inspect.isclass(value) and issubclass(value, DomainEvent)
    }
    assert len(events) == 20  # the session's 9, the booking's 8, payment, reschedule, usage
    assert sorted(events - set(sessionkit.model.__all__)) == []
    # Not from the package: it exports no event of the session's either.
    assert sorted(events & set(sessionkit.__all__)) == []


def test_status_names_shared_by_several_aggregates_stay_in_their_modules() -> None:
    # CANCELLED is a booking's and a payment's status, PENDING a payment's, a reschedule's
    # and an attendance's: from sessionkit.model it would say whose by accident.
    for name in ("CANCELLED", "EXPIRED", "NEW", "PENDING", "HELD", "PAID"):
        assert not hasattr(sessionkit.model, name), name
        assert name not in sessionkit.__all__, name
    assert sessionkit.model.booking.HELD == "HELD"


def test_using_a_value_imports_its_module_and_no_other_aggregates() -> None:
    out = run_python(
        """
        import sys
        from sessionkit.model import Booking
        others = ("payment", "usage", "attendance", "reschedule", "booking_events", "events")
        print([m for m in others if f"sessionkit.model.{m}" in sys.modules])
        import sessionkit
        sessionkit.Payment
        print("sessionkit.model.payment" in sys.modules, "sessionkit.services" in sys.modules)
        """
    )
    assert out == ["[]", "True False"]
