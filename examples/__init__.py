"""Runnable examples built on sessionkit (not part of the installed package)."""
