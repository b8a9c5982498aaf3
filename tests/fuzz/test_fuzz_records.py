"""Records, HTML tables and frames called with hostile values: a SessionKitError or success."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fuzz.test_fuzz_core import answers

from sessionkit.model.html import html_of, html_table
from sessionkit.model.records import SESSION, column_values, to_records
from sessionkit.testing import hostile

_EXAMPLES = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 20
fuzz = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

keys = st.one_of(st.sampled_from(["status", "at", "n", "title"]), hostile.text(huge=False))
cells = st.one_of(
    hostile.values(),
    hostile.extreme_datetimes(),
    hostile.hostile_ints(),
    st.decimals(allow_nan=True),
    st.floats(),
)
records = st.lists(st.dictionaries(keys, cells, max_size=4), max_size=4)
inputs = st.one_of(records, hostile.values(), st.lists(hostile.values(), max_size=3))


@fuzz
@given(values=inputs)
def test_to_records_and_column_values(values: Any) -> None:
    answers(lambda: to_records(values))
    answers(lambda: column_values(values))
    answers(lambda: column_values(values, schema=SESSION))


@fuzz
@given(values=inputs, limit=st.one_of(st.just(50), hostile.values()), caption=hostile.values())
def test_html(values: Any, limit: Any, caption: Any) -> None:
    answers(lambda: html_table(values, limit=limit, caption=caption))
    answers(lambda: html_of(values, limit=limit))


@fuzz
@given(values=inputs)
def test_frames(values: Any) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    from sessionkit.contrib.frames import to_pandas, to_polars

    answers(lambda: to_pandas(values))
    answers(lambda: to_polars(values))
