"""CONTRACT §4: too many requests from one login or address are 429 ``throttled`` with
``Retry-After`` — token requests per username and per address, other writes per login and per
address — counted in Django's cache, never in the database; the defaults are never below the
contract's floors, and every operation of the schema declares the 429."""

import hashlib

import pytest
import yaml
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken
from postpay_portal.api.throttling import TokenPerUsernameThrottle
from tests.factories import PASSWORD, CustomerFactory, api_token_for

pytestmark = pytest.mark.django_db

FLOORS = {  # requests a minute (CONTRACT §4)
    "token_per_username": 30,
    "token_per_address": 600,
    "write_per_login": 1200,
    "write_per_address": 12000,
}


@pytest.fixture
def rates(settings):
    """``rates(scope="N/min", …)``: lower some rates for this test only."""

    def lower(**changed):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **changed},
        }

    return lower


def token_request(username, password=PASSWORD, address="127.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"code", "detail"}
    assert int(response["Retry-After"]) >= 1


def row_counts():
    return {model._meta.db_table: model.objects.count() for model in apps.get_models()}


def test_defaults_are_never_below_the_contracts_floors():
    from postpay_portal import settings as product_settings

    shipped = product_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    for scope, floor in FLOORS.items():
        requests, seconds = SimpleRateThrottle.parse_rate(None, shipped[scope])
        assert requests * 60 / seconds >= floor, scope


def test_token_requests_for_one_username_are_throttled_even_with_the_right_password(rates, customer_alice):
    rates(token_per_username="3/min")
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # from anywhere
        assert token_request("alice", "wrong-password", address).status_code == 401

    response = token_request("alice", address="10.0.0.4")

    assert_throttled(response)
    assert not ApiToken.objects.exists()
    assert token_request("bob", address="10.0.0.4").status_code == 401  # another username is counted apart


def test_token_requests_from_one_address_are_throttled_across_usernames(rates, customer_alice):
    rates(token_per_address="3/min")
    for username in ("u1", "u2", "u3"):
        assert token_request(username, "wrong-password").status_code == 401

    assert_throttled(token_request("alice"))
    assert not ApiToken.objects.exists()
    assert token_request("alice", address="10.9.9.9").status_code == 200  # another address


def test_writes_of_one_login_are_throttled_and_reads_are_not(rates, customer_alice, outsider_oscar):
    rates(write_per_login="2/min")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(customer_alice)}")
    for _ in range(2):
        assert client.post("/api/v1/account/postpay-review/").status_code != 429

    assert_throttled(client.post("/api/v1/account/postpay-review/"))
    assert_throttled(client.patch("/api/v1/account/", {}, format="json"))
    for _ in range(5):
        assert client.get("/api/v1/plans/").status_code == 200
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(outsider_oscar)}")
    assert other.post("/api/v1/account/postpay-review/").status_code != 429


def test_writes_from_one_address_are_throttled_across_logins(rates, customer_alice):
    rates(write_per_address="2/min")
    clients = []
    for user in [customer_alice, *(CustomerFactory() for _ in range(2))]:
        client = APIClient(REMOTE_ADDR="10.1.2.3")
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
        clients.append(client)

    assert clients[0].post("/api/v1/account/postpay-review/").status_code != 429
    assert clients[1].post("/api/v1/account/postpay-review/").status_code != 429
    assert_throttled(clients[2].post("/api/v1/account/postpay-review/"))


def test_throttle_counters_live_in_the_cache_not_in_the_database(rates, customer_alice):
    rates(token_per_username="2/min")
    for _ in range(2):
        token_request("alice", "wrong-password")
    before = row_counts()

    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert_throttled(token_request("alice"))

    assert row_counts() == before
    assert queries.captured_queries == []  # a throttled request never reaches the database
    throttle = TokenPerUsernameThrottle()
    history = cache.get(throttle.key_for(hashlib.sha256(b"alice").hexdigest()))
    assert len(history) == 2  # the two requests let through, as times in the cache


def test_every_operation_of_the_schema_declares_the_429():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 25
    for path, method, operation in operations:
        throttled = operation["responses"].get("429")
        assert throttled, (method, path)
        assert "`throttled`" in throttled["description"]
        assert "Retry-After" in throttled["headers"]
    assert yaml.safe_load(APIClient().get("/api/schema/").content)["paths"]["/api/v1/auth/token/"]["post"]["responses"][
        "429"
    ]


@pytest.mark.redis
def test_counters_are_shared_through_redis_when_the_cache_is_redis(rates, settings, redis_server, customer_alice):
    """docker-compose.yml sets CACHE_URL=redis://redis:6379/1: every gunicorn worker counts in
    the same place."""
    import redis

    url = f"redis://127.0.0.1:{redis_server.port}/1"
    redis.Redis.from_url(url).flushdb()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    rates(token_per_username="1/min")

    assert token_request("alice").status_code == 200
    assert_throttled(token_request("alice"))
    assert redis.Redis.from_url(url).keys("*throttle_token_per_username*")


@pytest.mark.subprocess
def test_cache_url_selects_redis_and_locmem_is_the_default(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from tests.servers import ROOT

    script = "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))"
    found = {}
    for label, extra in (("default", {}), ("redis", {"CACHE_URL": "redis://redis:6379/1"})):
        env = {
            **{key: value for key, value in os.environ.items() if key != "CACHE_URL"},
            "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
            "POSTPAY_VAR_DIR": str(tmp_path),
            "DJANGO_SECRET_KEY": "tests-only-secret-key-not-used-anywhere-else-0123456789",
            "DJANGO_LOG_LEVEL": "WARNING",
            **extra,
        }
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-2000:]
        found[label] = json.loads(result.stdout.strip().splitlines()[-1])["default"]
    assert found["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["redis"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis:6379/1",
    }
