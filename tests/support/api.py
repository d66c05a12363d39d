"""The REST API as its clients see it."""


def api_place(client, key=None, **payload):
    """POST ``payload`` as it is (an invalid one too) to ``/api/v1/orders/``; ``key`` is sent
    as the ``Idempotency-Key``."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/orders/", payload, format="json", **headers)
