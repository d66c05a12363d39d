"""A real HTTP receiver for webhook tests: ``http.server.ThreadingHTTPServer`` on 127.0.0.1 in
a thread (RECIPES). It records every request and answers as it is told."""

import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def verify(self, secret):
        """Standard Webhooks' own check: raises ``WebhookVerificationError`` on a bad
        signature or a timestamp more than 5 minutes off; returns the parsed body."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """``answers`` is consumed one per request: an int status, or a callable(receiver)
    returning one (it may sleep or wait); when empty, ``default`` answers."""

    def __init__(self, default=200, tls=None):
        self.default = default
        self.answers = []
        self.received = []
        self.release = threading.Event()  # for answers that block until the test lets go
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.default
                    receiver._changed.notify_all()
                status = answer(receiver) if callable(answer) else answer
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up (timeout) or died

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        if tls is not None:  # (certificate file, key file): serve HTTPS for "localhost"
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://localhost:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count, timeout=30):
        """Block until ``count`` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the receiver got {len(self.received)} request(s), expected {count}")
                self._changed.wait(remaining)
            return list(self.received)

    def ids(self):
        return [r.headers["webhook-id"] for r in self.received]


def sleep_for(seconds):
    def answer(receiver):
        receiver.release.wait(seconds)
        return 200

    return answer


def block_until_released(receiver):
    receiver.release.wait(120)
    return 200


def self_signed_certificate(folder):
    """A certificate for localhost / 127.0.0.1 made by the openssl command; (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
