"""The type checks a lifecycle's building blocks pass when they are built.

A definition is data that is read long after it is written: a guard that is
not callable, or a timer that is a bare ``timedelta``, would otherwise be
accepted and fail with a bare ``TypeError`` on the first fire or tick, far from
the line that declared it. These helpers refuse such values at once with
:class:`~sessionkit.errors.WrongType`, naming the field and what it takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sessionkit.errors import NotADatetime, WrongType

__all__ = ["check_callable", "check_flag", "check_text", "check_timedelta", "items"]


def items(value: object, name: str, expected: str) -> tuple[object, ...]:
    """Return the members of the collection ``value``, else raise ``WrongType`` naming ``name``.

    A single string is refused, never read as letters: ``guards="has_started"``
    is a mistake for ``guards=[has_started]``, not eleven one-letter guards.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise WrongType(value, name=name, expected=expected)
    return tuple(value)


def check_flag(value: object, name: str) -> None:
    """Raise ``WrongType`` unless ``value`` is a ``bool`` (``1`` or ``"yes"`` is a slip)."""
    if not isinstance(value, bool):
        raise WrongType(value, name=name, expected="True or False")


def check_text(value: object, name: str, expected: str = "a str") -> None:
    """Raise ``WrongType`` unless ``value`` is a ``str`` (a StrEnum member is one)."""
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected=expected)


def check_callable(value: object, name: str, expected: str) -> None:
    """Raise ``WrongType`` unless ``value`` can be called, as guards and conditions are."""
    if not callable(value):
        raise WrongType(value, name=name, expected=expected)


def check_timedelta(value: object, name: str) -> None:
    """Raise ``NotADatetime`` unless ``value`` is a ``timedelta``, before it is negated."""
    if not isinstance(value, timedelta):
        raise NotADatetime(value, name=name, expected="timedelta")
