"""OpenAPI helpers: the contract's error body and each endpoint's documented error codes."""

import copy

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorOutput = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable machine-readable code (CONTRACT §4)."),
        "detail": serializers.CharField(help_text="Human-readable sentence."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Present exactly when `code` is `invalid`: where validation failed.",
        ),
    },
)


def errors(*, body=False, auth=True, **codes_by_status):
    """``errors(body=True, s409=["order_in_progress"])`` → the ``responses`` entries, each
    listing its codes; ``body`` adds what any request body can meet (``invalid``,
    ``malformed_request``), ``auth`` the 401 of every authenticated endpoint."""
    merged = {}
    if body:
        merged[400] = ["invalid", "malformed_request"]
    if auth:
        merged[401] = ["not_authenticated"]
    for key, codes in codes_by_status.items():
        merged.setdefault(int(key[1:]), []).extend(c for c in codes if c not in merged.get(int(key[1:]), []))
    return {
        status: OpenApiResponse(ErrorOutput, description="Codes: " + ", ".join(f"`{c}`" for c in codes))
        for status, codes in sorted(merged.items())
    }


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

THROTTLED_RESPONSE = {
    "description": (
        "Codes: `throttled`. Too many requests from one login or address; `Retry-After` says when to try again."
    ),
    "headers": {
        "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}},
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def declare_throttled(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation may answer 429 ``throttled``
    (CONTRACT §4), whoever wrote the endpoint and whether or not it declares its errors."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                operation.setdefault("responses", {}).setdefault("429", copy.deepcopy(THROTTLED_RESPONSE))
    return result
