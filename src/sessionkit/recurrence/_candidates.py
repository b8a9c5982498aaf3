"""Expansion stage 1, candidates: the wall-clock times a rule produces, in wall-clock order.

Wall times are deltas from a naive epoch (see ``_clock``). Candidates start
near the window rather than at DTSTART whenever the rule has no COUNT. DAILY,
WEEKLY and simple MONTHLY / YEARLY rules with one time of day are computed
arithmetically (:data:`CANDIDATES`, in ``_arithmetic``); everything else goes
through ``dateutil.rrule`` (:func:`general`, in ``_general``) in chunks whose
DTSTART is moved to a period boundary close to the window (with every BYxxx
default made explicit, so the move changes nothing).

Every generator spends from a :class:`Budget` of candidate periods (in
``_budget``), which raises :class:`~sessionkit.errors.ExpansionLimitExceeded`
once exhausted. This module gathers the stage's names in one place for
``expand``; the code lives in the three modules named above.
"""

from __future__ import annotations

from sessionkit.recurrence._arithmetic import CANDIDATES, month_days_possible
from sessionkit.recurrence._budget import Budget, Candidates
from sessionkit.recurrence._general import SUBDAY, general

__all__ = ["CANDIDATES", "SUBDAY", "Budget", "Candidates", "general", "month_days_possible"]
