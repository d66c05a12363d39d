"""Customer portal: login, password, dashboard (CONTRACT §3; SPEC R6, R24, R27).

Every page needs a customer login. Operators are sent to the operator portal; a customer
reaches only their own account (R24, R31).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from manual_operations.services import manual_operation_ask_in_advance
from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get
from subscriptions.selectors import order_list, subscription_list

from .selectors import account_get_for_user
from .visibility import CUSTOMER_UNDER_REVIEW_TEXT, customer_may_ask_for_review

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


@customer_required
def dashboard(request):
    """The account, its subscriptions and latest orders; the banner comes from base.html."""
    subscriptions = list(subscription_list(user=request.user)[:DASHBOARD_ROWS])
    orders = list(order_list(user=request.user)[:DASHBOARD_ROWS])
    return render(
        request,
        "portal/dashboard.html",
        {"section": "dashboard", "account": request.account, "subscriptions": subscriptions, "orders": orders},
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
        messages.success(request, f"Thank you: we review your account. {CUSTOMER_UNDER_REVIEW_TEXT}.")
        return redirect("portal:dashboard")
    return render(request, "portal/postpay_review.html", {"section": "catalog", "account": request.account})
