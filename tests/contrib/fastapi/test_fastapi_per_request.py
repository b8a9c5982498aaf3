"""One unit of work per request: the host's session joins every command, commits before the
response starts, and rolls back everything when the request fails after a command.

FastAPI runs the exit code of a ``yield`` dependency after the response is sent unless it is
declared with ``scope="function"``; docs/fastapi.md and docs/sqlalchemy.md show this wiring,
and their code is run here as printed.
"""

# No ``from __future__ import annotations``: FastAPI reads the local aliases at runtime.

import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tests._versions import needs

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.errors import SessionNotFound
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

pytestmark = needs("fastapi", "0.121", "Depends(scope=...)")

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BODY = {
    "start": (NOW + timedelta(days=1)).isoformat(),
    "end": (NOW + timedelta(days=1, hours=1)).isoformat(),
    "lifecycle": "lms",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = create_engine(f"sqlite:///{tmp_path / 'api.sqlite3'}")
        create_schema(made)
        yield made
        made.dispose()
        return
    url = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run on PostgreSQL")
    with postgres_schema(url) as made:
        yield made


class RecordResponses:
    """ASGI middleware noting in ``log`` when a response starts."""

    def __init__(self, app: ASGIApp, log: list[str]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.log.append(f"response {message['status']}")
            await send(message)

        await self.app(scope, receive, sending)


def per_request_app(engine: Engine, log: list[str]) -> FastAPI:
    maker = sessionmaker(engine)
    store = SqlAlchemyStore(maker)
    clock = ManualClock(NOW)

    def get_db() -> Iterator[OrmSession]:
        with maker() as db:
            try:
                yield db
            except Exception:
                db.rollback()
                log.append("rollback")
                raise
            db.commit()
            log.append("commit")

    Db = Annotated[OrmSession, Depends(get_db, scope="function")]  # noqa: N806

    def get_kit(db: Db) -> SessionKit:
        return SessionKit(uow=lambda: store.join(db), clock=clock)

    app = FastAPI()
    router = sessionkit_router(
        kit=get_kit, caller=lambda: Caller("acme", actor="u1", roles={"admin"})
    )

    @router.post("/sessions-then-fail", status_code=201)
    def create_then_fail(kit: Annotated[SessionKit, Depends(get_kit)]) -> dict[str, Any]:
        start = NOW + timedelta(days=1)
        made = kit.sessions.create_extra(
            "acme", actor="u1", start=start, end=start + timedelta(hours=1), lifecycle="lms"
        )
        kit.queries.get("acme", "missing")  # raises SessionNotFound after the command
        return {"id": made.id}

    app.include_router(router, prefix="/v1")
    app.add_middleware(RecordResponses, log=log)
    return app


def stored_sessions(engine: Engine) -> int:
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    return kit.queries.list("acme").total


Run = Callable[[Engine], tuple[TestClient, list[str]]]


@pytest.fixture
def run() -> Iterator[Run]:
    clients: list[TestClient] = []

    def start(engine: Engine) -> tuple[TestClient, list[str]]:
        log: list[str] = []
        client = TestClient(per_request_app(engine, log))
        clients.append(client)
        return client, log

    yield start
    for client in clients:
        client.close()


def test_the_request_commits_before_its_response(engine: Engine, run: Run) -> None:
    client, log = run(engine)
    made = client.post("/v1/sessions", json=BODY)
    assert made.status_code == 201
    assert log == ["commit", "response 201"]
    assert stored_sessions(engine) == 1


def test_an_error_after_the_command_leaves_nothing(engine: Engine, run: Run) -> None:
    client, log = run(engine)
    failed = client.post("/v1/sessions-then-fail")
    assert failed.status_code == 404
    assert failed.json()["error"] == SessionNotFound.__name__
    assert log == ["rollback", "response 404"]
    assert stored_sessions(engine) == 0


# -- the wiring the docs print -------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[3] / "docs"


def printed(doc: str, defines: str) -> str:
    """The one python block of ``docs/<doc>`` that defines ``defines`` (not a doctest)."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    [block] = [str(b) for b in blocks if f"def {defines}(" in b and ">>>" not in b]
    return block


class RecordCommitted:
    """ASGI middleware noting in ``log``, as a response starts, the sessions committed by then
    (read on a connection of its own, which sees only what was committed)."""

    def __init__(self, app: ASGIApp, engine: Engine, log: list[str]) -> None:
        self.app = app
        self.engine = engine
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                stored = stored_sessions(self.engine)
                self.log.append(f"response {message['status']}, {stored} stored")
            await send(message)

        await self.app(scope, receive, sending)


@pytest.mark.parametrize(
    ("doc", "kit_name"), [("sqlalchemy.md", "get_kit"), ("fastapi.md", "request_kit")]
)
def test_the_docs_request_transaction_commits_before_the_response(
    engine: Engine, doc: str, kit_name: str
) -> None:
    maker = sessionmaker(engine)
    wiring: dict[str, Any] = {
        "engine": engine,  # what docs/fastapi.md's block takes from the page before it
        "Maker": maker,  # and docs/sqlalchemy.md's
        "store": SqlAlchemyStore(maker),
        "SessionKit": SessionKit,
        "current_caller": lambda: Caller("acme", actor="u1", roles={"admin"}),
    }
    exec(compile(printed(doc, kit_name), f"docs/{doc}", "exec"), wiring)  # the docs' own code
    router = sessionkit_router(kit=wiring[kit_name], caller=wiring["current_caller"])

    @router.post("/sessions-then-fail", status_code=201)
    def create_then_fail(
        kit: Annotated[SessionKit, Depends(wiring[kit_name])],
    ) -> dict[str, Any]:
        start = datetime.now(UTC) + timedelta(days=1)
        kit.sessions.create_extra(
            "acme", actor="u1", start=start, end=start + timedelta(hours=1), lifecycle="lms"
        )
        kit.queries.get("acme", "missing")  # raises SessionNotFound after the command
        return {}

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    log: list[str] = []
    app.add_middleware(RecordCommitted, engine=engine, log=log)
    start = datetime.now(UTC) + timedelta(days=1)  # the docs' clock is the system's
    body = {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "lifecycle": "lms",
    }
    with TestClient(app) as client:
        assert client.post("/v1/sessions", json=body).status_code == 201
        failed = client.post("/v1/sessions-then-fail")
        assert (failed.status_code, failed.json()["error"]) == (404, "SessionNotFound")
    assert log == ["response 201, 1 stored", "response 404, 1 stored"]
    assert stored_sessions(engine) == 1  # the failed request's session rolled back
