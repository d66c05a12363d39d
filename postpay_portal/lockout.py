"""Failed logins (django-axes): a backing-off wait per login and client address, never a
lockout of an address for everyone.

``AXES_LOCKOUT_PARAMETERS`` is ``[["username", "ip_address"]]``: the first
``AXES_FAILURE_LIMIT`` failures of one login from one address cost nothing; then that login
must wait before it may be tried again from that address — ``FIRST_WAIT``, doubled by each
further failure, up to ``AXES_COOLOFF_MINUTES``. Tries during a wait are refused without
being counted, so they neither lengthen it nor tell whether the password was right. A
success resets the pair; failures are forgotten ``AXES_COOLOFF_TIME`` after the last one.

Nothing counts failures by address alone: made-up names tried from one address (an office
behind one NAT) never stop anyone else there, a right password included. Spraying one guess
at many logins is left to request throttling.
"""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from django.conf import settings
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

FIRST_WAIT = timedelta(minutes=1)


def wait_after(failures, limit):
    """How long a login must wait after its ``failures``-th failure (none below ``limit``)."""
    if failures < limit:
        return timedelta(0)
    longest = timedelta(minutes=settings.AXES_COOLOFF_MINUTES)
    doublings = min(failures - limit, 32)  # 2^32 minutes is past any cap already
    return min(FIRST_WAIT * 2**doublings, longest)


class PostpayLockoutHandler(AxesDatabaseHandler):
    def failures_and_last(self, request, credentials=None):
        """The login's failures from this address (within ``AXES_COOLOFF_TIME``) and the time
        of the last one."""
        total, last = 0, None
        for attempts in self.get_user_attempts(request, credentials):
            row = attempts.aggregate(total=Sum("failures_since_start"), last=Max("attempt_time"))
            total += row["total"] or 0
            if row["last"] and (last is None or row["last"] > last):
                last = row["last"]
        return total, last

    def remaining_wait(self, request, credentials=None):
        failures, last = self.failures_and_last(request, credentials)
        if last is None:
            return timedelta(0)
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        return max(last + wait_after(failures, get_failure_limit(request, credentials)) - now, timedelta(0))

    def get_failures(self, request, credentials=None):
        """Axes locks when this reaches the limit: the count while the wait runs, one below
        the limit once it is over (the next try is checked; its failure counts on top)."""
        failures, _ = self.failures_and_last(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit or self.remaining_wait(request, credentials):
            return failures
        return limit - 1


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After`` and the time left, never a 500 or a
    bare "forbidden"; JSON under /api/ (CONTRACT §4: a refused login is ``not_authenticated``)."""
    wait = PostpayLockoutHandler().remaining_wait(request, credentials)
    seconds = max(math.ceil(wait.total_seconds()), 1)
    if request.path_info.startswith("/api/"):
        body = {"code": "not_authenticated", "detail": "Unable to log in with the provided credentials."}
        return JsonResponse(body, status=401)
    context = {
        "username": get_client_username(request, credentials) or "",
        "minutes": math.ceil(seconds / 60),
    }
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(seconds)
    return response
