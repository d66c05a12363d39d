"""Customer portal routes (CONTRACT §3), mounted at /portal/."""

urlpatterns = []
