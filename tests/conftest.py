"""Shared fixtures.

DNS (see tests/dnsserver.py for modes and tests/zones/README.md for the fixture domains):

- ``dns_server``: a fresh loopback DNS server serving tests/zones/ (``.address`` is
  ``"127.0.0.1:<port>"``, ``.queries`` records what was asked, ``.delay_ms`` / ``.mode`` /
  ``.modes`` change behaviour on the fly); stopped after the test.
- ``make_dns_server``: a factory with :func:`tests.dnsserver.start_dns_server`'s arguments,
  e.g. ``make_dns_server(zone_text=..., delay_ms=50)``; every server it made is stopped after.
- ``federation_checker``: a ``FederationChecker`` asking ``dns_server`` with a 2 s deadline.

Only loopback is ever asked: pass ``dns_server.address`` explicitly (``FEDBOT_DNS_SERVERS`` or
``Settings(dns_servers=...)``); never rely on the system's resolvers in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from federation.checker import FederationChecker
from tests.dnsserver import DnsTestServer, start_dns_server


@pytest.fixture
def dns_server() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


@pytest.fixture
def make_dns_server() -> Iterator[Callable[..., DnsTestServer]]:
    started: list[DnsTestServer] = []

    def make(*args: Any, **kwargs: Any) -> DnsTestServer:
        server = start_dns_server(*args, **kwargs)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def federation_checker(dns_server: DnsTestServer) -> FederationChecker:
    return FederationChecker([dns_server.address], timeout=2.0)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A real PostgreSQL server on loopback for the whole session (tests/pgserver.py)."""
    from tests.pgserver import start_pg_server

    server = start_pg_server()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: Any, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's server: its URL."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    url: str = pg_server.create_database(name)
    return url
