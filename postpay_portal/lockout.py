"""django-axes with two limits: per login and address, and per address alone.

``AXES_LOCKOUT_PARAMETERS`` stays ``[["username", "ip_address"]]``: a login is locked after
``AXES_FAILURE_LIMIT`` failures from one address, and a success resets only that login's
failures from that address. On top of that an address is locked after
``AXES_IP_FAILURE_LIMIT`` failures across all usernames (password spraying). Axes compares
one count with one limit, so an address past its own limit counts as a login at its limit.

The address-wide count is deliberately not an axes lockout parameter: axes would then reset
it on any successful login from the address, and a sprayer holding one valid login of their
own could wipe it whenever they liked.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class PostpayLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        per_login = super().get_failures(request, credentials)
        if self.address_failures(request) >= settings.AXES_IP_FAILURE_LIMIT:
            return max(per_login, get_failure_limit(request, credentials))
        return per_login

    @staticmethod
    def address_failures(request):
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
