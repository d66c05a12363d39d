"""R35: logs are one JSON object a line in production (``DJANGO_DEBUG=0``), with the request
id, the user and the order or operation id; readable text under ``make run``."""

import json
import logging
import os
import re
import subprocess
import sys
import time

import pytest
import structlog

from subscriptions.models import Order, OrderStatus
from tests.factories import api_token_for
from tests.servers import ROOT


def records_with(records, event):
    return [record for record in records if record.get("event") == event]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r35_a_json_log_line_carries_the_request_id_the_user_and_the_order_placed(
    web_processes, manual_mode, customer_alice, postpaid_plan
):
    (web,) = web_processes(1, POSTPAY_TRUSTED_PROXIES="127.0.0.1/32")  # the test plays the proxy
    token = api_token_for(customer_alice)
    status, headers, text = web.request(
        "POST",
        "/api/v1/orders/",
        payload={"plan": postpaid_plan.pk, "period": "commercial"},
        headers={
            "Authorization": f"Token {token}",
            "X-Request-ID": "req-r35-placed-1",
            "X-Forwarded-For": "6.6.6.6, 203.0.113.9",
        },
    )
    assert status == 201, text
    assert headers["X-Request-ID"] == "req-r35-placed-1"
    order_id = json.loads(text)["id"]

    records = web.json_log()  # every line, gunicorn's own included, is one JSON object
    assert records and all(isinstance(record, dict) for record in records)
    assert any(record["logger"] == "gunicorn.error" for record in records)
    (placed,) = records_with(records, "order_placed")
    assert placed["request_id"] == "req-r35-placed-1"
    assert placed["order_id"] == order_id
    assert placed["user_id"] == customer_alice.pk
    (opened,) = records_with(records, "manual_operation_opened")
    assert opened["order_id"] == order_id and opened["operation_id"] and opened["request_id"] == "req-r35-placed-1"
    (finished,) = [r for r in records_with(records, "request_finished") if r["request_id"] == "req-r35-placed-1"]
    assert finished["code"] == 201 and finished["user_id"] == customer_alice.pk
    assert finished["ip"] == placed["ip"] == "203.0.113.9"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r35_a_request_without_a_valid_request_id_gets_a_generated_one(web_processes):
    (web,) = web_processes(1, POSTPAY_TRUSTED_PROXIES="127.0.0.1/32")
    _, first, _ = web.request("GET", "/healthz/")
    _, second, _ = web.request("GET", "/healthz/", headers={"X-Request-ID": "not valid: spaces"})
    assert first["X-Request-ID"] and second["X-Request-ID"] and first["X-Request-ID"] != second["X-Request-ID"]
    assert second["X-Request-ID"] != "not valid: spaces"
    logged = {r["request_id"] for r in records_with(web.json_log(), "request_finished")}
    assert {first["X-Request-ID"], second["X-Request-ID"]} <= logged


def _request_finished(client, caplog, **meta):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        response = client.get("/healthz/", **meta)
    (record,) = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg["event"] == "request_finished"]
    assert record["request_id"] == response["X-Request-ID"]
    return response["X-Request-ID"], record["ip"]


@pytest.mark.django_db
def test_r35_a_client_cannot_choose_its_logged_address_or_request_id(client, caplog, settings):
    """Security review, finding 3: the log's ``ip`` was the client's own X-Forwarded-For and any
    X-Request-ID was kept. Without a trusted proxy in the way, neither header is believed."""
    settings.POSTPAY_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request_id, ip = _request_finished(
        client,
        caplog,
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.1",
        HTTP_X_REQUEST_ID="chosen-by-the-client",
    )
    assert ip == "198.51.100.7"
    assert request_id != "chosen-by-the-client" and re.fullmatch(r"[0-9a-f]{32}", request_id)


@pytest.mark.django_db
def test_r35_behind_a_trusted_proxy_the_log_has_the_client_and_the_proxys_request_id(client, caplog, settings):
    settings.POSTPAY_TRUSTED_PROXIES = ["10.0.0.0/8"]
    behind_the_proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    request_id, ip = _request_finished(client, caplog, HTTP_X_REQUEST_ID="lb-7f3a:91.2", **behind_the_proxy)
    assert (request_id, ip) == ("lb-7f3a:91.2", "203.0.113.9")
    for insane in ["x" * 129, "two words", "line\nbreak", "caf\u00e9", ""]:
        request_id, _ = _request_finished(client, caplog, HTTP_X_REQUEST_ID=insane, **behind_the_proxy)
        assert request_id != insane and re.fullmatch(r"[0-9a-f]{32}", request_id)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_r35_task_log_lines_carry_the_task_id_and_the_order_id(
    customer_alice, postpaid_plan, embedded_broker, start_worker
):
    url, options = embedded_broker
    worker = start_worker(broker_url=url, transport_options=options, env={"DJANGO_DEBUG": "0"})
    from tests.support.actions import place

    # A request's context, as django-structlog's middleware binds it: the task inherits it
    # through the message's headers.
    with structlog.contextvars.bound_contextvars(request_id="req-r35-task-1", user_id=customer_alice.pk):
        order = place(customer_alice, postpaid_plan)  # automatic mode: provisions at once (R21)
    deadline = time.monotonic() + 60
    while Order.objects.get(pk=order.pk).status != OrderStatus.COMPLETED:
        assert time.monotonic() < deadline, worker.output()[-4000:]
        time.sleep(0.1)
    deadline = time.monotonic() + 30
    while '"order_provisioned"' not in worker.output():  # the line may follow the commit
        assert time.monotonic() < deadline, worker.output()[-4000:]
        time.sleep(0.1)

    records = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    (provisioned,) = records_with(records, "order_provisioned")
    assert provisioned["order_id"] == order.pk
    started = [r for r in records_with(records, "task_started") if r.get("task") == "subscriptions.provision_order"]
    assert started and provisioned["task_id"] == started[0]["task_id"]
    assert provisioned["request_id"] == started[0]["request_id"] == "req-r35-task-1"


def _log_of_one_event(debug, var_dir):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
        "DJANGO_DEBUG": debug,
        "DJANGO_SECRET_KEY": "log-format-test-secret-key-0123456789-abcdefghijklmnop",
        "POSTPAY_VAR_DIR": str(var_dir),
    }
    env.pop("DJANGO_LOG_FORMAT", None)
    code = "import structlog; structlog.get_logger('postpay.check').info('order_placed', order_id=41)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (line,) = [line for line in result.stderr.splitlines() if "order_placed" in line]
    return line


@pytest.mark.subprocess
def test_r35_logs_are_json_in_production_and_readable_text_under_make_run(tmp_path):
    production = json.loads(_log_of_one_event("0", tmp_path))
    assert production["event"] == "order_placed" and production["order_id"] == 41
    assert production["level"] == "info" and production["timestamp"]

    development = _log_of_one_event("1", tmp_path)
    assert not development.lstrip().startswith("{")
    assert "order_placed" in development and "order_id=41" in development
