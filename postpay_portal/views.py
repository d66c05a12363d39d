from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import OK, check_database, readiness


@never_cache
@require_GET
def healthz(request):
    """CONTRACT §3: 200 when the database answers, 503 otherwise."""
    if check_database() != OK:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """CONTRACT §3, R35: 200 when the database, the broker, a worker and the scheduler are
    all well; 503 with the same shape otherwise, each failing check saying why."""
    ready, checks = readiness()
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
