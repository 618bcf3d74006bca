"""The client's address behind proxies (guanjia/accounts/clientip.py): only the hops our own
proxies add count; a client's own X-Forwarded-For entries, garbage and untrusted peers fall
back to what the server saw. tests/test_proxy.py proves it through a real nginx."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from guanjia.accounts.clientip import client_address, parse_address
from tests.conftest import PASSWORD

LOOPBACK = ("127.0.0.1", "::1")


def meta(peer: str, forwarded: str | None = None) -> dict[str, str]:
    data = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        data["HTTP_X_FORWARDED_FOR"] = forwarded
    return data


# (proxies, peer, X-Forwarded-For, trusted proxies, the client's address)
CASES = [
    # No proxy: the peer is the client, whatever the header says.
    (0, "203.0.113.7", None, LOOPBACK, "203.0.113.7"),
    (0, "203.0.113.7", "1.2.3.4", LOOPBACK, "203.0.113.7"),
    (0, "127.0.0.1", "1.2.3.4", LOOPBACK, "127.0.0.1"),
    # One proxy (the shipped nginx): the right-most hop, never the client's own entries.
    (1, "127.0.0.1", "203.0.113.7", LOOPBACK, "203.0.113.7"),
    (1, "127.0.0.1", "1.2.3.4, 203.0.113.7", LOOPBACK, "203.0.113.7"),
    (1, "127.0.0.1", "1.2.3.4,5.6.7.8 ,203.0.113.7", LOOPBACK, "203.0.113.7"),
    (1, "127.0.0.1", "garbage, 203.0.113.7", LOOPBACK, "203.0.113.7"),
    # Two proxies (a load balancer, then nginx).
    (2, "10.0.0.5", "1.2.3.4, 203.0.113.7, 10.0.0.9", ("10.0.0.0/24",), "203.0.113.7"),
    (2, "10.0.0.5", "203.0.113.7, 10.0.0.9", ("10.0.0.0/24",), "203.0.113.7"),
    # Fewer hops than proxies: no address a proxy vouches for.
    (2, "10.0.0.5", "203.0.113.7", ("10.0.0.0/24",), "10.0.0.5"),
    (1, "127.0.0.1", "", LOOPBACK, "127.0.0.1"),
    (1, "127.0.0.1", " , ", LOOPBACK, "127.0.0.1"),
    (1, "127.0.0.1", None, LOOPBACK, "127.0.0.1"),
    # The peer is not a trusted proxy (someone reaching gunicorn directly): header ignored.
    (1, "198.51.100.9", "1.2.3.4", LOOPBACK, "198.51.100.9"),
    (1, "10.0.1.5", "1.2.3.4", ("10.0.0.0/24",), "10.0.1.5"),
    (1, "198.51.100.9", "1.2.3.4", ("*",), "1.2.3.4"),
    # Garbage where the client should be: the peer.
    (1, "127.0.0.1", "1.2.3.4, not-an-ip", LOOPBACK, "127.0.0.1"),
    (1, "127.0.0.1", "1.2.3.4, 999.1.1.1", LOOPBACK, "127.0.0.1"),
    (1, "127.0.0.1", "1.2.3.4, 203.0.113.7:4711", LOOPBACK, "127.0.0.1"),
    (1, "127.0.0.1", "1.2.3.4, <script>", LOOPBACK, "127.0.0.1"),
    (1, "127.0.0.1", "1.2.3.4, fe80::1%eth0", LOOPBACK, "127.0.0.1"),
    # IPv6 peers and clients, written canonically; IPv4-mapped addresses as IPv4.
    (1, "::1", "2001:DB8:0:0::7", LOOPBACK, "2001:db8::7"),
    (1, "::1", "[2001:db8::7]", LOOPBACK, "2001:db8::7"),
    (1, "127.0.0.1", "::ffff:203.0.113.7", LOOPBACK, "203.0.113.7"),
    (0, "::ffff:203.0.113.7", None, LOOPBACK, "203.0.113.7"),
    (1, "2001:db8:1::1", "2001:db8::7", ("2001:db8:1::/48",), "2001:db8::7"),
    (1, "2001:db8:2::1", "2001:db8::7", ("2001:db8:1::/48",), "2001:db8:2::1"),
    # A Unix socket peer (REMOTE_ADDR empty) is the local proxy.
    (1, "", "203.0.113.7", LOOPBACK, "203.0.113.7"),
    (1, "", None, LOOPBACK, ""),
]


@pytest.mark.parametrize(("proxies", "peer", "forwarded", "trusted", "expected"), CASES)
def test_the_client_address_comes_from_trusted_hops_only(
    proxies, peer, forwarded, trusted, expected
):
    assert client_address(meta(peer, forwarded), proxies, trusted) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:0db8::0001", "2001:db8::1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("", None),
        ("unknown", None),
        ("1.2.3", None),
        ("1.2.3.4.5", None),
        ("203.0.113.7\x00", None),
    ],
)
def test_addresses_are_parsed_strictly(value, expected):
    assert parse_address(value) == expected


def test_the_setting_defaults_to_no_proxy_outside_production():
    from guanjia import settings as mod

    assert mod.GUANJIA_PROXY_COUNT == 0
    assert mod.AXES_CLIENT_IP_CALLABLE == "guanjia.accounts.clientip.client_ip"


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.GUANJIA_PROXY_COUNT, ','.join(s.GUANJIA_TRUSTED_PROXIES), s.AXES_CLIENT_IP_CALLABLE)"
)


def test_production_counts_one_proxy_and_a_bad_setting_stops_the_start():
    from tests.test_security_headers import run_production

    shown = run_production("-c", SHOW).stdout.split()
    assert shown[-3:] == ["1", "127.0.0.1", "guanjia.accounts.clientip.client_ip"]
    behind_two = run_production("-c", SHOW, GUANJIA_PROXY_COUNT="2", FORWARDED_ALLOW_IPS="10.0.0.5")
    assert behind_two.stdout.split()[-3:-1] == ["2", "10.0.0.5"]
    typo = run_production("-c", SHOW, GUANJIA_TRUSTED_PROXIES="127.0.0.1,nginx")
    assert typo.returncode != 0 and "nginx" in typo.stderr
    negative = run_production("-c", SHOW, GUANJIA_PROXY_COUNT="-1")
    assert negative.returncode != 0 and "GUANJIA_PROXY_COUNT" in negative.stderr


def failed_login(client: Client, forwarded: str, peer: str = "127.0.0.1", username: str = ""):
    return client.post(
        "/login/",
        {"username": username or "nobody", "password": "wrong"},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_the_lock_out_and_the_rate_limit_key_on_the_proxied_address(users, settings):
    """In process, behind one proxy: a client that varies its own X-Forwarded-For entries is
    still one client, and locking it out leaves the next client (same proxy) alone."""
    settings.GUANJIA_PROXY_COUNT = 1
    client = Client()
    for i in range(5):
        failed_login(client, f"10.9.{i}.1, 203.0.113.7", username=f"nobody{i}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    refused = client.post(
        "/login/",
        {"username": "t_admin", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8, 203.0.113.7",
    )
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 15 * 60
    other = Client().post(
        "/login/",
        {"username": "t_admin", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.20",  # forging A's address, too
    )
    assert other.status_code == 302
