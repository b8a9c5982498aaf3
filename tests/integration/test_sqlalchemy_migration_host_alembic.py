"""A host's own Alembic history: docs/sqlalchemy.md's ``env.py`` autogenerates scripts that run.

The test takes that ``env.py`` from the docs as it stands, gives it a host
application (``myapp.models``, one table of its own) and a new database, and
runs Alembic as a host would: ``revision --autogenerate``, ``upgrade``,
``check`` (a second autogenerate finds nothing to do) and ``downgrade``.

- One history: sessionkit's metadata is in ``target_metadata``. Without
  ``render_item`` the script named ``sessionkit.adapters.sqlalchemy._types._ExactString``,
  ``UTCDateTime`` and ``Amount`` with no import, and the JSON column's variant
  ``JSONB(astext_type=Text())``: ``NameError`` on upgrade.
- Beside ``upgrade``: ``target_metadata = Base.metadata``. Without
  ``include_object`` the script dropped every sessionkit table and
  ``sessionkit_alembic_version``.
- One history, sessionkit upgraded: over tables an earlier sessionkit made, the
  script autogenerate writes drops the bookings' old index before creating the
  one replacing it, which MySQL/MariaDB refuse (1553: a foreign key needs it);
  with the two lines moved as the docs say, it runs both ways.

SQLite always; PostgreSQL and MariaDB when ``SESSIONKIT_TEST_POSTGRES_URL`` and
``SESSIONKIT_TEST_MYSQL_URL`` are set (a schema or database of its own, dropped after).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import alembic
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sessionkit.adapters.sqlalchemy import metadata, upgrade
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE

DOCS = Path(__file__).parents[2] / "docs" / "sqlalchemy.md"
ONE_HISTORY = "target_metadata = [Base.metadata, sessionkit_metadata]"
BESIDE_UPGRADE = "target_metadata = Base.metadata"
HOST_TABLE = "host_orders"
OLD_SEATS = "ix_sessionkit_bookings_tenant_session_id_status"
"""The bookings' index that 0013_booking_seats_index replaces..."""
NEW_SEATS = "ix_sessionkit_bookings_seats"
"""...and the one replacing it."""

MODELS = f'''"""The host application's own tables."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "{HOST_TABLE}"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note: Mapped[str] = mapped_column(String(50))
'''


def documented_env() -> str:
    """Return the ``env.py`` that docs/sqlalchemy.md shows for a host's own history."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    [env] = [block for block in blocks if "context.configure(" in block]
    assert ONE_HISTORY in env
    return str(env)


@pytest.fixture(scope="module", autouse=True)
def host_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Make ``myapp.models`` importable, as the documented ``env.py`` imports it."""
    root = tmp_path_factory.mktemp("host_app")
    (root / "myapp").mkdir()
    (root / "myapp" / "__init__.py").write_text("")
    (root / "myapp" / "models.py").write_text(MODELS)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        yield
    for name in ("myapp.models", "myapp"):
        sys.modules.pop(name, None)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a new database with no tables; drop it afterwards."""
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'host.sqlite3'}"
        return
    variable = f"SESSIONKIT_TEST_{request.param.upper()}_URL"
    server = os.environ.get(variable)
    if not server:
        pytest.skip(f"set {variable} to run this on {request.param}")
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    if request.param == "postgres":
        make, drop = f'CREATE SCHEMA "{name}"', f'DROP SCHEMA IF EXISTS "{name}" CASCADE'
        url = make_url(server).update_query_dict({"options": f"-csearch_path={name},public"})
    else:
        make, drop = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4", f"DROP DATABASE `{name}`"
        url = make_url(server).set(database=name)
    try:
        with admin.connect() as connection:
            connection.execute(text(make))
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(drop))
        admin.dispose()


def _alembic(directory: Path, url: str, env: str) -> Config:
    """Return the Config of a host's Alembic directory with ``env`` as its ``env.py``."""
    scripts = directory / "migrations"
    (scripts / "versions").mkdir(parents=True)
    template = Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako"
    shutil.copy(template, scripts)
    (scripts / "env.py").write_text(env)
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ini interpolation
    return config


