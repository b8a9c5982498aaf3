"""Developer tasks: ``nox -s tests typecheck lint bench docs lowest``.

Each session installs the package with the extras it needs from pyproject.toml,
so the dependency lists live in one place.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox
from packaging.requirements import Requirement

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


# The extras whose libraries sessionkit imports; `lowest` pins each of their floors. (test, bench
# and dev hold tools, which stay current.)
_LOWEST_EXTRAS = (
    "sqlalchemy",
    "postgres",
    "mysql",
    "django",
    "fastapi",
    "procrastinate",
    "ical",
    "pandas",
    "polars",
    "plot",
)


def floor_pins(pyproject: Path, extras: tuple[str, ...]) -> list[str]:
    """``name==floor`` for each ``>=`` floor of the runtime and the given extras' requirements.

    Read from pyproject.toml, so the floors live in one place. A requirement with no ``>=``
    (croniter) or on sessionkit itself (``sessionkit[postgres]``) pins nothing; extras are
    dropped, as pip's constraints files require (``psycopg[binary]>=3.1`` gives
    ``psycopg==3.1``, and psycopg pins its own binary package).
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    pins: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        if requirement.name == project["name"]:
            continue
        for specifier in requirement.specifier:
            if specifier.operator == ">=":
                pins[requirement.name] = f"{requirement.name}=={specifier.version}"
    return sorted(pins.values())


@nox.session
def lowest(session: nox.Session) -> None:
    """Run the unit and contrib tests with every library at its declared floor (not in CI).

    The floors are pyproject.toml's ``>=`` versions (see ``floor_pins``), given to pip as
    constraints; the test tools stay current. Pass pytest arguments after ``--``.
    """
    constraints = Path(session.create_tmp()) / "floors.txt"
    constraints.write_text(
        "\n".join(floor_pins(Path("pyproject.toml"), _LOWEST_EXTRAS)) + "\n", encoding="utf-8"
    )
    session.log("floors: " + ", ".join(constraints.read_text(encoding="utf-8").split()))
    extras = ",".join(("test", *_LOWEST_EXTRAS))
    session.install(
        "-c",
        str(constraints),
        "-e",
        f".[{extras}]",
        "pytest-xdist",
        # The TestClient of the starlette that fastapi's floor brings passes httpx.Client an
        # app=, which httpx 0.27 deprecates (an error here) and 0.28 removed.
        "httpx<0.27",
        "hatchling",
        "editables",
    )
    session.run("pip", "list", "--format=freeze", silent=False)
    session.run(
        "pytest",
        "tests/unit",
        "tests/contrib",
        "-q",
        "-n",
        "2",
        # typing-extensions at its floor holds anyio (starlette's, httpx's) to a release whose
        # pytest plugin imports a name current pytest deprecates, an error under
        # filterwarnings = error; no test here uses that plugin.
        "-p",
        "no:anyio",
        # matplotlib's floor calls pyparsing names that current pyparsing deprecates.
        "-W",
        "ignore::pyparsing.warnings.PyparsingDeprecationWarning",
        *(session.posargs or ["-x"]),
    )
