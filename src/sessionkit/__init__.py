"""sessionkit: scheduling sessions (classes, lessons, consultations) correctly.

The public API lives here; submodules hold the details. See README.md and docs/.
"""

from __future__ import annotations

from sessionkit.availability import (
    Availability,
    common_free_slots,
    common_free_time,
    free_slots,
    free_time,
)
from sessionkit.conflicts import Conflict, ConflictIndex, find_conflicts
from sessionkit.errors import (
    ExpansionLimitExceeded,
    InvalidAvailability,
    InvalidDuration,
    InvalidLifecycle,
    InvalidRecurrence,
    InvalidTimeSpan,
    InvalidTransition,
    InvalidValue,
    InvalidWindow,
    LifecycleError,
    NaiveDatetime,
    NotADatetime,
    NotASession,
    NotIndexed,
    RepeatedTime,
    SessionKitError,
    SkippedTime,
    TransitionRefused,
    UnknownLifecycle,
    UnknownStatus,
    UnknownTimeZone,
    UnknownTransitionName,
    WallTimeError,
)
from sessionkit.lifecycle import (
    ANY,
    Lifecycle,
    LifecycleRegistry,
    Status,
    StatusChanged,
    Timer,
    Transition,
    Verdict,
    get_lifecycle,
)
from sessionkit.recurrence import Occurrence, Recurrence, Rule, parse_rule
from sessionkit.timespan import TimeSpan
from sessionkit.zones import Disambiguate, RecurrenceDisambiguate, get_zone, resolve_local

__version__ = "0.1.0.dev0"

__all__ = [
    # time model
    "TimeSpan",
    "Disambiguate",
    "RecurrenceDisambiguate",
    "get_zone",
    "resolve_local",
    "Recurrence",
    "Occurrence",
    "Rule",
    "parse_rule",
    # conflicts and availability
    "find_conflicts",
    "Conflict",
    "ConflictIndex",
    "Availability",
    "free_time",
    "free_slots",
    "common_free_time",
    "common_free_slots",
    # lifecycles
    "Lifecycle",
    "Status",
    "Transition",
    "Timer",
    "StatusChanged",
    "Verdict",
    "ANY",
    "LifecycleRegistry",
    "get_lifecycle",
    # errors
    "SessionKitError",
    "InvalidValue",
    "NaiveDatetime",
    "NotADatetime",
    "NotASession",
    "NotIndexed",
    "InvalidTimeSpan",
    "InvalidDuration",
    "InvalidWindow",
    "UnknownTimeZone",
    "InvalidRecurrence",
    "InvalidAvailability",
    "WallTimeError",
    "SkippedTime",
    "RepeatedTime",
    "ExpansionLimitExceeded",
    "LifecycleError",
    "InvalidLifecycle",
    "InvalidTransition",
    "TransitionRefused",
    "UnknownLifecycle",
    "UnknownStatus",
    "UnknownTransitionName",
    "__version__",
]
