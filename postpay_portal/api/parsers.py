import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class LimitedJSONParser(JSONParser):
    """JSON in (CONTRACT §4); a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (1 MiB) is 400
    ``malformed_request`` (R31).

    DRF reads the request stream itself, past Django's own size check on ``request.body``,
    so the limit is enforced here as well.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise ParseError("The request body is larger than 1 MiB.")
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:  # nested deeper than Python's stack: not a 500 (R31)
            raise ParseError("The request body is nested too deeply.")
