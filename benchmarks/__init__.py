"""sessionkit benchmarks: ``nox -s bench`` or ``python -m benchmarks [--quick] [NAME ...]``."""
