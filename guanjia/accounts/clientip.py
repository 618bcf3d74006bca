"""The client's address, taken from the trusted proxy hops only.

Behind nginx every request reaches the application from nginx's own address; nginx appends
the address it saw to `X-Forwarded-For` ($proxy_add_x_forwarded_for). Whatever a client
writes into that header itself stays to the left of what our proxies add, so the client is
the entry GUANJIA_PROXY_COUNT hops from the right — never the left-most, which anyone can
forge. The header is read only when the direct peer (REMOTE_ADDR) is one of
GUANJIA_TRUSTED_PROXIES; otherwise, and for anything that is not an IP address, the answer
is REMOTE_ADDR.

    proxies  peer (REMOTE_ADDR)  X-Forwarded-For                         client
    0        203.0.113.7         (ignored)                               203.0.113.7
    1        127.0.0.1 (nginx)   "1.2.3.4, 203.0.113.7"                  203.0.113.7
    2        10.0.0.5 (nginx)    "1.2.3.4, 203.0.113.7, 10.0.0.9 (LB)"   203.0.113.7

django-ipware is not used: it reads a dozen client-settable headers (Client-IP, X-Real-IP…)
in turn, prefers a "public" address over the proxy-counted one, and never asks whether the
peer is a proxy at all. This is the whole rule, in one place, for django-axes' lock-out
(AXES_CLIENT_IP_CALLABLE) and every rate limit (guanjia.accounts.ratelimit).
"""

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(value: str) -> str | None:
    """`value` as a canonical IP address ("::ffff:1.2.3.4" → "1.2.3.4"), or None."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):  # "[2001:db8::1]"
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:  # fe80::1%eth0: a link-local peer, never a client of ours
            return None
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
    return str(address)


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...] | None:
    """The trusted proxies as networks; None means "any peer" ("*")."""
    if "*" in trusted:
        return None
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item)


def is_trusted(peer: str, trusted: Iterable[str]) -> bool:
    networks = _networks(tuple(trusted))
    if networks is None:
        return True
    if peer == "":
        # A Unix socket peer (gunicorn leaves REMOTE_ADDR empty): only a local process,
        # i.e. the proxy, can connect to it.
        return True
    address = ipaddress.ip_address(peer)
    return any(address in network for network in networks)


def client_address(
    meta: Mapping[str, Any], proxy_count: int, trusted: Iterable[str] = ("127.0.0.1", "::1")
) -> str:
    """The client's address from a request's META (see the module's docstring)."""
    raw_peer = str(meta.get("REMOTE_ADDR") or "")
    peer = parse_address(raw_peer) if raw_peer else ""
    if peer is None:
        return raw_peer
    if proxy_count <= 0 or not is_trusted(peer, trusted):
        return peer
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    # Repeated headers arrive joined with commas (gunicorn, runserver): one list of hops.
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded.strip() else []
    if len(hops) < proxy_count:
        # Fewer hops than proxies: the request did not come through all of them, and the
        # header holds no address one of our proxies vouches for.
        return peer
    return parse_address(hops[-proxy_count]) or peer


def client_ip(request: HttpRequest) -> str:
    """The client's address under the settings GUANJIA_PROXY_COUNT and GUANJIA_TRUSTED_PROXIES;
    "" only when the server gave no address at all."""
    return client_address(
        request.META, settings.GUANJIA_PROXY_COUNT, settings.GUANJIA_TRUSTED_PROXIES
    )
