"""REST API routes (CONTRACT §4), mounted at /api/."""

urlpatterns = []
