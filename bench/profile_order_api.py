#!/usr/bin/env python
"""Profile ``POST /api/v1/orders/`` against the trivial authenticated ``GET /api/v1/account/``
(decision 97): where does a placement's time go? Not a benchmark (``make bench`` does not
run it); it prints pyinstrument's call tree of each and the SQL of one placement.

Runs the whole Django stack in-process through a WSGI handler (middleware, DRF, token
authentication, logging at the production level, the file-system broker for the enqueue),
on a throwaway PostgreSQL or, with ``--sqlite``, on SQLite as ``make run`` does.

    .venv/bin/python bench/profile_order_api.py [--sqlite] [--debug] [--requests 300] [--html DIR]
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer, filesystem_broker  # noqa: E402


def wsgi_call(app, method, path, token, body=None, key=None):
    raw = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "CONTENT_LENGTH": str(len(raw)),
    }
    if body is not None:
        environ["CONTENT_TYPE"] = "application/json"
    if key:
        environ["HTTP_IDEMPOTENCY_KEY"] = key
    status = []
    result = app(environ, lambda s, h, exc_info=None: status.append(s))
    b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return int(status[0].split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite, as make run")
    parser.add_argument("--debug", action="store_true", help="DJANGO_DEBUG=1, as make run")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", help="also write pyinstrument's HTML reports into this folder")
    parser.add_argument("--show-all", action="store_true", help="pyinstrument: show library frames too")
    parser.add_argument(
        "--cprofile", action="store_true", help="also print cProfile's top functions by cumulative time"
    )
    parser.add_argument("--idempotency", action="store_true", help="send an Idempotency-Key with each order")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="postpay-profile-"))
    pg = None
    if args.sqlite:
        url = f"sqlite:///{var / 'db.sqlite3'}"
    else:
        pg = PostgresServer().start()
        url = pg.url
    broker_url, options = filesystem_broker(var)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
            "DATABASE_URL": url,
            "DJANGO_SECRET_KEY": "profile-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "POSTPAY_VAR_DIR": str(var),
            "DJANGO_DEBUG": "1" if args.debug else "0",
            "DJANGO_SECURE_COOKIES": "0",
            "CELERY_BROKER_URL": broker_url,
        }
    )
    # Log lines are produced and formatted as in production, then thrown away.
    sys.stderr = open(os.devnull, "w")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.core.wsgi import get_wsgi_application
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from pyinstrument import Profiler

        from accounts.services import account_create, account_user_create
        from accounts.tokens import api_token_create
        from subscriptions.services import plan_create

        plan = plan_create(actor=None, name="Flex", billing_model="postpay", price="29.00")
        account = account_create(actor=None, name="Profile Co")
        user = account_user_create(actor=None, account_id=account.pk, username="profiler", password="x-long-password-1")
        token = api_token_create(actor=None, user=user)[1]
        app = get_wsgi_application()
        order = {"plan": plan.pk, "period": "commercial"}
        counter = iter(range(10**9))

        def post():
            key = f"k{next(counter)}" if args.idempotency else None
            assert wsgi_call(app, "POST", "/api/v1/orders/", token, order, key) == 201

        def get():
            assert wsgi_call(app, "GET", "/api/v1/account/", token) == 200

        for _ in range(30):
            post()
            get()
        timings = {}
        for name, call in (("GET /api/v1/account/", get), ("POST /api/v1/orders/", post)):
            started = time.perf_counter()
            for _ in range(args.requests):
                call()
            timings[name] = (time.perf_counter() - started) / args.requests * 1000
        print(
            f"{'sqlite' if args.sqlite else 'postgresql'}, DEBUG={int(args.debug)}, in-process WSGI, "
            f"{args.requests} requests each:",
            file=sys.stdout,
        )
        for name, value in timings.items():
            print(f"  {name:<24} {value:6.2f} ms per request", file=sys.stdout)
        print(
            "  ratio (requests/s order / trivial): "
            f"{timings['GET /api/v1/account/'] / timings['POST /api/v1/orders/']:.2f}"
        )

        with CaptureQueriesContext(connection) as ctx:
            post()
        print(f"\nSQL of one placement ({len(ctx.captured_queries)} statements):")
        for q in ctx.captured_queries:
            print("  ", q["sql"][:160])
        with CaptureQueriesContext(connection) as ctx:
            get()
        print(f"\nSQL of one trivial GET ({len(ctx.captured_queries)} statements):")
        for q in ctx.captured_queries:
            print("  ", q["sql"][:160])

        for name, call in (("GET /api/v1/account/", get), ("POST /api/v1/orders/", post)):
            profiler = Profiler(interval=0.001)
            profiler.start()
            for _ in range(args.requests):
                call()
            profiler.stop()
            print(f"\n===== {name} =====")
            print(profiler.output_text(unicode=True, color=False, show_all=args.show_all, short_mode=False))
            if args.cprofile:
                import cProfile
                import pstats

                cprofile = cProfile.Profile()
                cprofile.enable()
                for _ in range(args.requests):
                    call()
                cprofile.disable()
                out = io.StringIO()
                pstats.Stats(cprofile, stream=out).sort_stats("cumulative").print_stats(70)
                print(out.getvalue())
            if args.html:
                Path(args.html).mkdir(parents=True, exist_ok=True)
                slug = "order" if "orders" in name else "trivial"
                (Path(args.html) / f"{slug}.html").write_text(profiler.output_html())
    finally:
        from django.db import connections

        connections.close_all()
        if pg:
            pg.stop()
        import shutil

        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
