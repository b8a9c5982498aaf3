"""The role pattern takes every role a caller may be granted, in every regex engine that reads it.

:data:`~sessionkit.contrib.fastapi.schema_types.ROLE_PATTERN` was ``^\\S([\\s\\S]*\\S)?$``,
and ``\\s`` is another set in each engine: pydantic's (Rust) took ``"student\\x1c"``,
which ``str.strip`` strips, so the route had to refuse it; ECMA-262's, the dialect of
the OpenAPI document a client validates its requests with, refused ``"\\ufeffstudent"``,
a role ``Caller.roles`` grants and the core takes (``str.strip`` keeps U+FEFF), and
took ``"student\\x85"``. The pattern now spells out the characters ``str.strip``
strips, which each engine reads alike (checked against node's ECMA-262 engine too).
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("fastapi")

from pydantic import TypeAdapter, ValidationError

from sessionkit.contrib.fastapi import Caller
from sessionkit.contrib.fastapi.schema_types import ROLE_PATTERN, Role
from sessionkit.errors import InvalidValue

EDGES = sorted(
    {chr(c) for c in range(0x10000) if chr(c).isspace()}
    | {"\ufeff", "\u200b", "\u180e", "\x00", "\x7f", "é", "\U0001f393"}
)
"""Every character ``str.strip`` strips, and some it keeps that look like whitespace."""


def _granted(role: str) -> bool:
    try:
        Caller("acme", roles={role})
    except InvalidValue:
        return False
    return True


def _pydantic(role: str) -> bool:
    try:
        TypeAdapter(Role).validate_python(role)
    except ValidationError:
        return False
    return True


def test_the_schema_takes_a_role_exactly_when_a_caller_may_be_granted_it() -> None:
    judged = {
        ascii(role): (_granted(role), _pydantic(role), re.fullmatch(ROLE_PATTERN, role) is not None)
        for edge in EDGES
        for role in (edge, f"a{edge}", f"{edge}a", f"a{edge}a")
    }
    differing = {role: verdicts for role, verdicts in judged.items() if len(set(verdicts)) > 1}
    assert differing == {}
    assert judged[ascii("\ufeffa")] == (True, True, True)  # ECMA-262 counts U+FEFF as \s
    assert judged[ascii("a\x1c")] == (False, False, False)  # pydantic's \s left it out


def test_the_pattern_names_no_class_an_engine_reads_its_own_way() -> None:
    # \s, \S, \w, \d differ between Rust, ECMA-262 and Python; [\s\S] (any character) does not.
    escapes = set(re.findall(r"\\[A-Za-z]", ROLE_PATTERN.replace(r"[\s\S]", "")))
    assert escapes <= {r"\t", r"\r", r"\x", r"\u"}
