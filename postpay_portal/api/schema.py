"""OpenAPI helpers: the contract's error body, each endpoint's documented error codes, and
descriptions without the rule references the code's docstrings carry."""

import copy
import re

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorOutput = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(
            help_text="Stable machine-readable code; each response lists the codes it may carry."
        ),
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


# A rule of the product's documents as the code cites it: "R33", "R36b", "R9–R13", "§4",
# "CONTRACT §4", "SPEC R29".
RULE = r"(?:(?:SPEC|CONTRACT|STYLE)\s+)?(?:R\d+[a-z]?(?:[–-]R?\d+[a-z]?)?|§\s*\d+)"
RULE_LIST = rf"{RULE}(?:\s*,\s*{RULE})*"


def _inside_parentheses(match):
    content = re.sub(rf"\b{RULE_LIST}\s*:\s*", "", match.group(1))
    content = re.sub(rf"(?:^|\s*[,;]\s*)(?:see\s+)?{RULE_LIST}(?=\s*(?:[,;]|$))", "", content).strip(" ,;")
    return f" ({content})" if content else ""


def without_rule_references(text):
    """A description as integrators read it: the docstrings the schema is built from cite the
    product's rules for developers ("(R6, R28)", "R33: …", "see CONTRACT §4"); the API docs
    leave them out."""
    text = re.sub(
        r"\s*\(([^()]*)\)", lambda m: _inside_parentheses(m) if re.search(RULE, m.group(1)) else m.group(0), text
    )
    text = re.sub(rf"[;,]?\s*see\s+{RULE_LIST}", "", text)
    text = re.sub(rf"(^|[.!?]\s+){RULE_LIST}\s*:\s*(\S)", lambda m: m.group(1) + m.group(2).upper(), text)
    return re.sub(rf"\s*\b{RULE_LIST}\b", "", text)


def strip_rule_references(result, generator, request, public):
    """drf-spectacular postprocessing hook: every description of the schema without rule
    references (``without_rule_references``)."""

    def clean(node):
        if isinstance(node, dict):
            return {
                key: without_rule_references(value) if key == "description" and isinstance(value, str) else clean(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [clean(value) for value in node]
        return node

    return clean(result)
