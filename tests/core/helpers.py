"""Kept for the modules that still import ``tests.core.helpers`` (tests/credit/): the helpers
live in ``tests.support.actions``; import them from there."""

from tests.support.actions import counts, place

__all__ = ["counts", "place"]
