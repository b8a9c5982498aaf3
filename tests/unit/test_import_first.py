"""Every module of sessionkit imports first, in an interpreter where nothing of it is imported yet.

``python -c "import sessionkit.model._booking_seats"`` was a circular ImportError
(``_booking_seats`` imported ``booking`` before defining what ``booking`` imports
back from it) while the same import after ``import sessionkit.model`` and its
``__getattr__`` worked: the suite imports everything long before, so only a fresh
interpreter shows such a cycle, and only for the module that is imported first.

A module not imported yet in a process is imported there first: whatever is
imported already cannot be on an import cycle through it (a module imported to
its end has imported what its top imports, and so would have imported it), so
the import enters its cycles as a fresh interpreter's would. One process can
therefore import many modules first, each in its turn, if none was imported
before it: a module is imported after those it imports (the order in which an
import of everything finished them), its packages first as ``import a.b.c``
imports ``a`` and ``a.b``, and a module a package's import imported with it is
imported first by that import, as a fresh ``import a.b.c`` would be. A module
another's import imported before its turn (a cycle's other end) waits for the
next process, which starts from nothing of sessionkit. A few processes in turn
do it all, about 2 s of CPU for the ~470 modules (one forked process a module,
from its package's imported state, took 12 s; a fresh interpreter a module took
2 minutes and more). Other projects' modules (SQLAlchemy, Django, FastAPI, not
Hypothesis, whose import runs sessionkit's entry point) are imported once before
the walk: the order sessionkit's modules import in is the same. A module
needing an extra that is not installed is skipped; a Django module refusing an
unconfigured Django is imported again after ``django.setup()``, which Django
requires (and which imports the app's models first). The Alembic scripts beside
the adapter are run by file, not imported, and ``sessionkit.__main__`` runs the
command line: both are left out.
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


    def import_in_turn(names, with_django):
        # Import each of names not imported yet first, in this process, and report it. Write
        # to LATER what was reported ("done"), what another process is to import ("later":
        # imported here before its turn), and what needs Django set up ("django").
        done, lines = set(REPORTED), []
        set_up = set(sys.modules) if with_django else set()  # django.setup() imported them

        def say(kind, name, detail=""):
            done.add(name)
            if kind == "django" and not with_django:
                lines.append(f"django {{name}}")
                return
            if kind == "django":
                kind, detail = "fail", "refuses a Django set up"
            report(kind, name, detail)
            lines.append(f"done {{name}}")

        for name in names:
            if name in done:
                continue
            if name in sys.modules:  # imported by another's import: not first here
                if name in set_up:
                    say("ok", name)
                else:
                    lines.append(f"later {{name}}")
                continue
            parts = name.split(".")
            # Its packages first, as a fresh import of it does.
            for package in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
                if package in sys.modules:
                    continue
                before = set(sys.modules)
                kind, detail = import_first(package)
                if package not in done:
                    say(kind, package, detail)
                if kind != "ok":
                    if name not in done:  # a fresh import of it stops there too
                        say(kind, name, f"its package {{package}}: {{detail}}")
                    break
                # A fresh import of a module of package's that its import imported would
                # import package first, and so import the module as it just did.
                for module in sorted(set(sys.modules) - before):
                    if module.startswith(f"{{package}}.") and module not in done:
                        say("ok", module)
        os.write(LATER, "".join(f"{{line}}\\n" for line in lines).encode())
        return 0


    def walk(names, with_django=False):
        # Import names in turn, in a process from nothing of sessionkit (Django set up if
        # with_django), then those it did not in another, ...; return those needing Django.
        global LATER
        needs_django = []
        while names:
            read, LATER = os.pipe()

            def work():
                os.close(read)
                if with_django:
                    setup_django()
                return import_in_turn(names, with_django)

            pid = start(work, f"(the walk from {{names[0]}})")
            os.close(LATER)
            with os.fdopen(read, encoding="utf-8") as lines:
                said = [line.split() for line in lines]
            status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            REPORTED.update(name for kind, name in said if kind == "done")
            needs_django += [name for kind, name in said if kind == "django"]
            later = [name for kind, name in said if kind == "later"]
            if status != 0 or later == names:
                report("fail", f"(the process from {{names[0]}})", f"ended with status {{status}}")
                return []
            names = later
        return needs_django


    def setup_django():
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
        # Import every module of ours, not first: write the others' modules they imported
        # ("other"), and ours in the order their imports ended ("ours": importlib moves a
        # module to the end of sys.modules once imported; in another order the walk would
        # only take more processes), then those that were not imported ("left").
        found = []

        def every(package):
            for module in pkgutil.iter_modules(package.__path__, f"{{package.__name__}}."):
                if module.name not in LEFT_OUT:
                    found.append(module.name)
                    if import_first(module.name)[0] == "ok" and module.ispkg:
                        every(sys.modules[module.name])
        for root in sorted(OURS):
            found.append(root)
            if import_first(root)[0] == "ok" and hasattr(sys.modules[root], "__path__"):
                every(sys.modules[root])
        found_set = set(found)
        ours = [name for name in sys.modules if name in found_set]
        lines = [f"other {{name}}" for name in sys.modules
                 if name.partition(".")[0] not in NOT_PRELOADED]
        lines += [f"ours {{name}}" for name in ours]
        lines += [f"left {{name}}" for name in found if name not in sys.modules]
        os.write(write, "".join(f"{{line}}\\n" for line in lines).encode())
        return 0


    # Others' modules (SQLAlchemy, Django, FastAPI, ...) imported once here rather than in
    # every process: the order ours import in is the same. Not Hypothesis' (its import runs
    # sessionkit's entry point), nor any that imports ours.
    everything = [line.split() for line in output_of(import_everything).splitlines()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in (name for kind, name in everything if kind == "other"):
            try:
                importlib.import_module(name)
            except Exception:
                pass
    preloaded = sorted(m for m in sys.modules if m.partition(".")[0] in NOT_PRELOADED)
    assert preloaded == [], preloaded
    assert threading.active_count() == 1, threading.enumerate()  # a fork copies no thread
    ORDER = [name for kind, name in everything if kind in ("ours", "left")]
    REPORTED = set()  # in this process: the names reported by those it started
    print(output_of(lambda: (walk(walk(ORDER), with_django=True), 0)[1]), end="")
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
    # d imports e last, as booking imports _booking_seats: only e first fails, d first does
    # not; h and i import each other's modules only, so the first imports the other (which
    # a later process imports first).
    package = tmp_path / "sessionkit_cycle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from sessionkit_cycle.b import B\nA = 1\n")
    (package / "b.py").write_text("from sessionkit_cycle.a import A\nB = 2\n")
    (package / "c.py").write_text("import no_such_extra_installed\n")
    (package / "d.py").write_text("D = 1\nfrom sessionkit_cycle.e import E\n")
    (package / "e.py").write_text("from sessionkit_cycle.d import D\nE = 2\n")
    (package / "h.py").write_text("import sessionkit_cycle.i\n")
    (package / "i.py").write_text("import sessionkit_cycle.h\n")
    walk = WALK.format(left_out=set()).replace(
        'OURS = {"sessionkit", "_sessionkit_cli", "_sessionkit_hypothesis"}',
        'OURS = {"sessionkit_cycle"}',
    )
    out = run_python(walk, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    assert sorted(line.split(" ", 2)[:2] for line in out) == [
        ["fail", "sessionkit_cycle.a"],
        ["fail", "sessionkit_cycle.b"],
        ["fail", "sessionkit_cycle.e"],
        ["ok", "sessionkit_cycle"],
        ["ok", "sessionkit_cycle.d"],
        ["ok", "sessionkit_cycle.h"],
        ["ok", "sessionkit_cycle.i"],
        ["skip", "sessionkit_cycle.c"],
    ]
