"""The Django adapter against the seats-given-back contract: SQLite and PostgreSQL.

A partial cancel stores a booking again with fewer seats
(``kit.bookings.cancel(..., seats=k)``); the Django store is held to what
memory and SQLAlchemy are, in a session over its lowered capacity too.
"""

from __future__ import annotations

from tests.contract.test_booking_seats_given_back_contract import SeatsGivenBackContract

from .conftest import POSTGRES_URL
from .test_django_contract import DjangoFactory


class TestSQLiteSeatsGivenBack(DjangoFactory, SeatsGivenBackContract):
    pass


class TestPostgresSeatsGivenBack(DjangoFactory, SeatsGivenBackContract):
    alias = "postgres"


# Without a server the class is not collected at all.
if not POSTGRES_URL:
    del TestPostgresSeatsGivenBack
