"""A store refuses a publisher that cannot publish when it is made, not after a commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import create_engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import WrongType
from sessionkit.model.events import DomainEvent
from sessionkit.testing.clocks import RecordingPublisher


def memory(publisher: object) -> object:
    return InMemoryStore(publisher)  # type: ignore[arg-type]


def sqlite(publisher: object) -> object:
    return SqlAlchemyStore(create_engine("sqlite://"), publisher)  # type: ignore[arg-type]


def a_function(events: Sequence[DomainEvent]) -> None:
    """What a user passes meaning ``publish``."""


class NotCallable:
    publish = "events"


@pytest.mark.parametrize("make", [memory, sqlite], ids=["memory", "sqlalchemy"])
@pytest.mark.parametrize(
    "bad", [object(), a_function, NotCallable()], ids=["object", "function", "not-callable"]
)
def test_a_publisher_without_a_publish_method_is_refused(
    make: Callable[[object], object], bad: object
) -> None:
    with pytest.raises(WrongType) as caught:
        make(bad)
    assert caught.value.name == "publisher"
    assert caught.value.value is bad
    assert "publish(events)" in str(caught.value)


def test_a_publisher_or_none_is_kept() -> None:
    publisher = RecordingPublisher()
    assert SqlAlchemyStore(create_engine("sqlite://"), publisher).publisher is publisher
    assert SqlAlchemyStore(create_engine("sqlite://")).publisher is None
    InMemoryStore(publisher)
    InMemoryStore(None)
