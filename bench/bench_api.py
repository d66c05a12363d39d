"""Benchmark: order placement through the REST API, as a ratio to a trivial authenticated
endpoint measured in the same run (goal ≥ 0.4, decision 119), on two servings:

1. the embedded default as ``make run`` serves it: ``manage.py serve`` — Django's threaded
   runserver with DJANGO_DEBUG=1 on SQLite and the file-system broker, its Celery worker and
   beat running beside it;
2. PostgreSQL under gunicorn with 2 workers (DJANGO_DEBUG=0, JSON logs at INFO).

Each starts its own servers on a free loopback port, drives both endpoints with a local load
generator sending a fixed number of requests from a fixed number of threads, prints the
figures, and stops the servers.

Orders are placed in automatic mode for postpaid plans, so each one is created, audited and
handed to the (file-system) broker after commit — the whole path of a real placement.
Each load thread orders for its own account, as separate integrators would.

    .venv/bin/python bench/bench_api.py [--target both|embedded|postgres] [--requests 800] [--threads 8] [--rounds 4]
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

from _setup import machine_speed  # noqa: E402

from tests.servers import PostgresServer, free_port, wait_for_port  # noqa: E402

SETUP = """
import json
from accounts.tokens import api_token_create
from accounts.models import User
from accounts.services import account_create, account_user_create
from subscriptions.services import plan_create

plan = plan_create(actor=None, name="Flex", billing_model="postpay", price="29.00")
tokens = []
for i in range({threads}):
    account = account_create(actor=None, name=f"Bench {{i}}")
    user = account_user_create(
        actor=None, account_id=account.pk, username=f"bench{{i}}", password="x-long-password-1"
    )
    tokens.append(api_token_create(actor=None, user=user)[1])
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


def measure(port, tokens, plan, requests, rounds, spy=None):
    """Warm both paths, then alternate them in rounds so that a slower moment of the machine
    weighs on both. Returns (trivial req/s, latencies, order req/s, latencies)."""
    order = {"plan": plan, "period": "commercial"}
    load(port, tokens, 10 * len(tokens), "GET", "/api/v1/account/")
    load(port, tokens, 10 * len(tokens), "POST", "/api/v1/orders/", order, expected=201)
    spy = spy() if spy else None
    trivial_lat, order_lat, trivial_time, order_time = [], [], 0.0, 0.0
    per_round = requests // rounds
    for _ in range(rounds):
        rps, lat = load(port, tokens, per_round, "GET", "/api/v1/account/")
        trivial_lat += lat
        trivial_time += len(lat) / rps
        rps, lat = load(port, tokens, per_round, "POST", "/api/v1/orders/", order, expected=201)
        order_lat += lat
        order_time += len(lat) / rps
    if spy:
        spy.stop()
    return len(trivial_lat) / trivial_time, trivial_lat, len(order_lat) / order_time, order_lat


class PySpy:
    """``--py-spy DIR``: py-spy samples the server and its children (gunicorn's workers; make
    run's runserver and Celery worker) while the rounds run; raw stacks go to DIR, and the
    functions of the project and of the libraries it calls are summarized by inclusive time.
    A profiler, not a guess."""

    def __init__(self, folder, name, pid):
        self.path = Path(folder) / f"{name}.txt"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--rate",
                "250",
                "--format",
                "raw",
                "--function",
                "--nonblocking",
                "--output",
                str(self.path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)

    def stop(self, top=45):
        self.process.send_signal(2)  # SIGINT: py-spy writes its file and exits
        self.process.wait(timeout=60)
        inclusive, total = {}, 0
        for line in self.path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            total += int(count)
            for frame in set(stack.split(";")):
                inclusive[frame] = inclusive.get(frame, 0) + int(count)
        print(
            f"  py-spy: {total} samples of the server processes, inclusive share of the top functions "
            f"(raw stacks: {self.path})"
        )
        for frame, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
            print(f"    {100 * count / total:5.1f}%  {frame[:150]}")


