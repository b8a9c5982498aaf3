"""A host's own models pointing at sessionkit's: a delete they refuse is ``StillReferenced``.

A host may point at a session with any foreign key Django offers:
``PROTECT`` (with a reverse accessor or hidden, ``related_name="+"``),
``RESTRICT``, or ``CASCADE`` to a row that something else protects. Whichever
refuses the delete, the store raises sessionkit's ``StillReferenced`` with the
referring rows counted per kind (never Django's ``ProtectedError`` or
``RestrictedError``), and the session is kept.

The host models are registered in sessionkit's app for this module only
(Django's delete finds only relations from installed apps' models) and their
tables made and dropped around each test, so no other test sees them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connections, models

from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.errors import StillReferenced
from sessionkit.testing.contract import TENANT, make_session

from .conftest import POSTGRES_URL, clear

LABEL = "sessionkit"
"""The installed app the host models join while this module runs (unregistered after)."""


def _host_models() -> dict[str, type[models.Model]]:
    """The host's models, by the kind name sessionkit gives them (their model name)."""

    class HiddenProtect(models.Model):
        session: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
            SessionRecord, on_delete=models.PROTECT, related_name="+"
        )

        class Meta:
            app_label = LABEL
            db_table = "sessionkit_test_hidden_protect"

    class Restrict(models.Model):
        session: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
            SessionRecord, on_delete=models.RESTRICT, related_name="test_restricting"
        )

        class Meta:
            app_label = LABEL
            db_table = "sessionkit_test_restrict"

    class HiddenRestrict(models.Model):
        # Twice at one session: one row, counted once.
        session: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
            SessionRecord, on_delete=models.RESTRICT, related_name="+"
        )
        again: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
            SessionRecord, on_delete=models.RESTRICT, related_name="+"
        )

        class Meta:
            app_label = LABEL
            db_table = "sessionkit_test_hidden_restrict"

    class Cascade(models.Model):
        session: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
            SessionRecord, on_delete=models.CASCADE, related_name="+"
        )

        class Meta:
            app_label = LABEL
            db_table = "sessionkit_test_cascade"

    class Guard(models.Model):
        # Protects a row the session's delete would cascade to: only Django's delete sees it.
        cascade: models.ForeignKey[Cascade, Cascade] = models.ForeignKey(
            Cascade, on_delete=models.PROTECT, related_name="+"
        )

        class Meta:
            app_label = LABEL
            db_table = "sessionkit_test_guard"

    made: list[type[models.Model]] = [HiddenProtect, Restrict, HiddenRestrict, Cascade, Guard]
    return {str(model._meta.model_name): model for model in made}


@pytest.fixture(scope="module")
def host_models() -> Iterator[dict[str, type[models.Model]]]:
    """The host models, registered for this module and unregistered after it."""
    made = _host_models()
    try:
        yield made
    finally:
        for name in made:
            del apps.all_models[LABEL][name]
        delattr(SessionRecord, "test_restricting")  # the one reverse accessor they added
        apps.clear_cache()  # SessionRecord's relations are computed afresh, without them


@pytest.fixture(params=["sqlite", "postgres"])
def host(
    request: pytest.FixtureRequest, host_models: dict[str, type[models.Model]]
) -> Iterator[tuple[str, dict[str, type[models.Model]]]]:
    """An alias with the host models' tables (dropped after) and no sessionkit rows."""
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests")
    using: str = request.getfixturevalue(
        "postgres_db" if request.param == "postgres" else "sqlite_db"
    )
    clear(using)
    with connections[using].schema_editor() as editor:
        for model in host_models.values():
            editor.create_model(model)
    try:
        yield using, host_models
    finally:
        with connections[using].schema_editor() as editor:
            for model in reversed(host_models.values()):
                editor.delete_model(model)
        clear(using)


def _session(using: str, session_id: str) -> Any:
    store = DjangoStore(using=using)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session(session_id, resources=()))
        uow.commit()
    return SessionRecord.objects.using(using).get(record_id=session_id)


def _delete(using: str, session_id: str) -> None:
    with DjangoStore(using=using).unit_of_work() as uow:
        uow.sessions.delete(TENANT, session_id, expected_version=1)
        uow.commit()


def _kept(using: str, session_id: str) -> bool:
    return SessionRecord.objects.using(using).filter(record_id=session_id).exists()


@pytest.mark.parametrize("name", ["hiddenprotect", "restrict"])
def test_a_host_row_protecting_or_restricting_a_session_keeps_it(
    host: tuple[str, dict[str, type[models.Model]]], name: str
) -> None:
    """``PROTECT`` with ``related_name="+"`` and ``RESTRICT`` refuse as a plain ``PROTECT`` does."""
    using, made = host
    row = _session(using, "a")
    referring = made[name]._default_manager.db_manager(using)
    referring.create(session=row)
    referring.create(session=row)
    with pytest.raises(StillReferenced) as caught:
        _delete(using, "a")
    assert caught.value.referenced_by == {name: 2}
    assert (caught.value.kind, caught.value.record_id) == ("session", "a")
    assert _kept(using, "a")
    referring.all().delete()
    _delete(using, "a")  # nothing points at it any more
    assert not _kept(using, "a")


def test_a_host_row_pointing_twice_counts_once(
    host: tuple[str, dict[str, type[models.Model]]],
) -> None:
    using, made = host
    row = _session(using, "a")
    made["hiddenrestrict"]._default_manager.db_manager(using).create(session=row, again=row)
    with pytest.raises(StillReferenced) as caught:
        _delete(using, "a")
    assert caught.value.referenced_by == {"hiddenrestrict": 1}
    assert _kept(using, "a")
    made["hiddenrestrict"]._default_manager.db_manager(using).all().delete()


def test_a_protected_row_the_delete_cascades_to_keeps_the_session(
    host: tuple[str, dict[str, type[models.Model]]],
) -> None:
    """Django's own refusal, past the count of direct referrers, is ``StillReferenced`` too."""
    using, made = host
    row = _session(using, "a")
    cascade = made["cascade"]._default_manager.db_manager(using).create(session=row)
    made["guard"]._default_manager.db_manager(using).create(cascade=cascade)
    with pytest.raises(StillReferenced) as caught:
        _delete(using, "a")
    assert caught.value.referenced_by == {"guard": 1}
    assert isinstance(caught.value.__cause__, models.ProtectedError)
    assert _kept(using, "a")
    assert made["cascade"]._default_manager.db_manager(using).count() == 1  # undone
    made["guard"]._default_manager.db_manager(using).all().delete()
    _delete(using, "a")
    assert made["cascade"]._default_manager.db_manager(using).count() == 0
