"""The operator portal's second factor (SPEC R45): the gate and its pages.

``/admin/login/`` stays Django's own form (CONTRACT §3). A decider who signed in there with a
password alone is a session that ``SecondFactorMiddleware`` lets reach only these pages and
the logout: the enrolment (first login: a QR code for an authenticator app, then a code from
it, then the backup codes, shown once) or the code of an enrolled login (a TOTP code or a
backup code). Passing it marks the session verified (django-otp), and the operator lands on
the page they asked for. The enrolment wizard, the key and the QR code are
django-two-factor-auth's.
"""

from urllib.parse import urlencode

import django_otp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.forms import TOTPDeviceForm
from two_factor.utils import get_otpauth_url, totp_digits
from two_factor.views import QRGeneratorView, SetupView

from accounts.second_factor import (
    backup_codes_issue,
    backup_codes_left,
    second_factor_enrolled,
    second_factor_match,
    second_factor_required,
)

ISSUER = "Postpay Portal"
URL_PREFIX = "admin/second-factor/"


def _is_verified(user):
    return bool(getattr(user, "is_verified", None) and user.is_verified())


def _next_url(request, default=None):
    """The page the operator asked for, when it is one of ours."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or reverse("admin:index")


def _with_next(url, request):
    next_url = request.POST.get("next") or request.GET.get("next")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class SecondFactorMiddleware:
    """R45: while ``POSTPAY_REQUIRE_2FA`` is on, a decider whose session has not passed the
    second factor is sent from every operator page (index, lists, change pages, custom views)
    to the enrolment or to the code page; only those pages and the logout stay open. Other
    logins, and every request while the setting is off, pass untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.POSTPAY_REQUIRE_2FA and self._guarded(request.path):
            user = request.user
            if user.is_authenticated and second_factor_required(user) and not _is_verified(user):
                target = "second_factor:verify" if second_factor_enrolled(user) else "second_factor:setup"
                asked = request.get_full_path() if request.method == "GET" else reverse("admin:index")
                return redirect(f"{reverse(target)}?{urlencode({'next': asked})}")
        return self.get_response(request)

    @staticmethod
    def _guarded(path):
        # reverse() includes the script prefix, as request.path does.
        if not path.startswith(reverse("admin:index")):
            return False
        return not (path.startswith(reverse("second_factor:profile")) or path == reverse("admin:logout"))


def admin_page_context(request, title):
    """The admin's header and styles for these pages, without the list of apps: nothing past
    them is open yet."""
    return {**admin.site.each_context(request), "title": title, "is_nav_sidebar_enabled": False}


class EnrolView(SetupView):
    """Enrolment (R45): the key, its QR code and a first code from the app make a TOTP device;
    the backup codes are issued with it and shown once. A login that already has a device must
    pass it first: a password alone never adds a device."""

    template_name = "admin/second_factor/setup.html"
    qrcode_url = "second_factor:qr"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and second_factor_enrolled(user):
            if not _is_verified(user):
                return redirect(_with_next(reverse("second_factor:verify"), request))
            if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
                return redirect("second_factor:profile")
        return super().dispatch(request, *args, **kwargs)

    def get_available_methods(self):
        # The authenticator app only: no SMS or call gateway is configured.
        return [method for method in super().get_available_methods() if method.code == "generator"]

    def get_success_url(self):
        return reverse("second_factor:profile")

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        if self.steps.current == "generator":
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), context["secret_key"], ISSUER, digits=totp_digits()
            )
        context.update(admin_page_context(self.request, "Set up your second factor"))
        context["cancel_url"] = None
        context["next"] = self.request.GET.get("next") or self.request.POST.get("next") or ""
        return context

    def done(self, form_list, **kwargs):
        self.request.session.pop(self.session_key_name, None)
        form = next(form for form in form_list if isinstance(form, TOTPDeviceForm))
        device = form.save()
        # The code typed to enrol is not accepted a second time (django-otp's replay guard).
        device.last_t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
        device.save(update_fields=["last_t"])
        django_otp.login(self.request, device)
        self.request.session.cycle_key()
        codes = backup_codes_issue(user=self.request.user)
        context = {
            **admin_page_context(self.request, "Your second factor is set up"),
            "codes": codes,
            "next_url": _next_url(self.request),
        }
        response = TemplateResponse(self.request, "admin/second_factor/backup_codes.html", context)
        response["Cache-Control"] = "no-store"
        return response


class QRCodeView(QRGeneratorView):
    def get_issuer(self):
        return ISSUER


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=64,
        strip=True,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )


@sensitive_post_parameters("code")
def verify(request):
    """R45: the code of an enrolled login — a TOTP code, or a backup code, consumed once."""
    user = request.user
    if _is_verified(user):
        return redirect(_next_url(request))
    if not second_factor_enrolled(user):
        return redirect(_with_next(reverse("second_factor:setup"), request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_match(user=user, code=form.cleaned_data["code"])
        if device is not None:
            django_otp.login(request, device)
            request.session.cycle_key()
            return redirect(_next_url(request))
        form.add_error("code", "This code is not valid (or was already used). Try the code your app shows now.")
    context = {
        **admin_page_context(request, "Enter your second factor"),
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next") or "",
    }
    return TemplateResponse(request, "admin/second_factor/verify.html", context)


def profile(request):
    """The operator's second factor: enrolled or not, backup codes left, and a new set of
    backup codes (shown once) for a verified session."""
    user = request.user
    if second_factor_enrolled(user) and not _is_verified(user):
        return redirect(_with_next(reverse("second_factor:verify"), request))
    if request.method == "POST" and _is_verified(user):
        codes = backup_codes_issue(user=user)
        messages.success(request, "New backup codes were issued; the earlier ones no longer work.")
        context = {**admin_page_context(request, "Your new backup codes"), "codes": codes, "next_url": None}
        response = TemplateResponse(request, "admin/second_factor/backup_codes.html", context)
        response["Cache-Control"] = "no-store"
        return response
    context = {
        **admin_page_context(request, "Second factor"),
        "enrolled": TOTPDevice.objects.devices_for_user(user, confirmed=True).exists(),
        "required": second_factor_required(user),
        "verified": _is_verified(user),
        "backup_codes_left": backup_codes_left(user),
    }
    return TemplateResponse(request, "admin/second_factor/profile.html", context)


def _admin_view(view):
    # The admin's wrapper: staff only (else the admin login), CSRF, never cached.
    return admin.site.admin_view(view)


second_factor_patterns = [
    path("", _admin_view(profile), name="profile"),
    path("setup/", _admin_view(EnrolView.as_view()), name="setup"),
    path("setup/qrcode/", _admin_view(QRCodeView.as_view()), name="qr"),
    path("verify/", _admin_view(verify), name="verify"),
]

urlpatterns = [path(URL_PREFIX, include((second_factor_patterns, "second_factor")))]
