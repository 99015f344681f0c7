"""Resolver behaviour against the loopback server: concurrency under one deadline, time-outs as
data, TCP fallback, caching (positive, negative, in flight), server configuration."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from dns.resolver import Answer as DnsAnswer

from federation.batch import ListEntry, check_list
from federation.checker import FederationChecker
from federation.model import CheckReport, CheckResult
from federation.resolver import (
    Answer,
    AnswerCache,
    DnsClient,
    Nameserver,
    answer_ttl,
    parse_nameserver,
    registered_domain,
    system_nameservers,
)
from tests.dnsserver import DnsTestServer

MakeServer = Callable[..., DnsTestServer]


async def test_queries_overlap_under_delay(make_dns_server: MakeServer) -> None:
    # 100 ms per answer keeps the margins wide on a busy machine: the check's own CPU is a few ms.
    server = make_dns_server(delay_ms=100)
    checker = FederationChecker([server.address], timeout=3.0)
    started = time.perf_counter()
    report = await checker.check("contoso.example")
    elapsed = time.perf_counter() - started
    assert report.results[0].status == "ok"
    asked = len(server.queries)
    assert asked >= 6
    # Sequentially this would take asked x 100 ms; overlapping it is two rounds (SRV, then target).
    assert elapsed < 0.1 * asked / 2
    assert elapsed < 0.35


async def test_two_domains_are_checked_concurrently(make_dns_server: MakeServer) -> None:
    server = make_dns_server(delay_ms=100)
    checker = FederationChecker([server.address], timeout=3.0)
    started = time.perf_counter()
    await checker.check("contoso.example", "gcchigh.example")
    together = time.perf_counter() - started
    # the same two checks one after the other, in this run (a loaded machine slows both)
    started = time.perf_counter()
    await FederationChecker([server.address], timeout=3.0).check("fabrikam.example")
    await FederationChecker([server.address], timeout=3.0).check("litware.example")
    one_after_the_other = time.perf_counter() - started
    assert together < 0.75 * one_after_the_other


async def test_deadline_is_respected_when_server_never_answers(make_dns_server: MakeServer) -> None:
    server = make_dns_server(mode="timeout")
    checker = FederationChecker([server.address], timeout=0.4, attempt_timeout=0.15)
    started = time.perf_counter()
    report = await checker.check("contoso.example", "gcchigh.example")
    elapsed = time.perf_counter() - started
    assert 0.35 < elapsed < 0.8
    assert report.status == "dns_error"
    assert all(r.codes == {"dns_timeout"} for r in report.results)
    # retried within the deadline (UDP may be lost), not once per server only
    assert len(server.names("SRV")) > len(report.results) * 3


async def test_slow_informational_query_does_not_spoil_the_verdict(
    make_dns_server: MakeServer,
) -> None:
    server = make_dns_server(modes={"lyncdiscover.contoso.example": "timeout"})
    checker = FederationChecker([server.address], timeout=0.3)
    (result,) = (await checker.check("contoso.example")).results
    assert result.status == "ok"
    timeout = next(f for f in result.findings if f.code == "dns_timeout")
    assert timeout.severity == "info" and "lyncdiscover.contoso.example" in timeout.message


async def test_truncated_udp_answer_is_retried_over_tcp(dns_server: DnsTestServer) -> None:
    checker = FederationChecker([dns_server.address], timeout=2.0)
    (result,) = (await checker.check("truncated.example")).results
    assert result.status == "ok"
    srv = [q for q in dns_server.queries if q.name == "_sipfederationtls._tcp.truncated.example"]
    assert [q.transport for q in srv] == ["udp", "tcp"]


async def test_second_check_is_served_from_cache(dns_server: DnsTestServer) -> None:
    checker = FederationChecker([dns_server.address], timeout=2.0)
    first = await checker.check("contoso.example", "nosrv.example")
    asked = len(dns_server.queries)
    second = await checker.check("contoso.example", "nosrv.example")
    assert len(dns_server.queries) == asked
    assert first == second


async def test_cached_result_echoes_each_callers_input(dns_server: DnsTestServer) -> None:
    checker = FederationChecker([dns_server.address], timeout=2.0)
    first = await checker.check_inputs("joe@contoso.example")
    dns_server.clear()
    second = await checker.check_inputs("sip:Ann@Contoso.Example")
    assert dns_server.names() == []
    assert isinstance(first, CheckReport) and isinstance(second, CheckReport)
    assert first.results[0].input == "joe@contoso.example"
    assert second.results[0].input == "sip:Ann@Contoso.Example"
    assert second.results[0].findings == first.results[0].findings


async def test_result_with_a_failed_query_is_not_kept(dns_server: DnsTestServer) -> None:
    # Only the informational lyncdiscover query times out: the verdict stands, but the result
    # rests on a failure, so the next check asks again instead of repeating a stale "unknown".
    dns_server.modes["lyncdiscover.contoso.example"] = "timeout"
    checker = FederationChecker([dns_server.address], timeout=1.0, attempt_timeout=0.3)
    first = await checker.check("contoso.example")
    assert first.results[0].status == "ok"
    assert "dns_timeout" in first.results[0].codes
    dns_server.modes.pop("lyncdiscover.contoso.example")
    dns_server.clear()
    second = await checker.check("contoso.example")
    assert "dns_timeout" not in second.results[0].codes
    assert "_sipfederationtls._tcp.contoso.example" not in dns_server.names()  # answers kept


async def test_negative_answers_expire_soon_positive_ones_by_ttl(dns_server: DnsTestServer) -> None:
    now = [1000.0]
    checker = FederationChecker(
        [dns_server.address], timeout=2.0, negative_ttl=60.0, clock=lambda: now[0]
    )
    await checker.check("teamsonly.example")  # SRV TTL 300; legacy names negative (SOA minimum 300)
    srv_name = "_sipfederationtls._tcp.teamsonly.example"

    def asked() -> list[str]:
        names = dns_server.names()
        dns_server.clear()
        return names

    asked()
    now[0] += 59
    await checker.check("teamsonly.example")
    assert asked() == []
    now[0] += 2  # negative answers capped at 60 s are gone, the SRV (TTL 300) is not
    await checker.check("teamsonly.example")
    again = asked()
    assert "sip.teamsonly.example" in again and srv_name not in again
    now[0] += 300
    await checker.check("teamsonly.example")
    assert srv_name in asked()


async def test_concurrent_callers_share_one_query(make_dns_server: MakeServer) -> None:
    server = make_dns_server(delay_ms=30)
    client = DnsClient([parse_nameserver(server.address)])
    deadline = time.monotonic() + 2
    answers = await asyncio.gather(
        *(client.query("contoso.example", "SOA", deadline) for _ in range(20))
    )
    assert len({a for a in answers}) == 1 and answers[0].outcome == "answer"
    assert server.names() == ["contoso.example"]


async def test_servfail_from_one_server_falls_over_to_the_next(
    make_dns_server: MakeServer, dns_server: DnsTestServer
) -> None:
    broken = make_dns_server(mode="servfail")
    checker = FederationChecker([broken.address, dns_server.address], timeout=2.0)
    (result,) = (await checker.check("contoso.example")).results
    assert result.status == "ok"
    assert broken.queries and dns_server.queries


async def test_refused_connection_is_a_dns_error_not_an_exception(
    dns_server: DnsTestServer,
) -> None:
    port = dns_server.port
    dns_server.stop()
    checker = FederationChecker([f"127.0.0.1:{port}"], timeout=0.5)
    report = await checker.check("contoso.example")
    assert report.status == "dns_error"


async def test_no_resolver_configuration_is_handled(tmp_path: Path) -> None:
    missing = tmp_path / "resolv.conf"
    assert system_nameservers(missing) == ()
    checker = FederationChecker([], timeout=0.5, resolv_conf=str(missing))
    assert checker.servers == ()
    (result,) = (await checker.check("contoso.example")).results
    assert result.status == "dns_error"
    assert "no DNS server configured" in result.findings[0].message


def test_system_nameservers_read_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nnameserver 127.0.0.1\nnameserver ::1\nsearch example\n")
    assert system_nameservers(conf) == (Nameserver("127.0.0.1"), Nameserver("::1"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", Nameserver("127.0.0.1", 53)),
        ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
        ("::1", Nameserver("::1", 53)),
        ("[::1]:5353", Nameserver("::1", 5353)),
    ],
)
def test_parse_nameserver(text: str, expected: Nameserver) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example", "127.0.0.1:0", "127.0.0.1:99999", "1.2.3.4:x", ""])
def test_parse_nameserver_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="DNS server"):
        parse_nameserver(text)


def _answer(name: str, ttl: int, *, empty: bool = False) -> DnsAnswer:
    """A dnspython Answer as the resolver would cache it (positive, or NODATA with an SOA)."""
    qname = dns.name.from_text(name)
    response = dns.message.make_response(dns.message.make_query(qname, "A"))
    if empty:
        section, owner, rdtype = response.authority, dns.name.from_text("example"), "SOA"
        value = f"ns.example. host.example. 1 3600 600 86400 {ttl}"
    else:
        section, owner, rdtype = response.answer, qname, "A"
        value = "192.0.2.1"
    kind = dns.rdatatype.from_text(rdtype)
    rrset = response.find_rrset(section, owner, dns.rdataclass.IN, kind, create=True)
    rrset.add(dns.rdata.from_text("IN", rdtype, value), ttl)
    return DnsAnswer(qname, dns.rdatatype.A, dns.rdataclass.IN, response)


def _key(name: str) -> Any:
    return (dns.name.from_text(name), dns.rdatatype.A, dns.rdataclass.IN)


def test_cache_is_bounded_lru() -> None:
    cache = AnswerCache(max_entries=2, clock=lambda: 0.0)
    answers = {name: _answer(f"{name}.example", 300) for name in ("a", "b", "c")}
    for name in ("a", "b"):
        cache.put(_key(name), answers[name])
    assert cache.get(_key("a")) is answers["a"]  # a is now most recent
    cache.put(_key("c"), answers["c"])
    assert cache.get(_key("b")) is None and cache.get(_key("a")) is answers["a"]
    assert len(cache) == 2


def test_negative_answers_are_kept_briefly_positive_ones_by_ttl() -> None:
    now = [0.0]
    cache = AnswerCache(negative_ttl=60, clock=lambda: now[0])
    cache.put(_key("a"), _answer("a.example", 300))
    cache.put(_key("b"), _answer("b.example", 300, empty=True))
    cache.put(_key("c"), _answer("c.example", 0))
    assert cache.get(_key("c")) is None  # TTL 0: not kept
    now[0] = 61
    assert cache.get(_key("b")) is None and cache.get(_key("a")) is not None
    now[0] = 301
    assert cache.get(_key("a")) is None


def test_failures_are_not_cached() -> None:
    for answer in (Answer("a", "A", "timeout"), Answer("b", "A", "servfail")):
        assert answer_ttl(answer) == 0.0
    assert answer_ttl(Answer("c", "A", "nodata", negative_ttl=3600)) == 60.0


async def test_dead_resolver_is_recognised_once_and_not_waited_for(
    make_dns_server: MakeServer,
) -> None:
    server = make_dns_server(mode="timeout")
    checker = FederationChecker([server.address], timeout=0.3, attempt_timeout=0.1)
    entries = [ListEntry(i, f"d{i}.example") for i in range(1, 41)]
    outcomes = await check_list(checker, entries, concurrency=3)
    assert {o.status for o in outcomes} == {"dns_error"}
    assert checker.client.dead
    # 40 domains x 7 queries x retries if each waited; once known dead, only probes go out.
    assert len(server.names("SRV")) < 40
    last = outcomes[-1].result
    assert isinstance(last, CheckResult) and last.cloud == "unknown"
    assert "does not answer at all" in last.findings[0].message


async def test_dead_resolver_is_probed_and_noticed_when_back(make_dns_server: MakeServer) -> None:
    server = make_dns_server(mode="timeout")
    now = [0.0]
    client = DnsClient(
        [parse_nameserver(server.address)], attempt_timeout=0.1, clock=lambda: now[0]
    )
    for zone in ("a", "b", "c"):
        await client.query(f"{zone}.example", "SOA", time.monotonic() + 0.15)
    assert client.dead
    server.clear()
    skipped = await client.query("contoso.example", "SOA", time.monotonic() + 0.1)
    assert skipped.outcome == "timeout" and skipped.detail.startswith("not asked:")
    assert server.queries == []  # not waited for: nothing was sent
    server.mode = "normal"
    now[0] = 1.0  # a probe is due
    probe = await client.query("contoso.example", "SOA", time.monotonic() + 1)
    assert probe.outcome == "answer" and not client.dead


def test_zones_are_registered_domains_by_the_public_suffix_list() -> None:
    assert registered_domain("_sipfederationtls._tcp.Contoso.co.uk.") == "contoso.co.uk"
    assert registered_domain("sip.fabrikam.com") == "fabrikam.com"
    assert registered_domain("lyncdiscover.nosrv.example") == "nosrv.example"
    assert registered_domain("co.uk") == "co.uk"  # a public suffix is its own


async def test_silent_domains_under_one_public_suffix_are_different_zones(
    make_dns_server: MakeServer,
) -> None:
    """Three unrelated .co.uk organisations going unanswered is the resolver, not one zone."""
    server = make_dns_server(mode="timeout")
    client = DnsClient([parse_nameserver(server.address)], attempt_timeout=0.1)
    for org in ("contoso", "fabrikam"):
        await client.query(f"_sipfederationtls._tcp.{org}.co.uk", "SRV", time.monotonic() + 0.15)
    assert not client.dead
    await client.query("_sipfederationtls._tcp.tailspin.co.uk", "SRV", time.monotonic() + 0.15)
    assert client.dead
    # one organisation's broken name servers stay one zone, however many of its names fail
    other = DnsClient([parse_nameserver(server.address)], attempt_timeout=0.1)
    for name in ("_sipfederationtls._tcp", "_sip._tls", "lyncdiscover", "sip"):
        await other.query(f"{name}.northwind.co.uk", "SRV", time.monotonic() + 0.15)
    assert not other.dead
