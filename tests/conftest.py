"""Shared pytest configuration: Hypothesis profiles.

``HYPOTHESIS_PROFILE=thorough`` runs many more examples (used before a release);
the default ``fast`` profile keeps the suite quick enough for every commit.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
