"""sessionkit's ``hypothesis`` entry point: a sessionkit that fails to load only warns.

Hypothesis imports and calls every installed ``hypothesis`` entry point while
it is itself being imported, and does not catch what they raise
(``hypothesis.entry_points.run``): pointed into the package, an entry point
whose import failed (``sessionkit/__init__.py``, say a dependency missing or
broken) made ``import hypothesis`` fail in every project sharing the
environment. This module is outside the package, so importing it cannot fail;
:func:`_hypothesis_setup_hook` imports the package and registers sessionkit's
strategies inside a ``try``, and a failure is a warning that registers
nothing (importing ``sessionkit.testing.strategies`` registers them again).
"""

from __future__ import annotations

import warnings

__all__: list[str] = []


def _hypothesis_setup_hook() -> None:
    """Register sessionkit's strategies for its types (Hypothesis calls this when imported)."""
    try:  # whatever sessionkit raises must not stop Hypothesis from being imported
        from sessionkit.testing._type_strategies import _hypothesis_setup_hook as setup

        setup()
    except Exception as exc:  # noqa: BLE001  # any failure: a warning, not a broken Hypothesis
        warnings.warn(
            f"sessionkit's strategies were not registered with Hypothesis ({exc!r});"
            " st.from_type of sessionkit's types draws them once sessionkit.testing.strategies"
            " is imported. Set HYPOTHESIS_NO_PLUGINS=1 to skip every Hypothesis plugin",
            RuntimeWarning,
            stacklevel=2,
        )
