"""The app's name tells sessionkit's records from Django's own HTTP sessions.

``django.contrib.sessions`` (in every ``startproject``) is named "Sessions",
and so was sessionkit's app: a user's or group's permissions listed
"Sessions | session | Can change session" twice, one of them the permission
the admin's "cancel sessions" action needs, and the admin's breadcrumbs read
"Home > Sessions > Sessions".
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from tests._versions import needs


@needs("django", "5.0", "before, a permission names its app by app_label")
def test_session_permissions_are_told_apart() -> None:
    ours = str(
        Permission(
            name="Can change session",
            content_type=ContentType(app_label="sessionkit", model="sessionrecord"),
        )
    )
    djangos = str(
        Permission(
            name="Can change session",
            content_type=ContentType(app_label="sessions", model="session"),
        )
    )
    assert (ours, djangos) == (
        "sessionkit | session | Can change session",
        "Sessions | session | Can change session",
    )


def test_app_is_named_sessionkit() -> None:
    assert apps.get_app_config("sessionkit").verbose_name == "sessionkit"
