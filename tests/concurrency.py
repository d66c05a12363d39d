"""Threads released together by a barrier, each with its own database connection (STYLE §7)."""

import threading

from django.db import connection

from postpay_portal.errors import DomainError


def run_together(n, action):
    """Run ``action(i)`` in n threads started at once; return each outcome as
    ``("ok", value)``, ``("refused", code)`` or ``("error", repr)``."""
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = ("ok", action(i))
        except DomainError as exc:
            outcomes[i] = ("refused", exc.code)
        except Exception as exc:  # a 500 in the making: the test must see it
            outcomes[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes
