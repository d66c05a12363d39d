"""REST API routes (CONTRACT §4), mounted at /api/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import apis as accounts
from audit import apis as audit
from events import apis as events
from manual_operations import apis as manual_operations
from settings_app import apis as settings_app
from subscriptions import apis as subscriptions

from .api.exceptions import api_not_found
from .api.views import TokenCreateApi, TokenLogoutApi

v1 = [
    path("auth/token/", TokenCreateApi.as_view(), name="token"),
    path("auth/logout/", TokenLogoutApi.as_view(), name="logout"),
    path("settings/postpay/", settings_app.PostpaySettingsApi.as_view(), name="settings-postpay"),
    path("plans/", subscriptions.PlanListApi.as_view(), name="plans"),
    path("plans/<id:pk>/", subscriptions.PlanDetailApi.as_view(), name="plan"),
    path("accounts/", accounts.AccountListApi.as_view(), name="accounts"),
    path("accounts/<id:pk>/", accounts.AccountDetailApi.as_view(), name="account-detail"),
    path("accounts/<id:pk>/users/", accounts.AccountUserCreateApi.as_view(), name="account-users"),
    path("accounts/<id:pk>/credit-terms/", accounts.AccountCreditTermsApi.as_view(), name="account-credit-terms"),
    path("accounts/<id:pk>/payment-hold/", accounts.AccountPaymentHoldApi.as_view(), name="account-payment-hold"),
    path(
        "accounts/<id:pk>/approve-in-advance/",
        accounts.AccountApproveInAdvanceApi.as_view(),
        name="account-approve-in-advance",
    ),
    path("account/", accounts.MyAccountApi.as_view(), name="my-account"),
    path("account/postpay-review/", accounts.MyAccountPostpayReviewApi.as_view(), name="my-account-postpay-review"),
    path("orders/", subscriptions.OrderListApi.as_view(), name="orders"),
    path("orders/<id:pk>/", subscriptions.OrderDetailApi.as_view(), name="order"),
    path("orders/<id:pk>/pay/", subscriptions.OrderPayApi.as_view(), name="order-pay"),
    path("orders/<id:pk>/cancel/", subscriptions.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<id:pk>/retry/", subscriptions.OrderRetryApi.as_view(), name="order-retry"),
    path("subscriptions/", subscriptions.SubscriptionListApi.as_view(), name="subscriptions"),
    path("subscriptions/<id:pk>/", subscriptions.SubscriptionDetailApi.as_view(), name="subscription"),
    path("subscriptions/<id:pk>/renew/", subscriptions.SubscriptionRenewApi.as_view(), name="subscription-renew"),
    path("subscriptions/<id:pk>/switch/", subscriptions.SubscriptionSwitchApi.as_view(), name="subscription-switch"),
    path("manual-operations/", manual_operations.ManualOperationListApi.as_view(), name="manual-operations"),
    path(
        "manual-operations/<id:pk>/approve/",
        manual_operations.ManualOperationApproveApi.as_view(),
        name="manual-operation-approve",
    ),
    path(
        "manual-operations/<id:pk>/decline/",
        manual_operations.ManualOperationDeclineApi.as_view(),
        name="manual-operation-decline",
    ),
    path("audit-log/", audit.AuditLogListApi.as_view(), name="audit-log"),
    path("events/", events.EventListApi.as_view(), name="events"),
    path("webhook-endpoints/", events.WebhookEndpointListApi.as_view(), name="webhook-endpoints"),
    path("webhook-endpoints/<id:pk>/", events.WebhookEndpointDetailApi.as_view(), name="webhook-endpoint"),
    path(
        "webhook-endpoints/<id:pk>/rotate-secret/",
        events.WebhookEndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<id:pk>/deliveries/",
        events.WebhookEndpointDeliveriesApi.as_view(),
        name="webhook-endpoint-deliveries",
    ),
    path(
        "webhook-endpoints/<id:pk>/replay/", events.WebhookEndpointReplayApi.as_view(), name="webhook-endpoint-replay"
    ),
    path(
        "webhook-deliveries/<id:pk>/redeliver/",
        events.WebhookDeliveryRedeliverApi.as_view(),
        name="webhook-delivery-redeliver",
    ),
]

urlpatterns = [
    path("v1/", include((v1, "api"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file of its own (docs/?script=):
    # the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other path: a pattern that matches any rest, line breaks included (``^.*$`` stops
    # at one, and Django's own HTML 404 page would answer).
    re_path(r"^", api_not_found),
]
