"""The REST API as its clients see it: token clients that keep what a customer was sent, the
masking check on those bodies (R6, R24, R28), and orders placed through ``/api/v1/orders/``."""

import json

from rest_framework.test import APIClient

from accounts.models import Account, PostpayPermission
from manual_operations.models import DeclineReason

FORBIDDEN_FOR_CUSTOMERS = ["declin", *DeclineReason.values]

# (account id, body) of every API answer a customer received in the current test; scanned by
# tests/api/conftest.py after each test.
CUSTOMER_BODIES = []


class RecordingClient(APIClient):
    """An API client that keeps what a customer user was sent."""

    user = None

    def request(self, **kwargs):
        response = super().request(**kwargs)
        # The schema documents every value of the contract; it says nothing about an account.
        if self.user is not None and not self.user.is_staff and kwargs["PATH_INFO"].startswith("/api/v1/"):
            CUSTOMER_BODIES.append((self.user.account_id, response.content.decode(errors="replace")))
        return response


def assert_no_decline_shown(bodies):
    """``bodies``: (account id, body) pairs a customer received."""
    declined = set(
        Account.objects.filter(
            pk__in={account_id for account_id, _ in bodies}, postpay_permission=PostpayPermission.DECLINED
        ).values_list("pk", flat=True)
    )
    for account_id, text in bodies:
        lowered = text.lower()
        for word in FORBIDDEN_FOR_CUSTOMERS:
            assert word not in lowered, f"a customer was shown {word!r}: {text[:500]}"
        if account_id in declined:
            assert "provisioning_failed" not in lowered, f"a declined account's customer saw: {text[:500]}"


def body(response):
    return json.loads(response.content)


def api_place(client, key=None, **payload):
    """POST ``payload`` as it is (an invalid one too) to ``/api/v1/orders/``; ``key`` is sent
    as the ``Idempotency-Key``."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/orders/", payload, format="json", **headers)
