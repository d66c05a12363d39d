"""REST: the audit log (CONTRACT §4, SPEC R29). Staff read; nobody writes."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from postpay_portal.api.filters import IdFilter, filter_parameters, validated_filters
from postpay_portal.api.pagination import ApiPagination
from postpay_portal.api.permissions import ModelPermission
from postpay_portal.api.schema import errors

from .models import API_OBJECT_TYPES, PORTAL_ONLY_FIELDS, AuditLogEntry
from .selectors import audit_log_list


class AuditLogFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(choices=[(t.value, t.label) for t in API_OBJECT_TYPES])
    object_id = IdFilter()


class AuditLogEntryOutput(serializers.Serializer):
    """``from``/``to`` are stored values; ``actor`` is a username or ``"system"``."""

    def get_fields(self):
        return {
            "object_type": serializers.ChoiceField(choices=[(t.value, t.label) for t in API_OBJECT_TYPES]),
            "object_id": serializers.IntegerField(),
            "field": serializers.CharField(),
            "from": serializers.CharField(source="from_value", allow_null=True),
            "to": serializers.CharField(source="to_value", allow_null=True),
            "actor": serializers.CharField(source="actor_label"),
            "at": serializers.DateTimeField(),
            "reason": serializers.CharField(),
        }


class AuditLogListApi(ListAPIView):
    permission_classes = [ModelPermission]
    queryset = AuditLogEntry.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = AuditLogEntryOutput
    pagination_class = ApiPagination

    def get_queryset(self):
        return (
            audit_log_list(**validated_filters(AuditLogFilter, self))
            .filter(object_type__in=API_OBJECT_TYPES)
            .exclude(field__in=PORTAL_ONLY_FIELDS)
        )

    @extend_schema(
        parameters=filter_parameters(AuditLogFilter),
        responses={
            200: AuditLogEntryOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["audit"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
