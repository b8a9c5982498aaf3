"""Integrations behind optional extras; the core never imports this package."""
