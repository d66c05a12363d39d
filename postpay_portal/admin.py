"""Third-party pages of the operator portal, fitted like its own (imported by the admin's
autodiscovery after the third-party apps' own ``admin`` modules).

- django-axes' failed-login records and login log: the columns an operator needs to unlock a
  login or see who signed in (when, which login, from where, with which browser), in the
  portal's date format; deleting an access attempt still unlocks its login. Its failure log is
  not offered while nothing writes it (``AXES_ENABLE_ACCESS_FAILURE_LOG`` off).
- DRF's token page is not offered: it lists every token in clear, and a token is never shown
  again after it was issued (R46); tokens are issued by the API and ``api_token_create``.
"""

import re

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html

# Product tokens of a User-Agent, the most telling first.
BROWSERS = re.compile(r"\b(Edg|OPR|Firefox|HeadlessChrome|Chrome|Safari|curl|python-requests|Wget)/([\d.]+)")
SHOWN_NAMES = {"Edg": "Edge", "OPR": "Opera"}


def browser(user_agent):
    """ "Chrome 156", "Firefox 128", or the user agent's first word: the whole one on hover."""
    found = {name: version for name, version in BROWSERS.findall(user_agent or "")}
    for name in ("Edg", "OPR", "Firefox", "HeadlessChrome", "Chrome", "Safari", "curl", "python-requests", "Wget"):
        if name in found:
            text = f"{SHOWN_NAMES.get(name, name)} {found[name].split('.')[0]}"
            break
    else:
        text = (user_agent or "—").split(" ")[0][:24] or "—"
    return format_html('<span title="{}">{}</span>', user_agent or "", text)


def _replace(model, model_admin):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    if model_admin is not None:
        admin.site.register(model, model_admin)


class FailedLoginAdmin(AccessAttemptAdmin):
    """A login's failed attempts since its last success; deleting one unlocks the login."""

    list_display = ["attempt_time", "username", "ip_address", "failures_since_start", "status", "user_browser"]
    list_display_links = ["attempt_time", "username"]
    list_filter = ["attempt_time"]

    @admin.display(description="Browser")
    def user_browser(self, obj):
        return browser(obj.user_agent)


class LoginLogAdmin(AccessLogAdmin):
    list_display = ("attempt_time", "logout_time", "username", "ip_address", "user_browser")
    list_display_links = ("attempt_time", "username")
    list_filter = ["attempt_time", "logout_time"]

    @admin.display(description="Browser")
    def user_browser(self, obj):
        return browser(obj.user_agent)


_replace(AccessAttempt, FailedLoginAdmin)
_replace(AccessLog, LoginLogAdmin)
if not getattr(settings, "AXES_ENABLE_ACCESS_FAILURE_LOG", False):
    _replace(AccessFailureLog, None)

if apps.is_installed("rest_framework.authtoken"):
    from rest_framework.authtoken.models import TokenProxy

    _replace(TokenProxy, None)
