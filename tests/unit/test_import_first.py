"""Every module of sessionkit imports first, in an interpreter where nothing of it is imported yet.

``python -c "import sessionkit.model._booking_seats"`` was a circular ImportError
(``_booking_seats`` imported ``booking`` before defining what ``booking`` imports
back from it) while the same import after ``import sessionkit.model`` and its
``__getattr__`` worked: the suite imports everything long before, so only a fresh
interpreter shows such a cycle, and only for the module that is imported first.

One fresh interpreter walks the package: for each package it forks a process that
imports it, and from there a process per module of it that imports that module.
Importing ``a.b.c`` first imports ``a`` and ``a.b`` and then ``c``, so a module's
process starts exactly where a fresh ``import a.b.c`` would, and a module its
package's import already imported needs no process of its own. Other projects'
modules (SQLAlchemy, Django, FastAPI, not Hypothesis, whose import runs
sessionkit's entry point) are imported once before the walk: the order sessionkit's
modules import in is the same. About 14 s of CPU for the ~470 modules, shared by
the cores (a fresh interpreter a module took 2 minutes and more). A module needing an
extra that is not installed is skipped; a Django module refusing an unconfigured
Django is imported again after ``django.setup()``, which Django requires (and which
imports the app's models first). The Alembic scripts beside the adapter are run by
file, not imported, and ``sessionkit.__main__`` runs the command line: both are
left out.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from tests._fresh_python import run_python

import sessionkit

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the walk forks (os.fork)")

LEFT_OUT = {"sessionkit.__main__"}
"""Modules not imported: ``python -m sessionkit`` runs the command line, an import would too."""

WALK = """
    import gc, importlib, os, pkgutil, sys, threading, warnings

    LEFT_OUT = {left_out!r}
    OURS = {{"sessionkit", "_sessionkit_cli", "_sessionkit_hypothesis"}}
    NOT_PRELOADED = OURS | {{"hypothesis", "_hypothesis_globals", "_hypothesis_pytestplugin"}}
    DJANGO_NOT_READY = {{"ImproperlyConfigured", "AppRegistryNotReady"}}
    NEEDS_DJANGO = 3  # a process's exit status: the module needs a configured Django
    NOT_REGISTERED = "sessionkit's strategies were not registered"  # the entry point's warning
    write = -1  # the pipe output_of reads


    def report(kind, name, detail=""):
        line = f"{{kind}} {{name}} {{detail}}".replace("\\n", " ")[:1000] + "\\n"
        os.write(write, line.encode())  # one write under PIPE_BUF: lines never interleave


    def import_first(name):
        # "ok", "skip" (an extra is missing), "django" (needs django.setup()) or "fail".
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if (exc.name or "").partition(".")[0] not in OURS:
                    return "skip", f"needs {{exc.name}}"
                return "fail", repr(exc)
            except Exception as exc:
                if type(exc).__name__ in DJANGO_NOT_READY:
                    return "django", ""
                return "fail", f"{{type(exc).__name__}}: {{exc}}"
        # The hypothesis entry point turns its failure into this warning (e.g. a cycle).
        said = [str(w.message) for w in caught if str(w.message).startswith(NOT_REGISTERED)]
        return ("fail", said[0]) if said else ("ok", "")


    def start(work, name):
        # Run work() (it returns an exit status) in a child process; return the child's id.
        gc.freeze()  # the child's collections skip what it inherits
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                status = work()
            except BaseException as exc:
                report("fail", name, f"the walk failed: {{exc!r}}")
            finally:
                os._exit(status)
        return pid


    def ended(pid, name, status=None):
        # Wait for a child (unless its status is given); report a crash; return its exit status.
        if status is None:
            status = os.waitpid(pid, 0)[1]
        status = os.waitstatus_to_exitcode(status)
        if status not in (0, NEEDS_DJANGO):
            report("fail", name, f"its process ended with status {{status}}")
        return status


    def visit(name):
        # Import name first (in this process, forked for it); walk it if it is a package.
        kind, detail = import_first(name)
        if kind == "django":
            return NEEDS_DJANGO
        report(kind, name, detail)
        if kind == "ok" and hasattr(sys.modules[name], "__path__"):
            walk(sys.modules[name])
        return 0


    def walk(package):
        # Visit each module of package in a process of its own: one at a time, more while a
        # core is free (a token from SPARE, given back when the process ends).
        running, waiting = {{}}, []

        def reap():
            pid, status = os.wait()
            name, token = running.pop(pid)
            if token:
                os.write(SPARE[1], b".")
            if ended(pid, name, status) == NEEDS_DJANGO:
                waiting.append(name)

        names = [m.name for m in pkgutil.iter_modules(package.__path__, f"{{package.__name__}}.")]
        for name in [n for n in names if n in sys.modules and n not in LEFT_OUT]:
            # The package imported it, as a fresh import of it would: no process needed, it
            # imports nothing more (and first: its own walk waits for any child of this one).
            visit(name)
        for name in [n for n in names if n not in sys.modules and n not in LEFT_OUT]:
            while (token := spare()) is None and any(not t for _, t in running.values()):
                reap()
            running[start(lambda n=name: visit(n), name)] = (name, token)
        while running:
            reap()
        if waiting:  # Django's modules that need it set up: after django.setup(), shared
            ended(start(lambda: with_django(waiting), package.__name__), package.__name__)


    def spare():
        # A token for one more process side by side, or None (the walking process's own share
        # runs one without). Tokens: one a core but one.
        try:
            return os.read(SPARE[0], 1)
        except BlockingIOError:
            return None


    def with_django(names):
        from django.conf import settings
        import django

        settings.configure(
            INSTALLED_APPS=[
                "django.contrib.contenttypes",
                "django.contrib.auth",
                "django.contrib.sessions",
                "django.contrib.messages",
                "django.contrib.admin",
                "sessionkit.contrib.django",
            ],
            DATABASES={{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}},
            USE_TZ=True,
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        )
        django.setup()
        for name in names:
            ended(start(lambda n=name: set_up_visit(n), name), name)
        return 0


    def set_up_visit(name):
        if visit(name) == NEEDS_DJANGO:
            report("fail", name, "refuses a Django set up")
        return 0


    def output_of(work):
        # Run work() in a child writing to a pipe this process reads to its end; return it.
        global write
        read, write = os.pipe()
        pid = start(lambda: (os.close(read), work())[1], "(the walk)")
        os.close(write)
        with os.fdopen(read, encoding="utf-8") as lines:
            text = lines.read()
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, text
        return text


    def import_everything():
        # Import every module of ours, not first; write the others' modules they imported.
        def every(package):
            for module in pkgutil.iter_modules(package.__path__, f"{{package.__name__}}."):
                if module.name not in LEFT_OUT and import_first(module.name)[0] == "ok":
                    if module.ispkg:
                        every(sys.modules[module.name])
        for root in OURS:
            if import_first(root)[0] == "ok" and hasattr(sys.modules[root], "__path__"):
                every(sys.modules[root])
        for name in list(sys.modules):
            if name.partition(".")[0] not in NOT_PRELOADED:
                os.write(write, f"{{name}}\\n".encode())
        return 0


    def walk_roots():
        for root in sorted(OURS):
            ended(start(lambda r=root: visit(r), root), root)
        return 0


    # Others' modules (SQLAlchemy, Django, FastAPI, ...) imported once here rather than in
    # every process: the order ours import in is the same. Not Hypothesis' (its import runs
    # sessionkit's entry point), nor any that imports ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in output_of(import_everything).split():
            try:
                importlib.import_module(name)
            except Exception:
                pass
    preloaded = sorted(m for m in sys.modules if m.partition(".")[0] in NOT_PRELOADED)
    assert preloaded == [], preloaded
    assert threading.active_count() == 1, threading.enumerate()  # a fork copies no thread
    SPARE = os.pipe()
    os.set_blocking(SPARE[0], False)
    os.write(SPARE[1], b"." * ((os.cpu_count() or 1) - 1))
    print(output_of(walk_roots), end="")
    """


def package_modules() -> set[str]:
    """The modules a walk must reach, read from the files: sessionkit's and the two beside it."""
    src = Path(sessionkit.__file__).parent.parent
    names = {"_sessionkit_cli", "_sessionkit_hypothesis"}
    for init in sorted((src / "sessionkit").rglob("__init__.py")):
        parts = init.parent.relative_to(src).parts
        # A folder without an __init__.py on the way (the Alembic scripts') is no package.
        if all((src.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
            package = ".".join(parts)
            names.add(package)
            names |= {f"{package}.{p.stem}" for p in init.parent.glob("*.py")}
    names -= {name for name in names if name.endswith(".__init__")}
    return names - LEFT_OUT


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[str, str]]:
    """Each module's outcome imported first ("ok", "skip", "fail") and what it said."""
    out = run_python(WALK.format(left_out=LEFT_OUT))
    found: dict[str, tuple[str, str]] = {}
    for line in out:
        kind, name, detail = (*line.split(" ", 2), "")[:3]
        assert name not in found, f"{name} reported twice: {found[name]} and {line}"
        found[name] = (kind, detail)
    return found


def test_every_module_imports_first(outcomes: dict[str, tuple[str, str]]) -> None:
    assert {name: detail for name, (kind, detail) in outcomes.items() if kind == "fail"} == {}
    assert set(outcomes) == package_modules()


def test_the_booking_seat_counts_import_first(outcomes: dict[str, tuple[str, str]]) -> None:
    # The cycle this walk was written for: _booking_seats imported booking before defining
    # what booking imports from it ("cannot import name 'in_session_order'").
    assert outcomes["sessionkit.model._booking_seats"] == ("ok", "")
    out = run_python(
        """
        import sessionkit.model._booking_seats as seats
        print(seats.Booking.__module__, seats.in_session_order.__module__)
        """
    )
    assert out == ["sessionkit.model.booking sessionkit.model.booking"]
    # Reached through sessionkit.model's __getattr__, it no longer imports every public
    # model module before it (usage, payment, journal, analytics...) to dodge the cycle.
    out = run_python(
        """
        import sys
        import sessionkit.model
        print(sessionkit.model._booking_seats.seats_taken.__module__)
        print("sessionkit.model.usage" in sys.modules, "sessionkit.model.payment" in sys.modules)
        """
    )
    assert out == ["sessionkit.model.booking", "False False"]


def test_the_walk_sees_a_cycle_and_a_missing_extra(tmp_path: Path) -> None:
    # Worth having only if it fails: a package whose two modules import each other's
    # names at the top, imported first from the second, and a module needing no such extra.
    package = tmp_path / "sessionkit_cycle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from sessionkit_cycle.b import B\nA = 1\n")
    (package / "b.py").write_text("from sessionkit_cycle.a import A\nB = 2\n")
    (package / "c.py").write_text("import no_such_extra_installed\n")
    walk = WALK.format(left_out=set()).replace(
        'OURS = {"sessionkit", "_sessionkit_cli", "_sessionkit_hypothesis"}',
        'OURS = {"sessionkit_cycle"}',
    )
    out = run_python(walk, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    assert sorted(line.split(" ", 2)[:2] for line in out) == [
        ["fail", "sessionkit_cycle.a"],
        ["fail", "sessionkit_cycle.b"],
        ["ok", "sessionkit_cycle"],
        ["skip", "sessionkit_cycle.c"],
    ]
