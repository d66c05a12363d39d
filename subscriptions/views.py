"""Customer portal: catalog, orders and subscriptions (SPEC R24, R25, R27, R47).

Views validate the shape of the input, call one service, and map its ``DomainError``:
bad input becomes errors next to the fields, another account's object a 404 (R31), any
other refusal a message. No rule is decided here: what an order would do is told by
``previews.order_preview``, and the service decides again on Confirm.

Ordering, renewing and switching go through a confirm step: a GET of the action's URL shows
the summary (plan, period, price, what happens next) and its Confirm button POSTs to the
same URL, which calls the service.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.views import customer_required
from postpay_portal.errors import DomainError, InvalidInput, NotFound

from .forms import OrderFilterForm, OrderForm, SwitchPlanForm
from .gate import order_gate_refusal
from .models import OrderStatus, OrderType, Period
from .previews import order_preview
from .selectors import (
    open_order_for_subscription,
    order_get,
    order_list,
    plan_list,
    subscription_get,
    subscription_list,
    trial_used_plan_ids,
)
from .services import order_cancel, order_place, subscription_renew, subscription_switch

PAGE_SIZE = 25
# How often an order page refreshes itself while the order provisions (a meta refresh: no
# script, so nothing for a Content-Security-Policy to forbid).
REFRESH_SECONDS = 3


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


def _preview(request, **kwargs):
    return order_preview(actor=request.user, account=request.account, settings_row=request.postpay_settings, **kwargs)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _placed(request, order):
    """One message per event: the order page says the status, the message only that the
    order was placed (a status here could already be stale beside the page's)."""
    messages.success(request, f"Order #{order.pk} placed.")
    return redirect("portal:order_detail", pk=order.pk)


def _render_confirm(request, preview, *, action, back, fields=None, status=200):
    return render(
        request,
        "portal/order_confirm.html",
        {
            "section": "subscriptions" if preview.subscription is not None else "catalog",
            "preview": preview,
            "action": action,
            "back": back,
            "fields": fields or {},
            "payment_instructions": request.postpay_settings.payment_instructions,
        },
        status=status,
    )


# --- catalog ------------------------------------------------------------------------------


@dataclass
class Offer:
    """One way to order a plan: its trial or a commercial period."""

    plan: object
    period: str
    refusal: str = ""
    trial_used: bool = False  # R47: shown as used, not offered
    review_first: bool = False  # R42: held for a credit review first; submit stays enabled
    errors: list = field(default_factory=list)

    @property
    def is_trial(self):
        return self.period == Period.TRIAL


def _catalog_offers(request, failed_form=None):
    posted = (failed_form.data.get("plan"), failed_form.data.get("period")) if failed_form else None
    trial_used = trial_used_plan_ids(request.account.pk)
    plans = []
    for plan in plan_list():
        periods = [Period.TRIAL, Period.COMMERCIAL] if plan.has_trial else [Period.COMMERCIAL]
        offers = []
        for period in periods:
            offer = Offer(plan, period)
            if period == Period.TRIAL and plan.pk in trial_used:
                offer.trial_used = True
            else:
                preview = order_preview(
                    actor=request.user,
                    account=request.account,
                    plan=plan,
                    period=period,
                    order_type=OrderType.NEW,
                    settings_row=request.postpay_settings,
                    trial_used=trial_used,
                )
                offer.refusal, offer.review_first = preview.refusal, preview.credit_review
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
    """R27: every plan is listed; a refused order shows why and its button is disabled.
    R47: a trial already used reads "Trial used" and is not offered."""
    return _render_catalog(request)


@customer_required
@require_http_methods(["GET", "POST"])
def order_create(request):
    """GET: the confirm step of a `new` order. POST (Confirm): R5, R9, R10, R47 — the service
    decides; an order it refuses is refused here too."""
    form = OrderForm(request.POST if request.method == "POST" else request.GET)
    if form.is_valid() and request.method == "GET":
        plan = plan_list().filter(pk=form.cleaned_data["plan"]).first()
        if plan is None:
            form.add_error("plan", "No such plan.")
        elif form.cleaned_data["period"] == Period.TRIAL and not plan.has_trial:
            form.add_error("period", "This plan has no trial period.")
        else:
            preview = _preview(request, plan=plan, period=form.cleaned_data["period"], order_type=OrderType.NEW)
            return _render_confirm(
                request,
                preview,
                action=reverse("portal:order_create"),
                back=reverse("portal:catalog"),
                fields={"plan": plan.pk, "period": preview.period},
            )
    elif form.is_valid():
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
            return _placed(request, order)
    return _render_catalog(request, failed_form=form, status=400)


# --- orders -------------------------------------------------------------------------------


@customer_required
def order_list_view(request):
    """R24, R28: the status filter offers and matches the statuses the customer is shown (an
    order failed by a decline is "Under review", ``selectors.customer_status_filter``)."""
    filter_form = OrderFilterForm(request.GET)
    shown = filter_form.shown_status()
    page = _page(request, order_list(user=request.user, status=shown))
    word = filter_form.cleaned_data["status"] if shown else ""
    return render(
        request,
        "portal/order_list.html",
        {
            "section": "orders",
            "page": page,
            "filter_form": filter_form,
            "status": word,
            "page_query": urlencode({"status": word}) + "&" if word else "",
        },
        status=200 if filter_form.is_valid() else 400,
    )


@customer_required
def order_detail(request, pk):
    """R24: another account's order is a 404, exactly like a missing one. While it
    provisions, the page refreshes itself (a meta refresh: no script)."""
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
            "payment_instructions": request.postpay_settings.payment_instructions,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@customer_required
@require_http_methods(["POST"])
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


def _refused(request, exc, pk):
    messages.error(request, exc.detail)
    return redirect("portal:subscription_detail", pk=pk)


@customer_required
@require_http_methods(["GET", "POST"])
def subscription_renew_view(request, pk):
    """GET: the confirm step of a renewal. POST (Confirm): R23, R5 — a renewal order through
    the same gate as a new one."""
    if request.method == "GET":
        subscription = _subscription_or_404(request, pk)
        preview = _preview(
            request,
            plan=subscription.plan,
            period=Period.COMMERCIAL,
            order_type=OrderType.RENEWAL,
            subscription=subscription,
        )
        return _render_confirm(
            request,
            preview,
            action=reverse("portal:subscription_renew", args=[pk]),
            back=reverse("portal:subscription_detail", args=[pk]),
        )
    try:
        order = subscription_renew(actor=request.user, subscription_id=pk)
    except NotFound:
        raise Http404("No such subscription.")
    except DomainError as exc:
        return _refused(request, exc, pk)
    return _placed(request, order)


@customer_required
@require_http_methods(["GET", "POST"])
def subscription_switch_view(request, pk):
    """GET (with ``plan``): the confirm step of a switch. POST (Confirm): R23, R5 — a switch
    order through the same gate as a new one."""
    subscription = _subscription_or_404(request, pk)
    offers = _switch_offers(request, subscription)
    form = SwitchPlanForm(request.POST if request.method == "POST" else request.GET, offers=offers)
    if form.is_valid() and request.method == "GET":
        plan = next(plan for plan, _ in offers if plan.pk == form.cleaned_data["plan"])
        preview = _preview(
            request, plan=plan, period=Period.COMMERCIAL, order_type=OrderType.SWITCH, subscription=subscription
        )
        return _render_confirm(
            request,
            preview,
            action=reverse("portal:subscription_switch", args=[pk]),
            back=reverse("portal:subscription_detail", args=[pk]),
            fields={"plan": plan.pk},
        )
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
            return _refused(request, exc, pk)
        else:
            return _placed(request, order)
    return _render_subscription(request, subscription, switch_form=form, status=400)
