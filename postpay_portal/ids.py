"""One rule for every id that comes from outside (SPEC R31, CONTRACT §4): a positive integer
below 2^63, the range of the database's ``bigint``.

Anything else names no object: a path id is 404 ``not_found`` (the path converter does not
match, and the API's catch-all answers), a body or query id is 400 ``invalid``, an admin
selection drops it. An id past the range must never reach a query: SQLite cannot bind it
(``OverflowError``), and Django guards only its exact lookups against it, not ``__in`` or a
foreign key's lookups.
"""

MAX_ID = 2**63 - 1


def is_id(value):
    """An ``int`` (never a ``bool``) in ``1 … MAX_ID``."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def parse_id(text):
    """The id ``text`` spells in ASCII digits, or None (a sign, spaces, other digits, or a value
    out of range). Checks the length first: ``int()`` of thousands of digits is slow."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if is_id(value) else None


class IdConverter:
    """The ``<id:pk>`` path converter: Django's ``<int:…>`` with the range checked, so that a
    path with an id nobody can have does not match (the API's catch-all then answers 404)."""

    regex = "[0-9]+"

    def to_python(self, value):
        parsed = parse_id(value)
        if parsed is None:
            raise ValueError(f"{value[:30]!r} is not an id")
        return parsed

    def to_url(self, value):
        return str(value)


def register_id_converter():
    """Called by the app config's ``ready()``, before any URLconf is read."""
    from django.urls import register_converter
    from django.urls.converters import get_converters

    if "id" not in get_converters():
        register_converter(IdConverter, "id")
