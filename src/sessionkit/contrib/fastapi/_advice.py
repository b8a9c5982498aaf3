"""The API's words for the advice sessionkit's errors give in Python's: the one mapping.

A core error tells a Python caller what to do in Python: call
``kit.payments.book``, pass ``manual=True``, mend a value with
``.replace(tzinfo=...)``. An HTTP client does the same with a route, a body
member, a value sent in another form. :func:`in_api_terms` rewrites a message
so, spelling by spelling: :data:`API_TERMS` holds the spellings one by one
(a kit's calls become their routes, ``idempotency_key`` the header), the
host's ``Limits.<name>`` become "the API's limit on <name>", and the keyword
arguments are rewritten by their shape (``manual=True`` becomes
``"manual": true``). A problem's
``detail`` and its advice fields (:data:`ADVICE_FIELDS`) pass through it
(:func:`~sessionkit.contrib.fastapi.problems.problem_body`); every other
field (the ``rule``, ``allows_at``, the ids, what the client sent) goes out
as the error has it. A test walks the core's messages, so a new Python
spelling cannot reach a client unnoticed.

Some advice is staff's alone to follow: sending ``"manual": true`` (or
``"confirm": true``) with a paid booking, giving a refund or sending one
again. A caller that is not staff would be refused (403) on following it, so
``in_api_terms(text, staff=False)`` first rewrites each such spelling as
:data:`STAFF_ONLY` says: dropped where the message still stands without it,
else said as staff's to do.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sessionkit.errors._base import seconds_text

__all__ = [
    "ADVICE_FIELDS",
    "API_TERMS",
    "STAFF_ONLY",
    "WITH_OFFSET",
    "in_api_terms",
    "in_seconds",
    "whole_seconds",
]

WITH_OFFSET = "e.g. 2026-03-02T10:00:00+01:00, or Z for UTC"
"""How an instant is sent: ISO 8601 with its offset from UTC."""

ADVICE_FIELDS = frozenset({"expected", "reason"})
"""The fields of an error that advise, as its message does (the rest are data)."""

API_TERMS: dict[str, str] = {
    # A kit's calls: the routes that make them.
    "kit.bookings.book": "POST /sessions/{session_id}/bookings or POST /bookings",
    "kit.payments.book": "POST /sessions/{session_id}/paid-bookings or POST /paid-bookings",
    "kit.payments.book(manual=True)": (
        'POST /sessions/{session_id}/paid-bookings or POST /paid-bookings with "manual": true'
    ),
    "kit.payments.claim": "POST /bookings/{booking_id}/claim",
    "kit.payments.refund": "POST /payments/{payment_id}/refunds",
    "kit.usage.mark_makeup": "the host's makeup calls",
    "kit.payments.retry_refund": "POST /payments/{payment_id}/refund-retries",
    "create_extra(fingerprint=...)": "POST /sessions with an Idempotency-Key",
    # A session's fields, as a body names them (an "extra" session is the core's word).
    "an extra session without a series needs a lifecycle name": (
        'a session without a "series_id" needs a "lifecycle"'
    ),
    # A value an instant is read from: sent as ISO 8601 text, with its offset.
    "must be timezone-aware, got naive": "must have a UTC offset, got",
    "attach a zone (e.g. .replace(tzinfo=ZoneInfo('Europe/Berlin')) or UTC)": (
        f"send it with one ({WITH_OFFSET})"
    ),
    "an aware datetime": "an ISO 8601 date-time with a UTC offset",
    # A header the API reads where Python takes a keyword.
    "idempotency_key": "Idempotency-Key",
    # The parts of a value named as the Python class holds them: a client sent text.
    "ResourceRef.kind": "a reference's kind (before its ':')",
    "ResourceRef.id": "a reference's id (after its ':')",
    "a TimeSpan needs end > start": "the end must be after the start",
    # The host's limits, which a client can only stay within.
    "or raise the limit explicitly (Limits.candidates, or max_candidates=)": (
        "or ask the host to raise the API's limit on candidates"
    ),
    "or raise the limit": "or ask the host to raise the limit",
    # The host's wiring, which a client can only report.
    "this kit": "this API",
    "a kit that keeps a journal (SessionKit(journal=True))": "an API whose host keeps a journal",
    "a PaymentGateway": "a payment provider the host configures",
    "a MeetingRooms": "a meeting-room provider the host configures",
    "call MeetingRooms.close_room(tenant=..., session_id=...) again once it is back": (
        "the host closes it once the provider is back"
    ),
    "call MeetingRooms.ensure_room(tenant=..., session_id=..., span=session.span) again "
    "once it is back": "the host opens it once the provider is back",
}
"""Python's spelling of a piece of advice, and the API's."""

STAFF_ONLY: dict[str, str] = {
    # The money the host collects itself: "manual": true, which only staff may send.
    " (manual=True, confirm=True for money the host collects itself)": "",
    ", or manual=True": "",
    # Refunds are staff's (POST /payments/{payment_id}/refunds, /refund-retries).
    "a goodwill refund is kit.payments.refund": "a goodwill refund is staff's to give",
    "; kit.payments.retry_refund sends it again": "; staff can send it again",
}
"""Python's spelling of advice only staff may follow, and what a caller not staff is told."""
_STAFF_SPELLED = re.compile("|".join(map(re.escape, sorted(STAFF_ONLY, key=len, reverse=True))))

