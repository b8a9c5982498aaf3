"""The host's :class:`~sessionkit.services.app.SessionKit`, named in the settings.

``SESSIONKIT_KIT`` is the dotted path of the host's kit, or of a function
without arguments returning it (``"lms.kit.get_kit"``): the admin actions and
``manage.py sessionkit_tick`` run sessionkit's services through it, so the
host's lifecycles, clock, policies and publisher apply there too.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from sessionkit.errors._base import shown
from sessionkit.services.app import SessionKit

__all__ = ["get_kit"]


def get_kit() -> SessionKit:
    """Return the kit ``settings.SESSIONKIT_KIT`` names (calling it if it is a function)."""
    path = getattr(settings, "SESSIONKIT_KIT", None)
    if not isinstance(path, str) or not path:
        raise ImproperlyConfigured(
            "set SESSIONKIT_KIT to the dotted path of your SessionKit (or of a function "
            'returning it), e.g. SESSIONKIT_KIT = "lms.kit.get_kit"'
        )
    if path.startswith("."):  # Python refuses it: "Empty module name", or a TypeError
        raise ImproperlyConfigured(
            f"SESSIONKIT_KIT = {shown(path)} is relative: give the full dotted path, from the"
            " top package as an import at a module's top would, e.g. 'lms.kit.get_kit'"
        )
    try:
        found = import_string(path)
    except ImportError as error:  # misspelt, not a dotted path, or a module not imported yet
        try:
            # Only Django's "does not define": a module that raised (a missing dependency)
            # is not run a second time.
            if not isinstance(error.__cause__, AttributeError):
                raise
            found = importlib.import_module(path)
        except ImportError:
            raise ImproperlyConfigured(
                f"SESSIONKIT_KIT = {shown(path)} cannot be imported: {error}"
            ) from error
    if isinstance(found, SessionKit):
        return found
    if isinstance(found, ModuleType):  # the module the kit is in ("myproject.kit")
        raise ImproperlyConfigured(
            f"SESSIONKIT_KIT = {shown(path)} names a module: name the SessionKit in it or the"
            f" function returning it, e.g. {shown(path + '.get_kit')}"
        )
    if not callable(found):
        raise ImproperlyConfigured(
            f"SESSIONKIT_KIT = {shown(path)} is {type(found).__name__}, not a SessionKit or a"
            " function returning one"
        )
    try:
        inspect.signature(found).bind()
    except TypeError as error:  # SessionKit itself, or a function that takes arguments
        raise ImproperlyConfigured(
            f"SESSIONKIT_KIT = {shown(path)} cannot be called with no arguments ({error}):"
            " name a SessionKit or a function returning one"
        ) from error
    except ValueError:  # no signature to read (a builtin): called as it is
        pass
    kit = found()
    if not isinstance(kit, SessionKit):
        raise ImproperlyConfigured(
            f"SESSIONKIT_KIT = {shown(path)} gave {type(kit).__name__}, not a SessionKit"
        )
    return kit
