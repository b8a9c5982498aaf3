"""A frozen handler error that the tick raises after its commit keeps the tick's notes.

The tick notes what it committed on the error it raises (``add_note``), which sets
``__notes__``: a frozen dataclass refuses that under any attrs, attrs' ``frozen``
before attrs 24.3, and the refusal (``FrozenInstanceError``) was raised instead of the
handler's error (found by ``nox -s lowest`` at attrs 23.2).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.services import raised_after_commit
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class MailerDown(Exception):
    """A host's error, a frozen dataclass."""

    why: str = "the mailer is down"


def test_the_tick_raises_a_frozen_dataclass_handler_error_with_its_notes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness.in_memory(NOW, id_prefix="x")
    start = NOW + timedelta(days=2)
    h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="academy",
        capacity=1,
        title="Maths",
    )
    error, record, armed = MailerDown(), h.events.publish, [True]

    def mailer(events: Any) -> None:
        record(events)
        if armed[0]:
            armed[0] = False
            raise error

    monkeypatch.setattr(h.events, "publish", mailer)
    with pytest.raises(MailerDown) as raised:  # READY fell due: a change, its event
        h.kit.tick(now=start - timedelta(minutes=10), kinds=["advance"])
    assert raised.value is error
    assert raised_after_commit(error) is True
    notes = getattr(error, "__notes__", [])
    assert len(notes) == 1
    assert notes[0].startswith("the tick committed its work: ")
    assert getattr(error, "tick_report", None) is not None
