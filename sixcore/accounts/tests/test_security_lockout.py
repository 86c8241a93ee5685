"""The login lockout behind the reverse proxy keys on the client's address, not the proxy's (issue #18)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, editor

PROXY = "10.0.0.2"  # REMOTE_ADDR of every request: the reverse proxy
ADDRESS_A = "203.0.113.5"
ADDRESS_B = "198.51.100.7"


def through_proxy(address: str, client_sent: str = "") -> Client:
    """A client behind the proxy, which appends the address it saw to whatever the client sent."""
    chain = f"{client_sent}, {address}" if client_sent else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


def fail_five_times(client: Client, username: str) -> None:
    for _ in range(5):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"})


def logs_in(client: Client, username: str) -> bool:
    client.post(reverse("login"), {"username": username, "password": PASSWORD})
    return "_auth_user_id" in client.session


@pytest.fixture
def officer(db):
    return editor("moea")


def test_failures_from_one_address_do_not_lock_out_another(officer, settings):
    settings.SIXCORE_PROXY_COUNT = 1
    fail_five_times(through_proxy(ADDRESS_A), officer.username)
    assert logs_in(through_proxy(ADDRESS_B), officer.username)
    assert not logs_in(through_proxy(ADDRESS_A), officer.username)


def test_a_forged_forwarded_header_does_not_escape_the_lockout(officer, settings):
    """The attacker writes a new X-Forwarded-For each time; the proxy's own entry still names them."""
    settings.SIXCORE_PROXY_COUNT = 1
    for n in range(5):
        through_proxy(ADDRESS_A, client_sent=f"192.0.2.{n}").post(
            reverse("login"), {"username": officer.username, "password": "wrong-password"}
        )
    assert not logs_in(through_proxy(ADDRESS_A, client_sent="192.0.2.99"), officer.username)
    assert logs_in(through_proxy(ADDRESS_B), officer.username)


def test_two_proxies_the_second_address_from_the_right(officer, settings):
    """A load balancer in front of nginx: X-Forwarded-For is "client, balancer"."""
    settings.SIXCORE_PROXY_COUNT = 2
    fail_five_times(
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{ADDRESS_A}, 10.0.0.9"), officer.username
    )
    assert logs_in(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{ADDRESS_B}, 10.0.0.9"), officer.username)


def test_without_trusted_proxies_the_header_is_ignored(officer, settings):
    """The default (0): a client cannot pick its own address by sending X-Forwarded-For."""
    settings.SIXCORE_PROXY_COUNT = 0
    for n in range(5):
        Client(REMOTE_ADDR=ADDRESS_A, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            reverse("login"), {"username": officer.username, "password": "wrong-password"}
        )
    assert not logs_in(Client(REMOTE_ADDR=ADDRESS_A, HTTP_X_FORWARDED_FOR="192.0.2.99"), officer.username)
