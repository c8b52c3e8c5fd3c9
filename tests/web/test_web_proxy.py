"""The client's address behind a reverse proxy: X-Forwarded-For believed only from TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from motcua.web.proxy import TrustedProxyMiddleware, client_address, resolve


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/24"])
@pytest.mark.parametrize(
    ("peer", "xff", "client"),
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # nginx on the same host
        ("127.0.0.1", "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # the forged left part
        ("127.0.0.1", "198.51.100.7, 10.0.0.4", "198.51.100.7"),  # two proxies in a row
        ("127.0.0.1", "", "127.0.0.1"),  # no header: the proxy itself
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", "[2001:db8::1]:4711", "2001:db8::1"),
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not a proxy: header ignored
        ("10.0.1.5", "203.0.113.9", "10.0.1.5"),  # outside the trusted network
    ],
)
def test_resolve(peer, xff, client):
    assert resolve(peer, xff) == client


@override_settings(TRUSTED_PROXIES=[])
def test_nothing_is_trusted_by_default():
    assert resolve("127.0.0.1", "203.0.113.9") == "127.0.0.1"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_middleware_sets_remote_addr_and_drops_forged_proto():
    seen = {}

    def view(request):  # type: ignore[no-untyped-def]
        seen["addr"] = request.META["REMOTE_ADDR"]
        seen["proto"] = request.META.get("HTTP_X_FORWARDED_PROTO")
        seen["callable"] = client_address(request)
        return None

    rf = RequestFactory()
    proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7",
                     HTTP_X_FORWARDED_PROTO="https")  # fmt: skip
    TrustedProxyMiddleware(view)(proxied)
    assert seen == {"addr": "198.51.100.7", "proto": "https", "callable": "198.51.100.7"}
    direct = rf.get("/", REMOTE_ADDR="198.51.100.8", HTTP_X_FORWARDED_FOR="203.0.113.9",
                    HTTP_X_FORWARDED_PROTO="https")  # fmt: skip
    TrustedProxyMiddleware(view)(direct)
    assert seen == {"addr": "198.51.100.8", "proto": None, "callable": "198.51.100.8"}
