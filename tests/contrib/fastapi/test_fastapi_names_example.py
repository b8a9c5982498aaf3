"""The example in ``_params.Names``' docstring is a query the API takes.

It read ``?status=held&status=confirmed``, which every status filter refuses:
status names are compared as stored, in capitals (a 422 ``InvalidValue``).
"""

from __future__ import annotations

import ast
import inspect
import re

from starlette.testclient import TestClient

from sessionkit.contrib.fastapi import _params


def _names_docstring() -> str:
    tree = ast.parse(inspect.getsource(_params))
    body = tree.body
    for at, node in enumerate(body):
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["Names"]:
            following = body[at + 1]
            assert isinstance(following, ast.Expr), "Names has a docstring"
            assert isinstance(following.value, ast.Constant)
            text = following.value.value
            assert isinstance(text, str)
            return text
    raise AssertionError("no Names in _params")


def test_the_names_example_is_a_query_the_tenant_bookings_take(client: TestClient) -> None:
    [query] = re.findall(r"``\?([^`]+)``", _names_docstring())[:1]
    assert query.startswith("status="), query
    listed = client.get(f"/v1/bookings?{query}")
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []
