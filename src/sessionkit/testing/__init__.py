"""Tools for testing code built on sessionkit: Hypothesis strategies and clocks.

``sessionkit.testing.strategies`` needs Hypothesis (install ``sessionkit[test]``).
"""
