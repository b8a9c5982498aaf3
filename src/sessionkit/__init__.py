"""sessionkit: scheduling sessions (classes, lessons, consultations) correctly.

The public API lives here; submodules hold the details. See README.md and docs/.
"""

from __future__ import annotations

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
    RepeatedTime,
    SessionKitError,
    SkippedTime,
    TransitionRefused,
    UnknownLifecycle,
    UnknownTimeZone,
    WallTimeError,
)
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
    # errors
    "SessionKitError",
    "InvalidValue",
    "NaiveDatetime",
    "NotADatetime",
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
    "__version__",
]
