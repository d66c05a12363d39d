"""Kept for the modules that still import ``tests.core.helpers`` (tests/credit/): the helpers
live in ``tests.support.actions`` and ``tests.support.state``; import them from there."""

from tests.support.actions import place
from tests.support.state import counts

__all__ = ["counts", "place"]