_SPELLED = re.compile(
    rf"(?<!\w)(?:{'|'.join(map(re.escape, sorted(API_TERMS, key=len, reverse=True)))})(?!\w)"
)
"""Any of :data:`API_TERMS`, whole (``this kit``, never the start of ``this kitchen``)."""

_HOST_SETTING = re.compile(r"pass SessionKit\((\w+)=\.\.\.\)")
"""``pass SessionKit(gateway=...)``: the host's to configure, not the client's."""
_LIMIT = re.compile(r"\bLimits\.")
"""``Limits.window``: a limit the host sets, named as a ``LimitExceeded`` problem's ``name``.

Rewritten as "the API's limit on window", which reads the same when the name
follows in a message of its own (``f"... Limits.{name} allows"``)."""
_KEYWORD = re.compile(
    r"(?P<call>\b[A-Za-z_]\w*\([^()]*\))"
    r"|\b(?P<name>[a-z][a-z0-9_]*)=(?P<value>True|False|\.\.\.)"
)
"""A keyword argument (``manual=True``, ``start=...``): a body member, in JSON.

One inside a call the API has no words for (``Caller(tenant, actor=...)``, the
host's) is left as the call is: half of it in JSON would read as neither.
"""
_JSON = {"True": "true", "False": "false", "...": "..."}


def _member(match: re.Match[str]) -> str:
    if match["call"]:
        return match["call"]
    return f'"{match["name"]}": {_JSON[match["value"]]}'


def in_api_terms(text: str, *, staff: bool = True) -> str:
    """Return ``text`` with every Python spelling of advice in the API's terms.

    ``staff``: the caller is staff; else the advice only staff may follow is
    left out or said as staff's (:data:`STAFF_ONLY`).
    """
    if not staff:
        text = _STAFF_SPELLED.sub(lambda m: STAFF_ONLY[m[0]], text)
    text = _SPELLED.sub(lambda m: API_TERMS[m[0]], text)
    text = _HOST_SETTING.sub(lambda m: f"the host must configure its {m[1]}", text)
    text = _LIMIT.sub("the API's limit on ", text)
    return _KEYWORD.sub(_member, text)


def whole_seconds(delta: timedelta) -> int:
    """Return ``delta`` as a problem's member carries a duration: whole seconds, an integer.

    A fraction of a second is rounded up (towards the later: 1.5 seconds is 2,
    -1.5 is -1), as a client reads the number as an integer: a value past a
    maximum of whole seconds stays past it, and a wait of that long is enough.
    """
    return -(-delta // timedelta(seconds=1))


def in_seconds(delta: timedelta) -> str:
    """Return ``delta`` as the API tells a duration: its seconds (``"604,800 seconds"``).

    A problem's members carry a duration as its number of seconds
    (:func:`whole_seconds`, a fraction rounded up), so the text a client reads
    beside them names the same number, never Python's ``7 days, 0:00:00``.
    """
    return seconds_text(timedelta(seconds=whole_seconds(delta)))
