"""The project's own commands, health check and deployment files (CONTRACT §1, §3, §5)."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from django.db import OperationalError

    import postpay_portal.health as health

    class BrokenConnection:
        def cursor(self):
            raise OperationalError("database unavailable")

    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = client.get("/healthz/")
    assert response.status_code == 503


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_status():
    from accounts.models import Account, User
    from manual_operations.groups import DECIDE_PERMISSION
    from subscriptions.models import Order, Plan

    call_command("seed_demo")
    snapshot = (Account.objects.count(), Order.objects.count(), Plan.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Account.objects.count(), Order.objects.count(), Plan.objects.count(), User.objects.count()) == snapshot
    assert set(Account.objects.values_list("postpay_permission", flat=True)) == {
        "none",
        "under_review",
        "approved",
        "declined",
    }
    assert User.objects.get(username="manager").has_perm(DECIDE_PERMISSION)
    assert not User.objects.get(username="operator").has_perm(DECIDE_PERMISSION)
    assert set(Plan.objects.values_list("billing_model", flat=True)) == {"prepay", "postpay"}
    assert Plan.objects.filter(trial_days__gt=0).exists()


@pytest.mark.django_db
def test_managers_group_exists_after_migrate():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Postpay managers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"decide_manualoperation", "view_manualoperation", "view_account", "view_order"} <= codenames


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.subprocess
def test_docker_compose_passes_composes_own_validator():
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [str(binary), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    # The secret key is required: without it the file does not validate.
    env.pop("DJANGO_SECRET_KEY")
    missing = subprocess.run(
        [str(binary), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert missing.returncode != 0


def test_docker_compose_has_the_scale_out_services_and_variables():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert "gunicorn" in " ".join(map(str, services["web"]["command"]))
    assert "beat" in " ".join(map(str, services["beat"]["command"]))
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert str(env["DATABASE_URL"]).startswith("postgres://")
        assert str(env["CELERY_BROKER_URL"]).startswith("redis://")
        assert "DJANGO_SECRET_KEY" in env
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_nothing_reads_the_shared_folder():
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    offenders = [
        path
        for path in tracked
        if path.endswith((".py", "Makefile", ".ini", ".yml", ".sh")) or path.startswith(("bin/", ".ci/"))
        if os.path.isfile(ROOT / path)
        and "../shared" in (ROOT / path).read_text(errors="ignore")
        and path != "tests/system/test_project.py"
    ]
    assert offenders == []


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """R23's open-order rule once lived only in a constraint of a migration: a model and its
    migrations must not drift apart."""
    import io

    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check found changes (exit {exit.code}):\n{out.getvalue()}")
