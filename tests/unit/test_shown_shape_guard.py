"""errors.shown: a multi-line repr is named by its type, and by its shape only when that is one.

A value's ``shape`` is whatever its class says: a method, an array, a property that raises. Only
a tuple of whole numbers (numpy, pandas, polars) is printed; anything else is left out, and a
``shape`` that raises never hides the error being reported (as a hostile ``__repr__`` does not).
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from sessionkit.errors import WrongType
from sessionkit.errors._base import shown


class _Table:
    def __repr__(self) -> str:
        return "col\n1\n2"


class _RaisingShape(_Table):
    @property
    def shape(self) -> tuple[int, int]:
        raise RuntimeError("not loaded")


class _LookupShape(_Table):
    def __getattr__(self, name: str) -> object:
        raise KeyError(name)


class _MethodShape(_Table):
    def shape(self) -> tuple[int, int]:
        return (2, 1)


class _GridShape(_Table):
    shape: ClassVar[list[list[float]]] = [[0.0] * 30 for _ in range(30)]  # many lines printed


@pytest.mark.parametrize("value", [_RaisingShape(), _LookupShape()], ids=type)
def test_a_shape_that_raises_does_not_hide_the_error(value: object) -> None:
    assert shown(value) == f"<{type(value).__name__}>"
    error = WrongType(value, name="values", expected="sessions")
    assert str(error) == f"values must be sessions, got {type(value).__name__} " + shown(value)


@pytest.mark.parametrize("value", [_MethodShape(), _GridShape()], ids=type)
def test_a_shape_that_is_no_tuple_of_sizes_is_left_out(value: object) -> None:
    assert shown(value) == f"<{type(value).__name__}>"


def test_a_tuple_of_sizes_is_shown() -> None:
    class Frame(_Table):
        shape = (3, 2)

    class Empty(_Table):
        shape = ()

    assert shown(Frame()) == "<Frame of shape (3, 2)>"
    assert shown(Empty()) == "<Empty of shape ()>"


def test_a_numpy_array_is_named_by_its_shape_when_its_repr_is_many_lines() -> None:
    np = pytest.importorskip("numpy")
    assert shown(np.zeros((40, 40))) == "<ndarray of shape (40, 40)>"
    assert shown(np.zeros(3)) == "array([0., 0., 0.])"  # one line: as before
