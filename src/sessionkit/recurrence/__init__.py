"""Recurrence: RFC 5545 rules expanded in local wall-clock time of an IANA zone.

The only part of sessionkit that imports dateutil (an import-linter contract
checks it). See :class:`Recurrence`.
"""

from __future__ import annotations

from sessionkit.recurrence._plan import MAX_CANDIDATES, YEAR_COST, Occurrence
from sessionkit.recurrence.recurrence import Recurrence
from sessionkit.recurrence.rule import FREQUENCIES, WEEKDAYS, Frequency, Rule, Weekday, parse_rule

__all__ = [
    "FREQUENCIES",
    "MAX_CANDIDATES",
    "WEEKDAYS",
    "YEAR_COST",
    "Frequency",
    "Occurrence",
    "Recurrence",
    "Rule",
    "Weekday",
    "parse_rule",
]
