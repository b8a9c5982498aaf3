"""Session codes: the human-readable code of each session and the template that renders it.

:class:`SessionCodes` (a tenant's ``str.format`` template and the counter that
numbers it, with the checks that every code it renders can be read and typed),
:class:`SessionCode` (the record holding a code unique per tenant),
:func:`code_counter` and :data:`CODE_FIELD`. Kept apart from the usage ledger
(``usage.py``): codes name sessions and share only the counters with it.

Private to :mod:`sessionkit.model.usage`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

import string
from typing import Final

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.model.session import MAX_NAME_LENGTH, check_group, check_identity, check_lengths
from sessionkit.model.text import MAX_ID_LENGTH, check_id, plain_id

__all__ = ["CODE_FIELD", "SessionCode", "SessionCodes", "code_counter"]

CODE_FIELD: Final = "session_code"
"""The session's own field showing its code (the codes table holds it unique)."""

_CODE_NUMBERS: Final = 10**MAX_ID_LENGTH
"""Session codes number below this: a longer number makes no storable code."""


@attrs.frozen(slots=True, kw_only=True)
class SessionCode:
    """The code of session ``id`` (``"QSE-1-000001"``), number ``number`` of counter ``counter``.

    Unique per tenant in every store; a deleted session's code stays taken until a
    session is created again under its id (the record then holds that session's code).
    """

    id: str
    tenant: str
    code: str
    counter: str
    number: int
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_lengths(self, code=MAX_ID_LENGTH, counter=MAX_NAME_LENGTH)


_FIELDS = frozenset({"prefix", "tenant", "n", "group"})


def _check_format(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise WrongType(value, name="format", expected="a str.format template such as '{n:06d}'")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as error:
        raise InvalidValue(
            f"format {shown(value)} is not a str.format template: {error}",
            value=value,
            expected="a template such as '{prefix}-{tenant}-{n:06d}'",
        ) from error
    if "n" not in names or not names <= _FIELDS:
        raise InvalidValue(
            f"format {shown(value)} must use {{n}} and only {sorted(_FIELDS)}, got {sorted(names)}",
            value=value,
            expected="a template with {n} and only {prefix}, {tenant}, {group}, {n}",
        )
    try:  # a spec or conversion its value does not take ({prefix:d}, {n!z}), a nested field
        sample = value.format(prefix="P", tenant="t", group="g", n=1)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
        raise InvalidValue(
            f"format {shown(value)} cannot render a code: {shown(error)}",
            value=value,
            expected="text fields as text and {n} as an integer, e.g. '{prefix}-{n:06d}'",
        ) from error
    if len(sample) > MAX_ID_LENGTH:
        raise InvalidValue(
            f"format {shown(value)} renders codes longer than {MAX_ID_LENGTH} characters",
            value=value,
            expected=f"codes of at most {MAX_ID_LENGTH} characters",
        )


_CODE_RULE: Final = (
    f"codes of 1..{MAX_ID_LENGTH} characters without leading or trailing whitespace or "
    "control characters (people read and type them)"
)


def _code_problem(code: str) -> str | None:
    """What makes ``code`` no session code people can read and type (the rules of ids), or None."""
    if plain_id(code):
        return None
    if not code:
        return "an empty code"
    if len(code) > MAX_ID_LENGTH:
        return f"a code longer than {MAX_ID_LENGTH} characters"
    if code[0].isspace() or code[-1].isspace():
        return "a code with leading or trailing whitespace"
    if any("\ud800" <= c <= "\udfff" for c in code):  # in a str, every surrogate is lone
        return "a code with a lone surrogate"
    try:
        check_id(code, "session code")
    except InvalidValue:
        return "a code with a control character"
    return None


def _check_name(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > 32:
        raise InvalidValue(
            f"{attribute.name} must be text of 1..32 characters, got {shown(value)}",
            value=value,
            expected="1..32 characters",
        )


@attrs.frozen(slots=True)
class SessionCodes:
    """How a tenant's sessions are coded: a ``str.format`` template and the counter it numbers.

    ``format`` may use ``{prefix}``, ``{tenant}``, ``{group}`` (the session's
    group, empty without one) and must use ``{n}``, the counter's next
    number. Sessions of one ``counter`` are numbered 1, 2, 3, ... per tenant.
    A format cannot name its counter: two counters need their own prefix or
    format, else a session whose code another already has is refused
    (``InvalidValue`` naming both counters).

    Codes are shown to people and typed in, so each is 1..128 characters
    without leading or trailing whitespace or control characters. A format
    (with its prefix) whose first code, of a session with a group or
    without, breaks that is refused when built (``"{group:>5}{n}"`` pads with
    spaces); a code that breaks it anyway (a group with surrounding spaces)
    is refused when rendered. Both are ``InvalidValue`` naming the format.
    """

    prefix: str = attrs.field(default="S", validator=_check_name)
    format: str = attrs.field(default="{prefix}-{tenant}-{n:06d}", validator=_check_format)
    counter: str = attrs.field(default="session", validator=_check_name)

    def __attrs_post_init__(self) -> None:
        for group, whose in (("g", "of group 'g'"), ("", "without a group")):
            code = self.format.format(prefix=self.prefix, tenant="t", group=group, n=1)
            problem = _code_problem(code)
            if problem is not None:
                raise InvalidValue(
                    f"format {shown(self.format)} with prefix {shown(self.prefix)} renders "
                    f"{problem} for session 1 of tenant 't' {whose}: {shown(code)}",
                    value=self.format,
                    expected=f"a template rendering {_CODE_RULE}, e.g. '{{prefix}}-{{n:06d}}'",
                )

    def render(self, *, tenant: str, n: int, group: str | None = None) -> str:
        """Return the code of number ``n``; ``InvalidValue`` if it breaks the rules of codes."""
        check_id(tenant, "tenant")
        check_group(group)
        n = check_int(n, name="n", expected="an int")
        if not 0 <= n < _CODE_NUMBERS:
            raise InvalidValue(
                f"a session code's number is >= 0 and at most {MAX_ID_LENGTH} digits long, "
                f"got {shown(n)}",
                value=n,
                expected=f"an int >= 0 of at most {MAX_ID_LENGTH} digits",
            )
        code = self.format.format(prefix=self.prefix, tenant=tenant, n=n, group=group or "")
        problem = _code_problem(code)
        if problem is not None:
            raise InvalidValue(
                f"format {shown(self.format)} renders {problem} for number {n} of tenant "
                f"{shown(tenant)}, group {shown(group)}: {shown(code)}",
                value=code,
                expected=_CODE_RULE,
            )
        return code


def code_counter(name: str) -> str:
    """Return the name of the session-code counter ``name``."""
    if not isinstance(name, str):
        raise WrongType(name, name="counter", expected="a counter's name (text)")
    return f"code:{name}"