def _autogenerate(config: Config, directory: Path) -> str:
    command.revision(config, message="host", autogenerate=True)
    [script] = (directory / "migrations" / "versions").glob("*.py")
    return script.read_text()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_one_history_autogenerates_sessionkit_s_tables_into_a_script_that_runs(
    database_url: str, tmp_path: Path
) -> None:
    config = _alembic(tmp_path, database_url, documented_env())
    written = _autogenerate(config, tmp_path)
    assert "from sessionkit.adapters.sqlalchemy import schema as sessionkit_schema" in written
    assert "sessionkit_schema.key_type(128)" in written
    assert "sessionkit_schema.JSONValue" in written
    assert "_types" not in written
    command.upgrade(config, "head")  # NameError: name 'sessionkit' is not defined
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        assert _tables(engine) == {*metadata.tables, HOST_TABLE, "alembic_version"}
        command.check(config)  # a second autogenerate: nothing to do
        if engine.dialect.name != "mysql":  # Alembic's downgrade drops indexes FKs need (1553)
            command.downgrade(config, "base")
            assert _tables(engine) == {"alembic_version"}
    finally:
        engine.dispose()


def test_beside_upgrade_autogenerate_leaves_sessionkit_s_tables_alone(
    database_url: str, tmp_path: Path
) -> None:
    env = documented_env().replace(ONE_HISTORY, BESIDE_UPGRADE)
    config = _alembic(tmp_path, database_url, env)
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        upgrade(engine)
        written = _autogenerate(config, tmp_path)
        assert HOST_TABLE in written
        assert "sessionkit" not in written  # dropped every table and the version table
        command.upgrade(config, "head")
        command.check(config)
        sessionkit_tables = {*metadata.tables, VERSION_TABLE}
        assert _tables(engine) == {*sessionkit_tables, HOST_TABLE, "alembic_version"}
        command.downgrade(config, "base")
        assert _tables(engine) == {*sessionkit_tables, "alembic_version"}
        upgrade(engine)  # still at sessionkit's head
    finally:
        engine.dispose()


def _create_before_drop(script: Path, dropped: str, created: str) -> None:
    """Move ``created``'s ``create_index`` above ``dropped``'s ``drop_index``, as the docs say."""
    lines = script.read_text().splitlines(keepends=True)
    drop = next(n for n, line in enumerate(lines) if "op.drop_index(" in line and dropped in line)
    create = next(n for n, ln in enumerate(lines) if "op.create_index(" in ln and created in ln)
    assert drop < create  # as Alembic writes it
    lines.insert(drop, lines.pop(create))
    script.write_text("".join(lines))


def test_after_a_sessionkit_upgrade_one_history_writes_its_changes_into_a_script_that_runs(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        # The tables the host's history made with an earlier sessionkit (revision 0012).
        upgrade(engine, "0012_attendance")
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
        config = _alembic(tmp_path, database_url, documented_env())
        _autogenerate(config, tmp_path)
        [script] = (tmp_path / "migrations" / "versions").glob("*.py")
        _create_before_drop(script, OLD_SEATS, NEW_SEATS)  # MySQL: 1553 on the drop
        _create_before_drop(script, NEW_SEATS, OLD_SEATS)  # the downgrade's pair
        command.upgrade(config, "head")
        indexes = {i["name"] for i in inspect(engine).get_indexes("sessionkit_bookings")}
        assert NEW_SEATS in indexes
        assert OLD_SEATS not in indexes
        assert "sessionkit_journal" in _tables(engine)
        command.check(config)  # a second autogenerate: nothing to do
        command.downgrade(config, "base")
        indexes = {i["name"] for i in inspect(engine).get_indexes("sessionkit_bookings")}
        assert OLD_SEATS in indexes
        assert NEW_SEATS not in indexes
        assert "sessionkit_journal" not in _tables(engine)
    finally:
        engine.dispose()
