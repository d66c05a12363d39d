"""The product's URLconf plus a view with a bug, under /api/ and outside it (test_ids.py)."""

from django.urls import path

from postpay_portal.urls import handler404, handler500  # noqa: F401
from postpay_portal.urls import urlpatterns as product_urlpatterns


def bug(request):
    raise RuntimeError("a bug outside DRF")


urlpatterns = [path("api/bug/", bug), path("bug/", bug), *product_urlpatterns]
