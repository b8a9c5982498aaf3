"""The tutoring marketplace as an HTTP API: ``uvicorn examples.marketplace_api.app:app``."""
