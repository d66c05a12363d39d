"""How a delivery reaches a receiver: URL rules, the private-address guard, one POST.

The guard (CONTRACT §2 ``WEBHOOK_ALLOW_PRIVATE_URLS``) runs when an endpoint is saved and
again for every attempt. Against DNS rebinding the attempt resolves the host once,
refuses if any address is not public, and connects to the address it checked — the name is
never resolved a second time by the HTTP client. TLS still verifies the certificate
against the host name (SNI), and the ``Host`` header carries the name.

Redirects are not followed: a 3xx is a failed attempt. The whole attempt — connect, TLS,
request, response head — is bounded by the timeout (a watchdog closes the socket), so a
receiver that trickles bytes cannot hold a worker longer than ``WEBHOOK_TIMEOUT_SECONDS``.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000
SCHEMES = {"http": 80, "https": 443}


class UrlRefused(Exception):
    """The URL may not receive deliveries; the message says why."""


class PrivateAddress(UrlRefused):
    """The host resolves to an address that is not public."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line


def parse_url(url):
    """The parts of an ``http(s)://`` URL, or ``UrlRefused``. Credentials in the URL are
    refused: the URL is shown to every operator who may read the endpoint."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"Enter an http:// or https:// URL of at most {MAX_URL_LENGTH} characters.")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise UrlRefused("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("Enter a valid URL.")
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UrlRefused("Only http:// and https:// URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("Credentials in the URL are not allowed.")
    host = parts.hostname
    if not host:
        raise UrlRefused("The URL has no host.")
    try:
        host.encode("idna")
    except UnicodeError:
        raise UrlRefused("The URL's host is not a valid name.")
    if port == 0:
        raise UrlRefused("Port 0 is not a valid port.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port or SCHEMES[scheme], path=path)


# RFC 6052's well-known NAT64 prefix: a translator on the path turns such an address into the
# IPv4 address in its last 32 bits, so it reaches whatever that IPv4 address reaches.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


def wrapped_ipv4(ip):
    """The IPv4 address an IPv6 address stands for (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
    ``64:ff9b::a.b.c.d``), or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address):
    """Why an IP address may not receive deliveries, or None when it is public.

    Refused: loopback, private, link-local, site-local (``fec0::/10``, deprecated but still
    routed inside some networks), shared (100.64/10), unspecified, reserved, multicast, and
    IPv6 addresses that embed such an IPv4 address (6to4, Teredo). An IPv4-mapped or NAT64
    address is judged as the IPv4 address it wraps: that is where it connects.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if ip.version == 6:
        wrapped = wrapped_ipv4(ip)
        if wrapped is not None:
            return address_problem(str(wrapped))
        if ip.is_site_local:
            return f"{ip} is a site-local address"
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            problem = address_problem(str(embedded))
            if problem:
                return problem
    for attribute in ("is_loopback", "is_private", "is_link_local", "is_unspecified", "is_reserved", "is_multicast"):
        if getattr(ip, attribute):
            return f"{ip} is a {attribute[3:].replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def resolve(target):
    """Every address of the host: ``[(family, ip)]``; ``UrlRefused`` when it does not resolve."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UrlRefused(f"The host {target.host} cannot be resolved ({exc}).")
    seen, addresses = set(), []
    for family, _, _, _, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.add(sockaddr[0])
            addresses.append((family, sockaddr[0]))
    if not addresses:
        raise UrlRefused(f"The host {target.host} has no address.")
    return addresses


def checked_addresses(target, *, allow_private):
    """Resolve once and check every address; the caller connects only to these."""
    addresses = resolve(target)
    if not allow_private:
        for _, ip in addresses:
            problem = address_problem(ip)
            if problem:
                raise PrivateAddress(
                    f"The host {target.host} resolves to a private address ({problem}); "
                    "set WEBHOOK_ALLOW_PRIVATE_URLS=1 to allow it."
                )
    return addresses


def url_problem(url, *, allow_private):
    """The check of an endpoint's URL when it is saved: None when acceptable, else why.

    A host that does not resolve now is accepted (it may be set up later); every attempt
    resolves and checks it again before connecting.
    """
    try:
        target = parse_url(url)
        if not allow_private:
            try:
                checked_addresses(target, allow_private=False)
            except PrivateAddress:
                raise
            except UrlRefused:
                pass  # does not resolve now: checked again at every attempt
    except UrlRefused as refusal:
        return str(refusal)
    return None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection over a socket we opened to a checked address."""

    def __init__(self, target, sock, default_port):
        self.default_port = default_port  # so that Host carries the port only when it is not the default
        super().__init__(target.host, target.port)
        self.sock = sock

    def connect(self):  # never resolve the name again
        if self.sock is None:
            raise ConnectionError("the connection was closed")


def post(url, body, headers, *, timeout, allow_private):
    """POST ``body`` (bytes) to ``url``; never raises for a network problem: an ``Outcome``."""
    deadline = time.monotonic() + timeout
    try:
        target = parse_url(url)
        addresses = checked_addresses(target, allow_private=allow_private)
    except UrlRefused as refusal:
        return Outcome(ok=False, error=f"refused: {refusal}")
    sock = None
    watchdog = None
    try:
        sock = _connect(addresses, target.port, deadline)
        if target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, (sock,))
        watchdog.daemon = True
        watchdog.start()
        if target.scheme == "https":
            sock.settimeout(_remaining(deadline))
            sock.do_handshake()
        sock.settimeout(_remaining(deadline))
        connection = _PinnedConnection(target, sock, SCHEMES[target.scheme])
        connection.request("POST", target.path, body=body, headers={**headers, "connection": "close"})
        response = connection.getresponse()
        status = response.status
        excerpt = response.read(500).decode("utf-8", "replace") if not 200 <= status < 300 else ""
    except TimeoutError:
        return Outcome(ok=False, error=f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if time.monotonic() >= deadline:
            return Outcome(ok=False, error=f"no answer within {timeout:g} s")
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:2000])
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
    if 200 <= status < 300:
        return Outcome(ok=True, status=status)
    if 300 <= status < 400:
        location = response.getheader("location", "")
        return Outcome(ok=False, status=status, error=f"HTTP {status}: redirect to {location!r} not followed")
    return Outcome(ok=False, status=status, error=f"HTTP {status}: {excerpt}"[:2000])


def _remaining(deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


def _connect(addresses, port, deadline):
    last_error = None
    for family, ip in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            # http.client writes the head and the body apart; like urllib3, do not let Nagle's
            # algorithm hold the body back.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(_remaining(deadline))
            sock.connect((ip, port))
            return sock
        except TimeoutError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            last_error = exc
    raise last_error or OSError("no address to connect to")


def _abort(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
