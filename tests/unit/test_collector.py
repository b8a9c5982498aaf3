"""Pausing the cyclic garbage collector for bulk commands: restored exactly, across threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sessionkit.services._collector import collector_paused


@pytest.fixture(autouse=True)
def collector_state() -> Iterator[None]:
    """Every test starts with the collector on and leaves it as it was."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_false_leaves_the_collector_alone() -> None:
    with collector_paused(pause=False):
        assert gc.isenabled()
    gc.disable()
    with collector_paused(pause=False):
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_restores_the_collector() -> None:
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_the_host_disabled_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_pauses_restore_once_the_outer_one_ends() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_restore_when_the_last_one_ends() -> None:
    """Thread A pauses, B pauses, A ends (still off: B runs), B ends (on again)."""
    a_in, b_in, a_out, b_may_end = (threading.Event() for _ in range(4))
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with collector_paused():
            b_in.set()
            a_out.wait(5)
            seen["after A ended, inside B"] = gc.isenabled()
            b_may_end.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    a_out.wait(5)
    b_may_end.set()
    for thread in threads:
        thread.join(5)
    assert seen == {"after A ended, inside B": False}
    assert gc.isenabled()
