"""Benchmark: persistent database connections (CONTRACT §2
``DATABASE_CONN_MAX_AGE``), before and after, on the production shape: PostgreSQL under
gunicorn (2 workers × 4 threads, DJANGO_DEBUG=0).

For ``DATABASE_CONN_MAX_AGE=0`` (a new connection per request, as before) and ``60`` (the
default): the time of one ``GET /healthz/`` from a single client (sequential requests), and
the throughput of an authenticated list read (``GET /api/v1/orders/`` by 8 customers, each
with 5 orders) from 8 client threads.

    .venv/bin/python bench/bench_connections.py [--requests 800] [--threads 8]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import machine_speed
from bench_api import ROOT, load, ms, prepare, production_env, request, stop

from tests.servers import PostgresServer, free_port, wait_for_port

ORDERS_PER_CUSTOMER = 5


def serve(env, conn_max_age):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "postpay_portal.wsgi:application",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env={**env, "DATABASE_CONN_MAX_AGE": str(conn_max_age)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, timeout=30)
    return process, port


def healthz(port, requests):
    for _ in range(20):
        request(port, "GET", "/healthz/", "-")  # warm both workers
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        status = request(port, "GET", "/healthz/", "-")
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return statistics.median(samples), statistics.quantiles(samples, n=100)[94]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    if not PostgresServer.available():
        print("bench_connections: PostgreSQL is not installed; skipped")
        return 0
    postgres = PostgresServer().start()
    var = Path(tempfile.mkdtemp(prefix="postpay-bench-conn-"))
    try:
        env = {**production_env(postgres, var), "DJANGO_LOG_LEVEL": "WARNING"}
        fixtures = prepare(env, args.threads)
        order = {"plan": fixtures["plan"], "period": "commercial"}
        print(
            f"PostgreSQL under gunicorn (2 workers x 4 threads, DJANGO_DEBUG=0); /healthz/ from one client, "
            f"GET /api/v1/orders/ from {args.threads} client threads, {args.requests} requests"
        )
        for conn_max_age in (0, 60):
            process, port = serve(env, conn_max_age)
            try:
                if conn_max_age == 0:  # each customer's list holds a few orders
                    load(
                        port,
                        fixtures["tokens"],
                        ORDERS_PER_CUSTOMER * len(fixtures["tokens"]),
                        "POST",
                        "/api/v1/orders/",
                        order,
                        expected=201,
                    )
                health_p50, health_p95 = healthz(port, 300)
                load(port, fixtures["tokens"], 10 * len(fixtures["tokens"]), "GET", "/api/v1/orders/")  # warm
                rps, latencies = load(port, fixtures["tokens"], args.requests, "GET", "/api/v1/orders/")
            finally:
                stop(process)
            print(
                f"  DATABASE_CONN_MAX_AGE={conn_max_age:<3} /healthz/ p50 {health_p50:5.1f} ms"
                f"  p95 {health_p95:5.1f} ms"
                f"   list {rps:6.1f} req/s  p50 {ms(latencies, 50):6.1f} ms  p95 {ms(latencies, 95):6.1f} ms",
                flush=True,
            )
    finally:
        postgres.stop()
        subprocess.run(["rm", "-rf", str(var)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
