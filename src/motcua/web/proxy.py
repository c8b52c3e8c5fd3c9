"""The client's address behind a reverse proxy, trusted only from the proxy.

Behind nginx every request comes from the proxy's address. The proxy passes the client's in
`X-Forwarded-For` (each hop appends the address it saw), but any client can send that header
too: it is read only when the request's own peer is one of TRUSTED_PROXIES (addresses or
networks, e.g. `127.0.0.1` or `10.0.0.0/24`; empty by default: no header is trusted).

The list is walked from the right (the hop nearest to us) while the hop is a trusted proxy;
the first address that is not is the client. Whatever a client writes at the left of the
header is never reached. `TrustedProxyMiddleware` runs first and puts the result in
REMOTE_ADDR, so that every user of REMOTE_ADDR (rate limits, login lockouts, idempotency keys,
webhook sender checks) sees the real client; `client_address` is the same answer as a callable
for django-axes (AXES_CLIENT_IP_CALLABLE), and `ratelimit_address` for django-ratelimit
(RATELIMIT_IP_META_KEY). A request with no usable address (an ASGI scope without `client`, e.g.
a Unix socket) is rate-limited in one shared bucket, ADDRESSLESS, instead of failing.
When TRUSTED_PROXIES is set, `X-Forwarded-Proto` from any other peer is dropped
(SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto reads it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PEER_KEY = "motcua.peer_addr"  # the socket's own peer, kept in META once resolved

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    return addr is not None and any(addr in net for net in trusted_networks())


def resolve(peer: str, forwarded_for: str) -> str:
    """The client address for a connection from `peer` carrying `forwarded_for`."""
    if not _trusted(_parse(peer)):
        return peer
    client = peer
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        addr = _parse(hop)
        if addr is None:
            break  # garbage in the chain: stop at the last address we could trust
        client = str(addr)
        if not _trusted(addr):
            break
    return client


def client_address(request: HttpRequest) -> str:
    """The real client's address (the same whether or not the middleware already ran)."""
    meta = request.META
    peer = meta.get(PEER_KEY, meta.get("REMOTE_ADDR", "")) or ""
    return resolve(peer, meta.get("HTTP_X_FORWARDED_FOR", ""))


# The key of every request without a usable client address: the unspecified address, which no
# real client has, so all such requests share one (strict) bucket.
ADDRESSLESS = "0.0.0.0"  # noqa: S104  (a rate-limit key, nothing binds to it)


def ratelimit_address(request: HttpRequest) -> str:
    """`client_address`, or ADDRESSLESS when there is none (django-ratelimit needs an IP)."""
    address = _parse(client_address(request))
    return str(address) if address is not None else ADDRESSLESS


class TrustedProxyMiddleware:
    """REMOTE_ADDR becomes the real client's address; proxy headers from others are dropped."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if PEER_KEY not in meta:
            peer = meta.get("REMOTE_ADDR", "") or ""
            meta["REMOTE_ADDR"] = client_address(request)
            meta[PEER_KEY] = peer
            if trusted_networks() and not _trusted(_parse(peer)):
                meta.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)
