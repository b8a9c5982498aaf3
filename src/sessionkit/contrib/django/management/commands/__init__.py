"""Management commands: ``sessionkit_tick``."""
