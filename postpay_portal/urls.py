from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .api.exceptions import page_not_found, server_error
from .metrics import metrics
from .second_factor import urlpatterns as second_factor_urls
from .views import healthz, readyz

urlpatterns = [
    path("", RedirectView.as_view(url="/portal/", permanent=False)),
    *second_factor_urls,  # under /admin/, before the admin's own catch-all
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("readyz/", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("postpay_portal.api_urls")),
    path("portal/", include("postpay_portal.portal_urls")),
]

# Under /api/ even an error no view answered has the contract's JSON body (R31, CONTRACT §4).
handler404 = page_not_found
handler500 = server_error
