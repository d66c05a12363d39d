"""Benchmark: order placement through the REST API, as a ratio to a trivial authenticated
endpoint measured in the same run (goal ≥ 0.5).

Starts its own PostgreSQL (``tests.servers.PostgresServer``) and gunicorn with 2 workers on a
free loopback port, drives both endpoints with a local load generator sending a fixed number
of requests from a fixed number of threads, prints the figures, and stops both servers.

Orders are placed in automatic mode for postpaid plans, so each one is created, audited and
handed to the (file-system) broker after commit — the whole path of a real placement.
Each load thread orders for its own account, as separate integrators would.

    .venv/bin/python bench/bench_api.py [--requests 800] [--threads 8] [--rounds 4]
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer, free_port, wait_for_port  # noqa: E402

SETUP = """
import json
from rest_framework.authtoken.models import Token
from accounts.models import User
from accounts.services import account_create, account_user_create
from subscriptions.services import plan_create

operator = User.objects.create_user("bench-operator", password="x-long-password-1", is_staff=True)
plan = plan_create(actor=operator, name="Flex", billing_model="postpay", price="29.00")
tokens = []
for i in range({threads}):
    account = account_create(actor=operator, name=f"Bench {{i}}")
    user = account_user_create(actor=operator, account_id=account.pk, username=f"bench{{i}}", password="x-long-password-1")
    tokens.append(Token.objects.create(user=user).key)
print(json.dumps({{"plan": plan.pk, "tokens": tokens}}))
"""


def request(port, method, path, token, payload=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps(payload) if payload is not None else None
        headers = {"Authorization": f"Token {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def load(port, tokens, total, method, path, payload=None, expected=200):
    """Send ``total`` requests from one thread per token; returns (requests/s, latencies)."""
    per_thread = total // len(tokens)
    latencies, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens) + 1)

    def run(token):
        mine = []
        barrier.wait()
        for _ in range(per_thread):
            started = time.perf_counter()
            status = request(port, method, path, token, payload)
            mine.append(time.perf_counter() - started)
            if status != expected:
                errors.append(status)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{path}: {len(errors)} unexpected statuses, e.g. {errors[:5]}")
    return per_thread * len(tokens) / elapsed, latencies


def ms(values, q):
    return 1000 * statistics.quantiles(values, n=100)[q - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    postgres = PostgresServer().start()
    var = Path(tempfile.mkdtemp(prefix="postpay-bench-api-"))
    gunicorn = None
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
            "DATABASE_URL": postgres.url,
            "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "POSTPAY_VAR_DIR": str(var),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_LOG_LEVEL": "ERROR",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True)
        setup = subprocess.run([*manage, "shell", "-c", SETUP.format(threads=args.threads)], env=env, cwd=ROOT,
                               check=True, capture_output=True, text=True)
        fixtures = json.loads(setup.stdout.strip().splitlines()[-1])
        port = free_port()
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "postpay_portal.wsgi:application", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, timeout=30)
        tokens = fixtures["tokens"]
        order = {"plan": fixtures["plan"], "period": "commercial"}

        # Warm both paths in both workers, then measure each with the same fixed load.
        load(port, tokens, 10 * len(tokens), "GET", "/api/v1/account/")
        load(port, tokens, 10 * len(tokens), "POST", "/api/v1/orders/", order, expected=201)
        # Alternate the two in rounds, so that a slower moment of the machine weighs on both.
        trivial_lat, order_lat, trivial_time, order_time = [], [], 0.0, 0.0
        per_round = args.requests // args.rounds
        for _ in range(args.rounds):
            rps, lat = load(port, tokens, per_round, "GET", "/api/v1/account/")
            trivial_lat += lat
            trivial_time += len(lat) / rps
            rps, lat = load(port, tokens, per_round, "POST", "/api/v1/orders/", order, expected=201)
            order_lat += lat
            order_time += len(lat) / rps
        trivial_rps, order_rps = len(trivial_lat) / trivial_time, len(order_lat) / order_time

        print(f"bench_api: gunicorn 2 workers, PostgreSQL, {args.threads} client threads, "
              f"{len(order_lat)} requests per endpoint in {args.rounds} alternating rounds")
        print(f"  trivial GET /api/v1/account/   {trivial_rps:8.1f} req/s   "
              f"p50 {ms(trivial_lat, 50):6.1f} ms   p95 {ms(trivial_lat, 95):6.1f} ms")
        print(f"  order   POST /api/v1/orders/   {order_rps:8.1f} req/s   "
              f"p50 {ms(order_lat, 50):6.1f} ms   p95 {ms(order_lat, 95):6.1f} ms")
        ratio = order_rps / trivial_rps
        print(f"  ratio order/trivial            {ratio:8.2f}   (goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=15)
        postgres.stop()
        subprocess.run(["rm", "-rf", str(var)], check=False)


if __name__ == "__main__":
    main()
