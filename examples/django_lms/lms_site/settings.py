"""Settings of the LMS example: SQLite beside manage.py, sessionkit installed as an app."""

from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "sessionkit-example-only"  # noqa: S105  # an example, never deployed
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sessionkit.contrib.django",
    "courses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "lms_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "lms.sqlite3",
    }
}
if django.VERSION >= (5, 1):
    # Writers take the lock when they begin: sessionkit's checks then see every commit.
    # Django before 5.1 hands the option to sqlite3.connect, which refuses it; there
    # sessionkit.W001 warns that racing writers may fail with StorageTimeout instead.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE"}

USE_TZ = True  # sessionkit stores instants
TIME_ZONE = "Europe/Berlin"
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSIONKIT_KIT = "courses.kit.get_kit"
"""The kit the admin actions and ``manage.py sessionkit_tick`` run sessionkit through."""
