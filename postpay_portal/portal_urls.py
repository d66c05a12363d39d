"""Customer portal routes (CONTRACT §3), mounted at /portal/."""

from django.urls import path

from accounts import api_token_views
from accounts import views as account_views
from subscriptions import views as subscription_views

app_name = "portal"

urlpatterns = [
    path("login/", account_views.PortalLoginView.as_view(), name="login"),
    path("logout/", account_views.PortalLogoutView.as_view(), name="logout"),
    path("password/", account_views.PortalPasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", account_views.PortalPasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", account_views.PortalPasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        account_views.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        account_views.PortalPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("api-tokens/", api_token_views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_token_views.api_token_revoke_view, name="api_token_revoke"),
    path("", account_views.dashboard, name="dashboard"),
    path("catalog/", subscription_views.catalog, name="catalog"),
    path("postpay-review/", account_views.postpay_review, name="postpay_review"),
    path("orders/", subscription_views.order_list_view, name="order_list"),
    path("orders/new/", subscription_views.order_create, name="order_create"),
    path("orders/<id:pk>/", subscription_views.order_detail, name="order_detail"),
    path("orders/<id:pk>/cancel/", subscription_views.order_cancel_view, name="order_cancel"),
    path("subscriptions/", subscription_views.subscription_list_view, name="subscription_list"),
    path("subscriptions/<id:pk>/", subscription_views.subscription_detail, name="subscription_detail"),
    path("subscriptions/<id:pk>/renew/", subscription_views.subscription_renew_view, name="subscription_renew"),
    path("subscriptions/<id:pk>/switch/", subscription_views.subscription_switch_view, name="subscription_switch"),
]
