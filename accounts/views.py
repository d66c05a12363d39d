"""Customer portal: login, password, dashboard (CONTRACT §3; SPEC R6, R24, R27).

Every page needs a customer login. Operators are sent to the operator portal; a customer
reaches only their own account (R24, R31).
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from manual_operations.services import manual_operation_ask_in_advance
from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get
from subscriptions.models import OrderStatus
from subscriptions.selectors import order_list, subscription_list
from subscriptions.visibility import customer_credit

from .selectors import account_get_for_user
from .visibility import customer_may_ask_for_review

DASHBOARD_ROWS = 5


def customer_required(view):
    """A customer login for every portal page.

    The account and the postpay settings are read once here and kept on the request:
    the banner of R27 and the gate previews of the pages need both.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            return redirect("admin:index")
        if user.account_id is None:
            raise PermissionDenied("This login belongs to no account.")
        request.account = account_get_for_user(user=user, account_id=user.account_id)
        request.postpay_settings = postpay_settings_get()
        return view(request, *args, **kwargs)

    return wrapper


class PortalLoginView(auth_views.LoginView):
    """Django's login: its form passes ``request`` to ``authenticate``, so django-axes counts
    failures here and at /admin/login/ against the same limit."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


@method_decorator(customer_required, name="dispatch")
class PortalPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:dashboard")
    extra_context = {"section": "password"}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response


def is_customer_login(user):
    """A login of an account, not an operator's: the only kind the portal serves."""
    return not user.is_staff and user.account_id is not None


class CustomerPasswordResetForm(PasswordResetForm):
    """Resets only customer logins (decision: an operator's password is reset by a
    superuser in the operator portal; an e-mailed link must not open a staff login, whose
    second factor and permissions a superuser controls, R33, R45)."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if is_customer_login(user))


class PortalPasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail; the link is built on ``POSTPAY_BASE_URL``, as every e-mail's,
    never on the request's Host header. The page says the same whether the address is
    known or not."""

    form_class = CustomerPasswordResetForm
    template_name = "portal/password_reset_form.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {"base_url": settings.POSTPAY_BASE_URL}
        return super().form_valid(form)


class PortalPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def get_user(self, uidb64):
        """A link never resets a staff login, even one made by hand (see the form)."""
        user = super().get_user(uidb64)
        return user if user is not None and is_customer_login(user) else None


class PortalPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


@customer_required
def dashboard(request):
    """The account, its subscriptions and latest orders; the banner comes from base.html.
    While an order waits for payment, how to pay (the operators' payment instructions)."""
    subscriptions = list(subscription_list(user=request.user)[:DASHBOARD_ROWS])
    orders = list(order_list(user=request.user)[:DASHBOARD_ROWS])
    instructions = request.postpay_settings.payment_instructions
    waits_for_payment = bool(instructions) and (
        order_list(user=request.user, status=OrderStatus.WAITING_FOR_PAYMENT).exists()
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "section": "dashboard",
            "account": request.account,
            "subscriptions": subscriptions,
            "orders": orders,
            "payment_instructions": instructions if waits_for_payment else "",
            # R42: limit, commitment and what remains, for an approved account in mode Manually.
            "credit": customer_credit(request.account, request.postpay_settings),
        },
    )


@customer_required
def postpay_review(request):
    """R36a: ask for postpaid ordering before any order, after a confirmation that says what
    happens. Offered only while it can be asked; the service decides anyway."""
    if not customer_may_ask_for_review(request.account, request.postpay_settings):
        return redirect("portal:catalog")
    if request.method == "POST":
        try:
            manual_operation_ask_in_advance(actor=request.user, account_id=request.account.pk)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("portal:catalog")
        # The banner of every page now says the account is under review (R27): once a screen.
        messages.success(request, "Thank you: your request was received and we are reviewing your account.")
        return redirect("portal:dashboard")
    return render(request, "portal/postpay_review.html", {"section": "catalog", "account": request.account})
