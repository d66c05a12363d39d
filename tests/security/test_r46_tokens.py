"""R46: API tokens are stored only as hashes, expire (API_TOKEN_TTL_HOURS), can be several per
login — each labelled with a client name — and are revoked one by one; nothing shows a token
again after it was issued; a password change revokes every token of the login. CONTRACT §4's
token answer and logout, and §5's ``api_token_create``."""

import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import api_token_create, api_token_revoke
from postpay_portal.errors import NotFound, PermissionDenied
from tests.factories import PASSWORD, api_token_for
from tests.servers import ROOT

pytestmark = pytest.mark.django_db


def issue(username, name=None, **extra):
    payload = {"username": username, "password": PASSWORD, **extra}
    if name is not None:
        payload["name"] = name
    response = APIClient().post("/api/v1/auth/token/", payload, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def status_with(token, path="/api/v1/plans/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(path).status_code


def works(token):
    return status_with(token) == 200


def every_stored_value():
    """Every value of every column of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(value) for row in cursor.fetchall() for value in row if value is not None]
    return values


# --- stored as hashes ---------------------------------------------------------------------------


def test_r46_no_stored_value_works_as_a_token_and_the_raw_token_is_stored_nowhere(customer_alice):
    token = issue("alice")["token"]
    assert works(token)

    with connection.cursor() as cursor:
        cursor.execute('SELECT * FROM "accounts_apitoken"')
        columns = [column[0] for column in cursor.description]
        (row,) = cursor.fetchall()
    stored = dict(zip(columns, row, strict=True))

    assert stored["digest"] == hashlib.sha512(token.encode()).hexdigest()
    for value in stored.values():
        assert not works(str(value))
    assert not any(token in value for value in every_stored_value())
    assert len(token) == 64


def test_r46_the_token_answer_is_a_new_token_each_time_and_a_name_only_labels_it(customer_alice, settings):
    settings.API_TOKEN_TTL_HOURS = 720
    before = timezone.now()
    first = issue("alice", name="ci")
    second = issue("alice", name="ci")
    default = issue("alice")

    assert set(first) == {"token", "expires_at"}
    assert len({first["token"], second["token"], default["token"]}) == 3
    assert all(works(answer["token"]) for answer in (first, second, default))
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["api", "ci", "ci"]
    expires_at = parse_datetime(first["expires_at"])
    assert expires_at.tzinfo is not None
    assert timedelta(hours=719) < expires_at - before <= timedelta(hours=720, minutes=1)


def test_r46_a_token_name_must_be_given_and_short(customer_alice):
    for name in ("", " ", "x" * 65):
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD, "name": name}, format="json"
        )
        assert response.status_code == 400 and response.json()["code"] == "invalid"
        assert "name" in response.json()["fields"]
    assert not ApiToken.objects.exists()


# --- expiry -------------------------------------------------------------------------------------


def test_r46_a_token_expires_after_api_token_ttl_hours(customer_alice, settings):
    settings.API_TOKEN_TTL_HOURS = 2
    answer = issue("alice")
    assert parse_datetime(answer["expires_at"]) - timezone.now() < timedelta(hours=2, minutes=1)
    assert works(answer["token"])

    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))  # two hours later

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer['token']}")
    response = client.get("/api/v1/plans/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Invalid token."}


def test_r46_expired_tokens_are_purged_by_beat(customer_alice):
    from accounts.tasks import purge_expired_api_tokens_task

    live = api_token_create(actor=None, user=customer_alice, name="live")[0]
    old = api_token_create(actor=None, user=customer_alice, name="old")[0]
    ApiToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(minutes=1))

    assert purge_expired_api_tokens_task() == 1
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live.pk]


# --- several per login, revoked one by one ------------------------------------------------------


def test_r46_several_tokens_per_login_are_revoked_one_by_one(customer_alice):
    tokens = [issue("alice", name=name)["token"] for name in ("laptop", "ci", "billing-sync")]
    assert all(works(token) for token in tokens)
    ci = ApiToken.objects.get(name="ci")

    api_token_revoke(actor=customer_alice, token_id=ci.pk)

    assert [works(token) for token in tokens] == [True, False, True]
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["billing-sync", "laptop"]


def test_r46_a_customer_cannot_revoke_another_logins_token(customer_alice, outsider_oscar):
    oscars = api_token_create(actor=None, user=outsider_oscar)[0]
    with pytest.raises(NotFound):
        api_token_revoke(actor=customer_alice, token_id=oscars.pk)
    assert ApiToken.objects.filter(pk=oscars.pk).exists()


def test_r46_logout_revokes_only_the_token_it_was_sent_with(customer_alice):
    used, kept = issue("alice")["token"], issue("alice")["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {used}")

    response = client.post("/api/v1/auth/logout/")

    assert response.status_code == 204
    assert not works(used) and works(kept)
    assert client.post("/api/v1/auth/logout/").status_code == 401  # that token is gone


def test_r46_logout_without_a_token_is_401_not_authenticated(client, customer_alice):
    api_token_for(customer_alice)
    anonymous = APIClient().post("/api/v1/auth/logout/")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert anonymous["WWW-Authenticate"] == "Token"

    session = APIClient()
    session.force_login(customer_alice)  # the portal's session is not a token
    response = session.post("/api/v1/auth/logout/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert ApiToken.objects.count() == 1


def test_r46_a_password_change_revokes_every_token_of_the_login(customer_alice, outsider_oscar):
    mine = [issue("alice", name=name)["token"] for name in ("a", "b", "c")]
    oscars = api_token_for(outsider_oscar)

    customer_alice.set_password("a-brand-new-password-1")
    customer_alice.save()

    assert not any(works(token) for token in mine)
    assert not ApiToken.objects.filter(user=customer_alice).exists()
    assert works(oscars)


def test_r46_a_token_authenticates_before_the_session(customer_alice, outsider_oscar):
    client = APIClient()
    client.force_login(customer_alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(outsider_oscar)}")
    assert client.get("/api/v1/account/").json()["id"] == outsider_oscar.account_id
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/account/").status_code == 401  # a bad token is not rescued by the session


# --- last used -------------------------------------------------------------------------------


def test_r46_last_used_is_written_at_most_once_a_minute(customer_alice):
    token = issue("alice")["token"]
    assert ApiToken.objects.get().last_used is None

    assert works(token)
    first = ApiToken.objects.get().last_used
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert works(token)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiToken.objects.get().last_used == first

    ApiToken.objects.update(last_used=timezone.now() - timedelta(seconds=61))
    assert works(token)
    assert ApiToken.objects.get().last_used > first


# --- the command -------------------------------------------------------------------------------


def test_r46_api_token_create_prints_a_working_token_alone_on_the_last_line(require_2fa, manager_max):
    """The bootstrap path: a decider gets a token without the second factor here (CONTRACT §5)."""
    out = io.StringIO()

    call_command("api_token_create", "max", "--name", "ci", stdout=out)

    token = out.getvalue().rstrip("\n").splitlines()[-1]
    assert token.strip() == token and len(token) == 64
    assert status_with(token, "/api/v1/manual-operations/") == 200
    assert ApiToken.objects.get().name == "ci"
    assert token not in "".join(every_stored_value())


def test_r46_api_token_create_refuses_an_unknown_login(db):
    with pytest.raises(CommandError):
        call_command("api_token_create", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_r33_no_login_is_issued_a_token_by_another(admin_ada, customer_alice):
    with pytest.raises(PermissionDenied):
        api_token_create(actor=admin_ada, user=customer_alice)
    assert not ApiToken.objects.exists()


# --- pages: the customer portal and the operator portal ------------------------------------------


def test_r46_the_portal_page_shows_a_new_token_once_and_then_only_its_name_and_dates(client, customer_alice):
    client.force_login(customer_alice)

    created = client.post("/portal/api-tokens/", {"name": "billing-sync"})

    assert created.status_code == 200
    token = created.context["issued"]["token"]
    assert token in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    page = client.get("/portal/api-tokens/").content.decode()
    assert token not in page
    assert "billing-sync" in page and "never" in page  # not used yet
    assert ApiToken.objects.get().digest not in page
    assert works(token)
    assert "never" not in client.get("/portal/api-tokens/").content.decode()


def test_r46_the_portal_revokes_with_a_post_only_and_only_own_tokens(client, customer_alice, outsider_oscar):
    mine = api_token_create(actor=None, user=customer_alice, name="mine")[0]
    oscars = api_token_create(actor=None, user=outsider_oscar, name="oscars")[0]
    client.force_login(customer_alice)

    assert client.get(f"/portal/api-tokens/{mine.pk}/revoke/").status_code == 405
    client.post(f"/portal/api-tokens/{oscars.pk}/revoke/")
    assert ApiToken.objects.filter(pk=oscars.pk).exists()
    client.post(f"/portal/api-tokens/{mine.pk}/revoke/")
    assert not ApiToken.objects.filter(pk=mine.pk).exists()


def test_r46_the_portal_revoke_needs_the_csrf_token(customer_alice):
    from django.test import Client

    mine = api_token_create(actor=None, user=customer_alice)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_alice)

    assert client.post(f"/portal/api-tokens/{mine.pk}/revoke/").status_code == 403
    assert ApiToken.objects.filter(pk=mine.pk).exists()


def test_r46_an_operator_creates_their_own_token_on_their_page_and_sees_it_once(client, staff_sam, admin_ada):
    api_token_create(actor=None, user=admin_ada, name="ada's")
    client.force_login(staff_sam)

    created = client.post(reverse("admin:accounts_apitoken_create"), {"name": "sam-script"})

    token = created.context["token"]
    assert "no-store" in created["Cache-Control"]
    assert status_with(token, "/api/v1/accounts/") == 200
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "sam-script" in listing and token not in listing
    assert "ada&#x27;s" not in listing and "ada's" not in listing  # only their own
    assert ApiToken.objects.get(name="sam-script").user == staff_sam


def test_r46_a_superuser_sees_and_revokes_anyones_token(client, admin_ada, staff_sam):
    sams = api_token_create(actor=None, user=staff_sam, name="sam-script")[0]
    client.force_login(admin_ada)

    assert "sam-script" in client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    response = client.post(reverse("admin:accounts_apitoken_revoke", args=[sams.pk]), {"confirm": "Revoke"})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=sams.pk).exists()


def test_r46_an_operator_cannot_revoke_another_logins_token_on_their_page(client, staff_sam, admin_ada):
    adas = api_token_create(actor=None, user=admin_ada, name="ada-script")[0]
    client.force_login(staff_sam)

    client.post(reverse("admin:accounts_apitoken_revoke", args=[adas.pk]), {"confirm": "Revoke"})
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [adas.pk], "index": 0},
    )

    assert ApiToken.objects.filter(pk=adas.pk).exists()


# --- DRF's plain-text tokens are carried over as hashes -------------------------------------------


@pytest.mark.postgres  # PostgreSQL's DDL inside the test's transaction; SQLite's schema editor refuses one
def test_r46_drf_tokens_are_carried_over_hashed_and_the_plain_text_is_deleted(customer_alice, settings):
    from importlib import import_module

    from django.apps import apps

    carry_over = import_module("accounts.migrations.0006_api_tokens_from_drf").carry_over
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, '
            '"created" timestamp with time zone NOT NULL, "user_id" bigint NOT NULL)'
        )
        cursor.execute(
            'INSERT INTO "authtoken_token" VALUES (%s, %s, %s)', [old_key, timezone.now(), customer_alice.pk]
        )

    with connection.schema_editor() as editor:
        carry_over(apps, editor)

    assert works(old_key)
    assert ApiToken.objects.get().user == customer_alice
    with connection.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM "authtoken_token"')
        assert cursor.fetchone() == (0,)
    assert not any(old_key in value for value in every_stored_value())


MIGRATE_OVER_DRF = """
import json
import django
django.setup()
from django.core.management import call_command
from django.db import connection

call_command("migrate", "accounts", "0003", verbosity=0)
from django.contrib.auth.hashers import make_password
with connection.cursor() as cursor:
    # The schema and history DRF's authtoken app left behind (its app is no longer installed).
    cursor.execute('CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, '
                   '"created" datetime NOT NULL, "user_id" bigint NOT NULL)')
    cursor.execute("INSERT INTO django_migrations (app, name, applied) "
                   "VALUES ('authtoken', '0001_initial', '2025-01-01')")
    cursor.execute('INSERT INTO "accounts_user" (password, is_superuser, username, first_name, last_name, email, '
                   "is_staff, is_active, date_joined) VALUES (%s, 0, 'old', '', '', '', 0, 1, '2025-01-01')",
                   [make_password("x-long-password-1")])
    cursor.execute('INSERT INTO "authtoken_token" VALUES (%s, %s, (SELECT id FROM accounts_user))',
                   ["fedcba9876543210fedcba9876543210fedcba98", "2025-01-01"])
call_command("migrate", verbosity=0)
from accounts.tokens import api_token_authenticate
with connection.cursor() as cursor:
    cursor.execute('SELECT COUNT(*) FROM "authtoken_token"')
    left = cursor.fetchone()[0]
print(json.dumps({"works": api_token_authenticate("fedcba9876543210fedcba9876543210fedcba98") is not None,
                  "left": left}))
"""


@pytest.mark.slow  # runs the migrations
def test_r46_migrate_runs_on_a_database_that_has_drf_tokens(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "POSTPAY_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SECRET_KEY": "tests-only-secret-key-not-used-anywhere-else-0123456789",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-c", MIGRATE_OVER_DRF], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"works": True, "left": 0}
