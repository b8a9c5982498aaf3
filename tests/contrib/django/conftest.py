"""Django for the tests here: the one configuration ``tests/django_app/conftest.py`` makes.

Django is configured once per process. Importing that conftest configures it
(guarded, so it happens once whichever directory pytest collects first), and
pytest's importlib mode gives that module one name, so both directories share
its settings and its PostgreSQL database name.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("django") is None:
    collect_ignore_glob = ["test_*.py"]  # the django extra is not installed
else:
    import tests.django_app.conftest  # noqa: F401  # configures Django
