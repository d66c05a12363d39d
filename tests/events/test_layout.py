"""R34 in the running layouts: deliveries have their own queue, every layout consumes it,
the sweep is scheduled, and `make run` allows loopback receivers unless told otherwise."""

import subprocess
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _command(service):
    return " ".join(map(str, service["command"]))


def test_r34_deliveries_and_their_sweep_are_routed_to_the_webhooks_queue_and_scheduled():
    assert settings.CELERY_TASK_ROUTES["events.deliver_webhook"] == {"queue": "webhooks"}
    assert settings.CELERY_TASK_ROUTES["events.sweep_webhook_deliveries"] == {"queue": "webhooks"}
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"events.sweep_webhook_deliveries", "subscriptions.sweep_provisioning"} <= scheduled


def test_r34_docker_compose_runs_deliveries_on_their_own_workers():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert "-Q celery" in _command(services["worker"]) and "webhooks" not in _command(services["worker"])
    assert "-Q webhooks" in _command(services["webhooks"])
    assert str(services["webhooks"]["environment"]["CELERY_BROKER_URL"]).startswith("redis://")
    for name in ("web", "worker", "webhooks", "beat"):
        env = services[name]["environment"]
        assert {
            "WEBHOOK_ALLOW_PRIVATE_URLS",
            "WEBHOOK_TIMEOUT_SECONDS",
            "WEBHOOK_RETRY_BASE_SECONDS",
            "WEBHOOK_MAX_ATTEMPTS",
        } <= set(env)
        assert str(env["WEBHOOK_ALLOW_PRIVATE_URLS"]).endswith(":-0}")


def test_r34_make_runs_worker_consumes_both_queues():
    from postpay_portal.management.commands.serve import child_commands

    worker = child_commands(8000)["worker"]
    assert worker[worker.index("-Q") + 1] == "celery,webhooks"


def _run_defaults(**env):
    exports = "\n".join(line for line in (ROOT / "bin" / "run").read_text().splitlines() if line.startswith("export "))
    return subprocess.run(
        ["bash", "-c", f'{exports}\necho "$WEBHOOK_ALLOW_PRIVATE_URLS"'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_r34_make_run_allows_private_urls_by_default_and_keeps_the_callers_value():
    assert _run_defaults() == "1"
    assert _run_defaults(WEBHOOK_ALLOW_PRIVATE_URLS="0") == "0"
    assert settings.WEBHOOK_ALLOW_PRIVATE_URLS is False  # everywhere else the default is 0
