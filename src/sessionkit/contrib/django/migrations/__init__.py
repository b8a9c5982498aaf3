"""Django-generated migrations of sessionkit's tables (plus the PostgreSQL-only guard)."""
