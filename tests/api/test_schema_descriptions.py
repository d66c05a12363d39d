"""The API docs are for integrators: no description of the schema cites the product's rules
("(R6, R28)", "R33: …", "CONTRACT §4"), though the docstrings it is built from do."""

import re

import pytest
import yaml

from postpay_portal.api.schema import without_rule_references

RULE_REFERENCE = re.compile(r"\bR\d+\b|CONTRACT|SPEC\b|STYLE\b|§")


def descriptions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from descriptions(value)
    elif isinstance(node, list):
        for value in node:
            yield from descriptions(value)


@pytest.mark.django_db
def test_no_description_of_the_api_docs_cites_a_rule(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    texts = list(descriptions(schema))
    assert len(texts) > 50  # the operations' and fields' descriptions are there
    assert [text for text in texts if RULE_REFERENCE.search(text)] == []
    assert "JSON API for integrators. Authenticate with" in schema["info"]["description"]


@pytest.mark.parametrize(
    ("docstring", "shown"),
    [
        (
            "A `renewal` order through the same gate (R5, R23). Staff need ``add_order`` (R33).",
            "A `renewal` order through the same gate. Staff need ``add_order``.",
        ),
        (
            "List orders (customers: their own, filtered by the status they are shown, R24) and place one.",
            "List orders (customers: their own, filtered by the status they are shown) and place one.",
        ),
        (
            "R15: approve once. R33: the decide permission, as in the queue.",
            "Approve once. The decide permission, as in the queue.",
        ),
        ("Create one (R7, R8; R33: creating needs ``add_account``).", "Create one (creating needs ``add_account``)."),
        ("The changed object, as of the change; see CONTRACT §4.", "The changed object, as of the change."),
        ("Placed (R9–R13, R36b) at once (never twice).", "Placed at once (never twice)."),
    ],
)
def test_rule_references_are_taken_out_of_a_description_and_the_rest_kept(docstring, shown):
    assert without_rule_references(docstring) == shown
