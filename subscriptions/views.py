"""Customer portal: catalog, orders and subscriptions (SPEC R24, R25, R27).

Views validate the shape of the input, call one service, and map its ``DomainError``:
bad input becomes errors next to the fields, another account's object a 404 (R31), any
other refusal a message. No rule is decided here.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.views import customer_required
from postpay_portal.errors import DomainError, InvalidInput, NotFound

from .forms import OrderForm, SwitchPlanForm
from .gate import order_gate_refusal
from .models import OrderStatus, OrderType, Period
from .selectors import (
    open_order_for_subscription,
    order_get,
    order_list,
    plan_list,
    subscription_get,
    subscription_list,
)
from .services import order_cancel, order_place, subscription_renew, subscription_switch
from .templatetags.portal import customer_status

PAGE_SIZE = 25


def _gate_refusal(request, *, plan, period, order_type):
    """R27: the detail of the refusal this order would meet (masked for customers), or ""."""
    refusal = order_gate_refusal(
        actor=request.user,
        account=request.account,
        plan=plan,
        period=period,
        order_type=order_type,
        settings_row=request.postpay_settings,
    )
    return refusal.detail if refusal else ""


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _placed_message(order):
    return f"Order #{order.pk} placed. Status: {customer_status(order)}."


# --- catalog ------------------------------------------------------------------------------


@dataclass
class Offer:
    """One way to order a plan: its trial or a commercial period."""

    plan: object
    period: str
    refusal: str = ""
    errors: list = field(default_factory=list)

    @property
    def is_trial(self):
        return self.period == Period.TRIAL


def _catalog_offers(request, failed_form=None):
    posted = (failed_form.data.get("plan"), failed_form.data.get("period")) if failed_form else None
    plans = []
    for plan in plan_list():
        periods = [Period.TRIAL, Period.COMMERCIAL] if plan.has_trial else [Period.COMMERCIAL]
        offers = []
        for period in periods:
            offer = Offer(plan, period, _gate_refusal(request, plan=plan, period=period, order_type=OrderType.NEW))
            if posted == (str(plan.pk), period):
                offer.errors = [error for errors in failed_form.errors.values() for error in errors]
                failed_form = None  # shown on its card, not above the catalog
            offers.append(offer)
        plans.append((plan, offers))
    return plans, failed_form


def _render_catalog(request, failed_form=None, status=200):
    plans, unplaced_form = _catalog_offers(request, failed_form)
    return render(
        request,
        "portal/catalog.html",
        {"section": "catalog", "plans": plans, "failed_form": unplaced_form},
        status=status,
    )


@customer_required
def catalog(request):
    """R27: every plan is listed; a refused order shows why and its button is disabled."""
    return _render_catalog(request)


@customer_required
@require_POST
def order_create(request):
    """R5, R9, R10: the service decides; a gated order it refuses is refused here too."""
    form = OrderForm(request.POST)
    if form.is_valid():
        try:
            order = order_place(
                actor=request.user,
                account_id=request.account.pk,
                plan_id=form.cleaned_data["plan"],
                period=form.cleaned_data["period"],
            )
        except InvalidInput as exc:
            form.add_domain_errors(exc)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("portal:catalog")
        else:
            messages.success(request, _placed_message(order))
            return redirect("portal:order_detail", pk=order.pk)
    return _render_catalog(request, failed_form=form, status=400)


# --- orders -------------------------------------------------------------------------------


@customer_required
def order_list_view(request):
    page = _page(request, order_list(user=request.user))
    return render(request, "portal/order_list.html", {"section": "orders", "page": page})


@customer_required
def order_detail(request, pk):
    """R24: another account's order is a 404, exactly like a missing one."""
    try:
        order = order_get(user=request.user, order_id=pk)
    except NotFound:
        raise Http404("No such order.")
    return render(
        request,
        "portal/order_detail.html",
        {
            "section": "orders",
            "order": order,
            # R25: only an order waiting for payment offers Cancel; the service decides.
            "can_cancel": order.status == OrderStatus.WAITING_FOR_PAYMENT,
        },
    )


@customer_required
@require_POST
def order_cancel_view(request, pk):
    """R25: a customer cancels an order waiting for payment; a held one cannot be."""
    try:
        order = order_cancel(actor=request.user, order_id=pk)
    except NotFound:
        raise Http404("No such order.")
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Order #{order.pk} was cancelled.")
    return redirect("portal:order_detail", pk=pk)


# --- subscriptions ------------------------------------------------------------------------


@customer_required
def subscription_list_view(request):
    page = _page(request, subscription_list(user=request.user))
    return render(request, "portal/subscription_list.html", {"section": "subscriptions", "page": page})


def _subscription_or_404(request, pk):
    try:
        return subscription_get(user=request.user, subscription_id=pk)
    except NotFound:
        raise Http404("No such subscription.")


def _switch_offers(request, subscription):
    return [
        (plan, _gate_refusal(request, plan=plan, period=Period.COMMERCIAL, order_type=OrderType.SWITCH))
        for plan in plan_list().exclude(pk=subscription.plan_id)
    ]


def _render_subscription(request, subscription, switch_form=None, status=200):
    offers = _switch_offers(request, subscription)
    switch_form = switch_form or SwitchPlanForm(offers=offers)
    return render(
        request,
        "portal/subscription_detail.html",
        {
            "section": "subscriptions",
            "subscription": subscription,
            "orders": order_list(user=request.user).filter(subscription=subscription)[:10],
            "open_order": open_order_for_subscription(subscription),
            "renew_refusal": _gate_refusal(
                request, plan=subscription.plan, period=Period.COMMERCIAL, order_type=OrderType.RENEWAL
            ),
            "switch_form": switch_form,
            "switch_refusals": sorted({refusal for _, refusal in offers if refusal}),
        },
        status=status,
    )


@customer_required
def subscription_detail(request, pk):
    return _render_subscription(request, _subscription_or_404(request, pk))


@customer_required
@require_POST
def subscription_renew_view(request, pk):
    """R23, R5: a renewal order through the same gate as a new one."""
    try:
        order = subscription_renew(actor=request.user, subscription_id=pk)
    except NotFound:
        raise Http404("No such subscription.")
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:subscription_detail", pk=pk)
    messages.success(request, _placed_message(order))
    return redirect("portal:order_detail", pk=order.pk)


@customer_required
@require_POST
def subscription_switch_view(request, pk):
    """R23, R5: a switch order through the same gate as a new one."""
    subscription = _subscription_or_404(request, pk)
    form = SwitchPlanForm(request.POST, offers=_switch_offers(request, subscription))
    if form.is_valid():
        try:
            order = subscription_switch(
                actor=request.user, subscription_id=subscription.pk, plan_id=form.cleaned_data["plan"]
            )
        except NotFound:
            raise Http404("No such subscription.")
        except InvalidInput as exc:
            form.add_domain_errors(exc)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("portal:subscription_detail", pk=pk)
        else:
            messages.success(request, _placed_message(order))
            return redirect("portal:order_detail", pk=order.pk)
    return _render_subscription(request, subscription, switch_form=form, status=400)
