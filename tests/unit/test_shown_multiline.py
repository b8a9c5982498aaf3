"""errors: a value whose repr is many lines (a data frame) is named in a message, not spliced in."""

from __future__ import annotations

import pytest

from sessionkit.errors import WrongType
from sessionkit.errors._base import shown


def test_a_data_frame_refused_by_to_pandas_is_named_by_its_shape() -> None:
    pd = pytest.importorskip("pandas")
    from sessionkit.contrib.frames import to_pandas

    frame = pd.DataFrame({"a": range(100), "b": ["x" * 40] * 100})
    with pytest.raises(WrongType) as caught:
        to_pandas(frame)
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("got DataFrame <DataFrame of shape (100, 2)>")
    assert caught.value.value is frame  # the structured attribute keeps the frame itself


def test_one_line_reprs_are_shown_as_before() -> None:
    assert shown("a\nb") == "'a\\nb'"  # a str's repr escapes its newlines
    assert shown([1, 2]) == "[1, 2]"
