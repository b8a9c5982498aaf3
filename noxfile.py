"""Developer tasks: ``nox -s tests typecheck lint bench docs``.

Each session installs the package with the extras it needs from pyproject.toml,
so the dependency lists live in one place.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "typecheck", "lint"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, property, contract, scenario, doctests), as CI does."""
    session.install("-e", ".[dev]")
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict over src, tests and benchmarks."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Run ruff (lint and format check) and the import-linter layering contracts."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks; pass ``-- --quick`` for a smaller, faster run."""
    session.install("-e", ".[bench,sqlalchemy,postgres,mysql,ical,procrastinate]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Check the documentation examples (doctests of README.md and docs/)."""
    session.install("-e", ".[dev]")
    session.run("pytest", "README.md", "docs", *session.posargs)
