"""Model fields of the Django adapter: :class:`AmountField`, an exact money amount.

Django's ``DecimalField`` is exact on PostgreSQL but not on SQLite, where its
values come back through a float with 15 significant digits
(``999999999999999.999999`` would not survive). An :class:`AmountField` is
``numeric(21, 6)`` where the database has an exact decimal type and the
fixed-point text of the value on SQLite; either way it reads back as a
``Decimal`` equal to what was written. A value the column cannot hold
exactly (more than six places, 1e15 and above) is refused, never rounded:
``full_clean()`` says so on the field (``ValidationError``), and a form's field is a
``DecimalField`` of the column's digits and places.
Migrations refer to it by this module's path: it stays here.

Being text on SQLite, the column compares and sorts as text there in the ORM
(``"10" < "100" < "2.5" < "9"``): :func:`numeric_amount` is the amount as a
number, to filter and order by on every backend (the admin sorts by it).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast

from sessionkit.errors import UnknownCurrency
from sessionkit.errors._base import shown
from sessionkit.model.money import DECIMALS, minor_unit

if TYPE_CHECKING:
    _DecimalField = models.Field[Decimal, Decimal]
else:  # generic in django-stubs only
    _DecimalField = models.Field

__all__ = [
    "AMOUNT_PRECISION",
    "AMOUNT_SCALE",
    "AmountField",
    "exact_amount",
    "numeric_amount",
    "shown_amount",
]

AMOUNT_SCALE = 6
"""Decimal places an amount column keeps: the minor unit (at most 4) and sub-units."""
AMOUNT_PRECISION = 15 + AMOUNT_SCALE
"""Digits an amount column keeps: 15 before the point (amounts are below 1e15)."""
_STEP = Decimal(1).scaleb(-AMOUNT_SCALE)
_LIMIT = Decimal(10) ** (AMOUNT_PRECISION - AMOUNT_SCALE)


def exact_amount(value: Decimal) -> Decimal | None:
    """Return ``value`` with :data:`AMOUNT_SCALE` places, or ``None`` if that would change it."""
    try:
        fixed = value.quantize(_STEP)
    except InvalidOperation:  # more digits than the context's precision: far too big
        return None
    return fixed if fixed == value and abs(fixed) < _LIMIT else None


def shown_amount(value: Decimal, currency: str) -> Decimal:
    """Return ``value`` to ``currency``'s minor unit (60.00 EUR, not 60.000000), as Money shows it.

    Places beyond the minor unit that the value really has (0.125 EUR) are
    kept; a code no minor unit is known for leaves the value as stored. In
    Money's decimal context, not the thread's: a host's lower precision made
    the admin's list a 500 (``InvalidOperation``) or showed an amount rounded.
    """
    try:
        places = Decimal(1).scaleb(-minor_unit(currency), context=DECIMALS)
    except UnknownCurrency:
        return value
    rounded = value.quantize(places, context=DECIMALS)
    return rounded if rounded == value else value.normalize(context=DECIMALS)


class AmountField(_DecimalField):
    """An exact decimal amount: ``numeric(21, 6)``, or its fixed-point text on SQLite."""

    description = "An exact money amount (numeric(21, 6); text on SQLite)"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        """``varchar`` on SQLite (its ``NUMERIC`` goes through floats), else ``numeric(21, 6)``."""
        if connection.vendor == "sqlite":
            return f"varchar({AMOUNT_PRECISION + 2})"  # the sign and the point
        return f"numeric({AMOUNT_PRECISION}, {AMOUNT_SCALE})"

    def get_db_prep_value(
        self,
        value: Any,
        connection: BaseDatabaseWrapper,
        prepared: bool = False,  # noqa: ARG002  # Django's signature
    ) -> Any:
        """Check the column holds ``value`` exactly; its text on SQLite."""
        if value is None:
            return None
        amount = self.to_python(value)
        assert amount is not None
        fixed = exact_amount(amount)
        if fixed is None:
            raise ValueError(
                f"{amount} does not fit an amount column exactly (at most {AMOUNT_SCALE} "
                f"decimal places, below {_LIMIT:.0E})"
            )
        return format(fixed, "f") if connection.vendor == "sqlite" else fixed

    def from_db_value(
        self,
        value: Any,
        expression: Any,  # noqa: ARG002  # Django's signature
        connection: BaseDatabaseWrapper,  # noqa: ARG002
    ) -> Decimal | None:
        """Read the column back as a ``Decimal`` (with the column's six places)."""
        return None if value is None else self.to_python(value)

    def to_python(self, value: Any) -> Decimal | None:
        """Return ``value`` as a ``Decimal`` (``None`` stays ``None``); never from a float.

        Text that is no number is a ``ValidationError``, as Django's fields raise (a
        form or ``full_clean()`` reports it on the field rather than failing).
        """
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise TypeError(f"an amount is never a float, got {shown(value)}")
        try:
            return Decimal(value)
        except (InvalidOperation, TypeError, ValueError) as error:
            raise ValidationError(
                f"{shown(value)} is not an amount", code="invalid", params={"value": value}
            ) from error

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        """Refuse, besides Django's checks, an amount the column would not hold exactly."""
        super().validate(value, model_instance)
        if value is not None and exact_amount(value) is None:
            raise ValidationError(
                f"{value} does not fit an amount column exactly (at most {AMOUNT_SCALE} "
                f"decimal places, below {_LIMIT:.0E})",
                code="invalid",
                params={"value": value},
            )

    def formfield(self, **kwargs: Any) -> Any:
        """A ``DecimalField`` form field of the column's digits and places."""
        return super().formfield(
            **{
                "form_class": forms.DecimalField,
                "max_digits": AMOUNT_PRECISION,
                "decimal_places": AMOUNT_SCALE,
                **kwargs,
            }
        )


def numeric_amount(expression: str | Combinable) -> Cast:
    """Return the :class:`AmountField` ``expression`` as a number, to compare and order by.

    SQLite holds an amount as its text, so there ``amount__gt`` and
    ``order_by("amount")`` compare text (``"9.000000" > "10.000000"``); the
    cast makes them numeric (through a float on SQLite: amounts that differ
    only past the 15th significant digit compare equal). Elsewhere the column
    is ``numeric(21, 6)`` already and the cast changes nothing. Read amounts
    from the field itself, which alone is exact on SQLite::

        PaymentRecord.objects.alias(value=numeric_amount("amount")).filter(value__gt=50)
        PaymentRecord.objects.order_by(numeric_amount("amount").desc())
    """
    number: models.DecimalField[Decimal, Decimal] = models.DecimalField(
        max_digits=AMOUNT_PRECISION, decimal_places=AMOUNT_SCALE
    )
    return Cast(expression, output_field=number)
