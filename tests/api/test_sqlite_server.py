"""The embedded default under load (SPEC R12, R14; RECIPES "SQLite under concurrency").

A real server process on SQLite — the database of ``make run`` — receives twenty
simultaneous first orders of one account: one is held (201), nineteen are refused (409),
never a 500 or "database is locked". Then ten simultaneous approvals of the operation: one
200, nine 409 ``operation_already_decided``.
"""

import http.client
import json
import os
import subprocess
import sys
import threading

import pytest

from tests.servers import ROOT, free_port, wait_for_port

SETUP = """
import json
from accounts.tokens import api_token_create
from accounts.models import User
from accounts.services import account_create, account_user_create
from postpay_portal.groups import MANAGERS_GROUP, ensure_groups
from settings_app.services import postpay_settings_update
from subscriptions.services import plan_create

manager = User.objects.create_user("max", password="x-long-password-1", is_staff=True)
manager.groups.add(ensure_groups()[MANAGERS_GROUP])
postpay_settings_update(actor=None, postpaid_permission_mode="manual")
account = account_create(actor=None, name="Race Ltd")
customer = account_user_create(actor=None, account_id=account.pk, username="racer", password="x-long-password-1")
plan = plan_create(actor=None, name="Flex", billing_model="postpay", price="29.00")
print(json.dumps({
    "plan": plan.pk,
    "customer": api_token_create(actor=None, user=customer)[1],
    "manager": api_token_create(actor=None, user=manager)[1],
}))
"""


@pytest.fixture
def sqlite_server(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "DJANGO_SECRET_KEY": "sqlite-server-test-secret-key-0123456789-abcdefghijklmnop",
        "POSTPAY_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True)
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    fixtures = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
        yield port, fixtures, tmp_path / "server.log"
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def call(port, method, path, token, payload=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            method,
            path,
            body=json.dumps(payload or {}),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def all_at_once(n, request):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = request()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_r12_r14_twenty_first_orders_then_ten_approvals_on_sqlite(sqlite_server):
    port, fixtures, log = sqlite_server
    order = {"plan": fixtures["plan"], "period": "commercial"}
    orders = all_at_once(20, lambda: call(port, "POST", "/api/v1/orders/", fixtures["customer"], order))
    statuses = sorted(status for status, _ in orders)
    assert statuses == [201] + [409] * 19, orders
    assert {json.loads(text)["code"] for status, text in orders if status == 409} == {"postpay_under_review"}

    status, text = call(port, "GET", "/api/v1/manual-operations/", fixtures["manager"])
    operations = json.loads(text)["results"]
    assert status == 200 and len(operations) == 1
    approve = f"/api/v1/manual-operations/{operations[0]['id']}/approve/"
    decisions = all_at_once(10, lambda: call(port, "POST", approve, fixtures["manager"]))
    assert sorted(status for status, _ in decisions) == [200] + [409] * 9, decisions
    assert {json.loads(text)["code"] for status, text in decisions if status == 409} == {"operation_already_decided"}

    held = json.loads(call(port, "GET", "/api/v1/orders/", fixtures["customer"])[1])
    assert held["count"] == 1 and held["results"][0]["status"] == "provisioning"
    server_log = log.read_text()
    assert "database is locked" not in server_log and "Traceback" not in server_log
