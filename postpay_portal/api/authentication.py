"""DRF authentication that tells the logs who is calling (R35).

django-structlog binds ``user_id`` when the request arrives, from the session; a token is
only checked later, inside the API view. Binding it here gives the log lines of the
services the view calls (order placed, operation decided) the token's user too.
"""

import structlog
from rest_framework.authentication import TokenAuthentication


class LoggedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            structlog.contextvars.bind_contextvars(user_id=result[0].pk)
        return result
