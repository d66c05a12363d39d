"""Operator-portal sessions end after a working day without a request
(``POSTPAY_STAFF_SESSION_IDLE_HOURS``, default 8); customers keep Django's two weeks.

A staff login's session gets that expiry when it logs in, and the expiry is pushed forward
while it is used: the session is saved (its ``expire_date`` and the cookie's age renewed) at
most once a minute, not on every request. An abandoned operator browser then holds a dead
session by the next morning, wherever it was left open.
"""

import time

from django.conf import settings

LAST_REFRESH = "_postpay_staff_refreshed"


def idle_seconds():
    return max(int(settings.POSTPAY_STAFF_SESSION_IDLE_HOURS * 3600), 1)


def refresh_every(idle):
    """Seconds between two saves of a used session: a minute, or less for a short idle time."""
    return min(60, idle / 10)


def is_staff_session(request):
    user = getattr(request, "user", None)
    return hasattr(request, "session") and user is not None and user.is_authenticated and user.is_staff


def start_staff_session(sender, request, user, **kwargs):
    """``user_logged_in``: a staff login's session expires after the idle time."""
    if request is not None and hasattr(request, "session") and user.is_staff:
        request.session.set_expiry(idle_seconds())
        request.session[LAST_REFRESH] = time.time()


class StaffSessionIdleMiddleware:
    """After ``AuthenticationMiddleware``: keeps a used staff session alive for the idle time
    (and gives one that predates this setting, or whose user became staff, its expiry)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_staff_session(request):
            session, idle, now = request.session, idle_seconds(), time.time()
            if session.get("_session_expiry") != idle:
                session.set_expiry(idle)
                session[LAST_REFRESH] = now
            elif now - session.get(LAST_REFRESH, 0) >= refresh_every(idle):
                session[LAST_REFRESH] = now  # modified: saved, so expire_date moves forward
        return self.get_response(request)
