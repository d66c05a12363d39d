from .models import AuditLogEntry


def audit_log_list(*, object_type=None, object_id=None):
    qs = AuditLogEntry.objects.select_related("actor")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id is not None:
        qs = qs.filter(object_id=object_id)
    return qs
