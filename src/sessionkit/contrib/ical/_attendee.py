"""An ATTENDEE of a single event: its value, and the check of a calendar address.

:class:`IcalAttendee` is what :func:`~sessionkit.contrib.ical.sessions_feed` makes of a
booking and :func:`~sessionkit.contrib.ical.write_ical` writes; :func:`check_address`
refuses an address that is no URI, or one a CR or LF would end early.
"""

from __future__ import annotations

import re

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown

__all__ = ["IcalAttendee", "check_address"]


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f\ud800-\udfff]+")
"""A URI as RFC 3986 starts it (a scheme), with no space or control character (CR, LF),
nor a lone surrogate (no character: write_ical could not encode it)."""
_TOKEN = re.compile(r"[A-Za-z0-9-]+")
"""An RFC 5545 iana-token or x-name: what a PARTSTAT, ROLE or CUTYPE is."""


def check_address(value: object, name: str) -> str:
    """Return ``value`` if it is a calendar address, a URI (``mailto:ana@example.org``).

    ``WrongType`` (naming ``name``) for no text, ``InvalidValue`` for text
    with no scheme, or with a space, a control character (a CR or LF would
    end the ATTENDEE line and start a property of its own) or a lone surrogate.
    """
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected="text (a calendar address URI)")
    if not _URI.fullmatch(value):
        raise InvalidValue(
            f"{name} must be a URI such as 'mailto:ana@example.org', got {shown(value)}",
            value=value,
            expected="a calendar address URI, without spaces or control characters",
        )
    return value


def _token(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    name = f"IcalAttendee.{attribute.name}"
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected="text")
    if not _TOKEN.fullmatch(value):
        raise InvalidValue(
            f"{name} must be a token of letters, digits and '-', got {shown(value)}",
            value=value,
            expected="an RFC 5545 parameter value such as 'ACCEPTED'",
        )


def _seats(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(value, name="IcalAttendee.seats", expected="an int")
    if value < 1:
        raise InvalidValue(
            f"IcalAttendee.seats must be 1 or more, got {value}", value=value, expected=">= 1"
        )


@attrs.frozen
class IcalAttendee:
    """An ATTENDEE of a single event: a calendar address and its RFC 5545 parameters.

    ``address`` is a URI (``mailto:ana@example.org``); ``partstat``, ``role``
    and ``cutype`` are written as PARTSTAT, ROLE and CUTYPE; ``seats`` above
    1 as ``X-SESSIONKIT-SEATS`` (RFC 5545 has no parameter for it).
    """

    address: str = attrs.field(validator=lambda _i, _a, v: check_address(v, "IcalAttendee.address"))
    partstat: str = attrs.field(default="NEEDS-ACTION", validator=_token)
    role: str = attrs.field(default="REQ-PARTICIPANT", validator=_token)
    cutype: str = attrs.field(default="INDIVIDUAL", validator=_token)
    seats: int = attrs.field(default=1, validator=_seats)
