"""The HTTP status each sessionkit error answers with, and the mark of a name the client gave.

Kept in :mod:`sessionkit.contrib._http_status`, which Django's webhook view shares
(it imports no Pydantic); re-exported here, and by
:mod:`sessionkit.contrib.fastapi._problem_body` and
:mod:`sessionkit.contrib.fastapi.problems`.
"""

from __future__ import annotations

from sessionkit.contrib._http_status import ERROR_STATUS, asked, status_of

__all__ = ["ERROR_STATUS", "asked", "status_of"]