def report(title, trivial_rps, trivial_lat, order_rps, order_lat):
    print(title)
    print(
        f"  trivial GET /api/v1/account/   {trivial_rps:8.1f} req/s   "
        f"p50 {ms(trivial_lat, 50):6.1f} ms   p95 {ms(trivial_lat, 95):6.1f} ms"
    )
    print(
        f"  order   POST /api/v1/orders/   {order_rps:8.1f} req/s   "
        f"p50 {ms(order_lat, 50):6.1f} ms   p95 {ms(order_lat, 95):6.1f} ms"
    )
    ratio = order_rps / trivial_rps
    print(
        f"  ratio order/trivial            {ratio:8.2f}   (goal >= 0.4: {'met' if ratio >= 0.4 else 'NOT met'})",
        flush=True,
    )


def prepare(env, threads):
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True)
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP.format(threads=threads)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(setup.stdout.strip().splitlines()[-1])


def stop(process):
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def production_env(postgres, var):
    """The environment of a production-shaped server on ``postgres`` (DJANGO_DEBUG=0)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
        "DATABASE_URL": postgres.url,
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "POSTPAY_VAR_DIR": str(var),
        "DJANGO_DEBUG": "0",
        "POSTPAY_REQUIRE_2FA": "0",  # the bench signs in with a password; R45 is tested, not timed
        "DJANGO_SECURE_COOKIES": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }


def on_postgres(args):
    """PostgreSQL under gunicorn (2 workers), the production shape; file-system broker (no
    worker drains it, so only the enqueue is measured)."""
    postgres = PostgresServer().start()
    var = Path(tempfile.mkdtemp(prefix="postpay-bench-api-"))
    gunicorn = None
    try:
        env = production_env(postgres, var)
        env.pop("DJANGO_LOG_LEVEL", None)  # production's level (INFO): the log lines are part of the cost
        fixtures = prepare(env, args.threads)
        port = free_port()
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "postpay_portal.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, timeout=30)
        spy = (lambda: PySpy(args.py_spy, "postgres-gunicorn", gunicorn.pid)) if args.py_spy else None
        figures = measure(port, fixtures["tokens"], fixtures["plan"], args.requests, args.rounds, spy)
        report(
            f"PostgreSQL under gunicorn (2 workers, DJANGO_DEBUG=0, JSON logs at INFO), {args.threads} client "
            f"threads, {len(figures[1])} requests per endpoint in {args.rounds} alternating rounds",
            *figures,
        )
    finally:
        stop(gunicorn)
        postgres.stop()
        subprocess.run(["rm", "-rf", str(var)], check=False)


def on_embedded(args):
    """The embedded default exactly as ``make run`` serves it: ``manage.py serve`` (Django's
    threaded runserver, DJANGO_DEBUG=1, SQLite, the file-system broker) with its Celery
    worker and beat running, so each placed order is also provisioned meanwhile."""
    var = Path(tempfile.mkdtemp(prefix="postpay-bench-embedded-"))
    serve = None
    try:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_LOG_LEVEL", "DJANGO_LOG_FORMAT")
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
                "POSTPAY_VAR_DIR": str(var),
                "DJANGO_DEBUG": "1",
                "DJANGO_SECURE_COOKIES": "0",
            }
        )
        fixtures = prepare(env, args.threads)
        port = free_port()
        serve = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, timeout=60)
        spy = (lambda: PySpy(args.py_spy, "embedded-serve", serve.pid)) if args.py_spy else None
        figures = measure(port, fixtures["tokens"], fixtures["plan"], args.requests, args.rounds, spy)
        report(
            f"embedded default as make run serves it (runserver, DJANGO_DEBUG=1, SQLite, file-system broker, "
            f"worker and beat running), {args.threads} client threads, {len(figures[1])} requests per endpoint "
            f"in {args.rounds} alternating rounds",
            *figures,
        )
    finally:
        stop(serve)
        subprocess.run(["rm", "-rf", str(var)], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--py-spy", metavar="DIR", help="sample the servers with py-spy during the rounds")
    parser.add_argument("--target", choices=("both", "embedded", "postgres"), default="both")
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    if args.target in ("both", "embedded"):
        on_embedded(args)
    if args.target in ("both", "postgres"):
        if PostgresServer.available():
            on_postgres(args)
        else:
            print("PostgreSQL under gunicorn: skipped, PostgreSQL is not installed")


if __name__ == "__main__":
    main()
