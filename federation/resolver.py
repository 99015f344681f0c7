"""DNS queries only: ask explicit name servers (UDP, TCP when truncated), cache answers by TTL, and
share one in-flight query between concurrent callers. Every outcome is an :class:`Answer`, never an
exception; judging the answers is :mod:`federation.judge`'s job."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import dns.asyncquery
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from federation.cache import ExpiringLru
from federation.model import Record

Outcome = Literal["answer", "nodata", "nxdomain", "servfail", "timeout", "error"]
NEGATIVE_OUTCOMES: frozenset[Outcome] = frozenset({"nodata", "nxdomain"})
FAILED_OUTCOMES: frozenset[Outcome] = frozenset({"servfail", "timeout", "error"})

DEFAULT_PORT = 53
# Detail of an answer given without asking, because the servers are known not to answer.
DEAD_PREFIX = "not asked:"
# Servers are taken for dead after unanswered queries about this many different zones in a row
# (one broken domain's name servers make only one zone go silent).
DEAD_AFTER_ZONES = 3
EDNS_PAYLOAD = 1232


@dataclass(frozen=True)
class Answer:
    """What one query found. ``records`` is the answer section (CNAME chain included)."""

    name: str
    rdtype: str
    outcome: Outcome
    records: tuple[Record, ...] = ()
    detail: str = ""
    negative_ttl: int | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES

    def of_type(self, rdtype: str) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.rtype == rdtype)


@dataclass(frozen=True)
class Nameserver:
    host: str
    port: int = DEFAULT_PORT

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_nameserver(text: str) -> Nameserver:
    """``host[:port]``, ``[v6]:port`` or a bare IPv6 address; ValueError with a clear reason."""
    value = text.strip()
    host, port = value, str(DEFAULT_PORT)
    if value.startswith("[") and "]" in value:
        host, rest = value[1:].split("]", 1)
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"DNS server {text!r}: expected [address]:port")
            port = rest[1:]
    elif value.count(":") == 1:
        host, port = value.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"DNS server {text!r}: give an IP address, optionally with :port (e.g. 192.0.2.53:53)"
        ) from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"DNS server {text!r}: port must be a number from 1 to 65535")
    return Nameserver(host, int(port))


def system_nameservers(path: str | Path = "/etc/resolv.conf") -> tuple[Nameserver, ...]:
    """The system's resolvers, or () when there is no usable configuration."""
    try:
        resolver = dns.resolver.Resolver(filename=str(path), configure=True)
    except (dns.resolver.NoResolverConfiguration, OSError, ValueError):
        return ()
    servers = []
    for ns in resolver.nameservers:
        try:
            servers.append(Nameserver(str(ns), int(resolver.port)))
        except ValueError:
            continue
    return tuple(servers)


class AnswerCache:
    """Bounded LRU of answers that expire by TTL. ``clock`` is injectable for tests."""

    def __init__(
        self,
        max_entries: int = 10_000,
        *,
        max_ttl: float = 3600.0,
        negative_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_ttl = max_ttl
        self.negative_ttl = negative_ttl
        self._entries: ExpiringLru[tuple[str, str], Answer] = ExpiringLru(max_entries, clock)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, str]) -> Answer | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, str], answer: Answer) -> None:
        self._entries.put(key, answer, self.ttl_for(answer))

    def ttl_for(self, answer: Answer) -> float:
        """Positive answers live for their least TTL, negative ones briefly, failures not at all."""
        if answer.outcome == "answer":
            ttls = [r.ttl for r in answer.records if r.ttl is not None]
            return min([*ttls, self.max_ttl]) if ttls else 0.0
        if answer.outcome in NEGATIVE_OUTCOMES:
            soa = answer.negative_ttl if answer.negative_ttl is not None else self.negative_ttl
            return float(min(soa, self.negative_ttl))
        return 0.0


class DnsClient:
    """Queries explicit name servers. ``attempt_timeout`` bounds one try on one server; the caller's
    deadline (a ``time.monotonic()`` value) bounds the whole query, retries included."""

    def __init__(
        self,
        servers: Sequence[Nameserver],
        *,
        cache: AnswerCache | None = None,
        attempt_timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.servers = tuple(servers)
        self.clock = clock  # paces the probes of servers taken for dead
        self.cache = cache if cache is not None else AnswerCache()
        self.attempt_timeout = attempt_timeout
        self.sent = 0
        self._inflight: dict[tuple[str, str], asyncio.Task[Answer]] = {}
        self._silent_zones: set[str] = set()
        self._next_probe = 0.0

    @property
    def dead(self) -> bool:
        """True once the servers left queries about several zones in a row unanswered (and
        nothing since has answered): further queries fail at once instead of waiting, except
        one probe per ``attempt_timeout`` that notices when they come back."""
        return len(self._silent_zones) >= DEAD_AFTER_ZONES

    def _dead_answer(self, name: str, rdtype: str) -> Answer | None:
        if not self.dead:
            return None
        now = self.clock()
        if now >= self._next_probe:
            self._next_probe = now + self.attempt_timeout
            return None
        servers = ", ".join(str(s) for s in self.servers)
        detail = f"{DEAD_PREFIX} {servers} answered none of the last queries"
        return Answer(name, rdtype, "timeout", detail=detail)

    def _heard(self, name: str, answered: bool) -> None:
        if answered:
            self._silent_zones.clear()
        elif not self.dead:
            self._silent_zones.add(".".join(name.split(".")[-2:]))
            if self.dead:
                self._next_probe = self.clock() + self.attempt_timeout

    async def query(self, name: str, rdtype: str, deadline: float) -> Answer:
        key = (name.lower().rstrip("."), rdtype.upper())
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        given_up = self._dead_answer(*key)
        if given_up is not None:
            return given_up
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._resolve(key[0], key[1], deadline))
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._settle(key, t))
        remaining = deadline - time.monotonic()
        try:
            return await asyncio.wait_for(asyncio.shield(task), max(remaining, 0.0))
        except TimeoutError:
            return Answer(key[0], key[1], "timeout", detail=self._timeout_detail())

    def _settle(self, key: tuple[str, str], task: asyncio.Task[Answer]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is None:
            self.cache.put(key, task.result())

    def _timeout_detail(self) -> str:
        return "no answer from " + ", ".join(str(s) for s in self.servers)

    async def _resolve(self, name: str, rdtype: str, deadline: float) -> Answer:
        if not self.servers:
            return Answer(name, rdtype, "error", detail="no DNS server configured")
        try:
            query = dns.message.make_query(
                dns.name.from_text(name),
                dns.rdatatype.from_text(rdtype),
                use_edns=0,
                payload=EDNS_PAYLOAD,
            )
        except (dns.exception.DNSException, ValueError) as exc:
            return Answer(name, rdtype, "error", detail=str(exc))
        last: Answer | None = None
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            server = self.servers[attempt % len(self.servers)]
            attempt += 1
            answer = await self._ask(
                query, name, rdtype, server, min(remaining, self.attempt_timeout)
            )
            if answer.outcome in ("answer", "nodata", "nxdomain"):
                return answer
            if answer.outcome != "timeout" or last is None or last.outcome == "timeout":
                last = answer
            # A server that answered SERVFAIL/REFUSED is not asked again; give up once all have.
            if answer.outcome != "timeout" and attempt >= len(self.servers):
                return last
        return (
            last
            if last is not None and last.outcome != "timeout"
            else Answer(name, rdtype, "timeout", detail=self._timeout_detail())
        )

    async def _ask(
        self, query: dns.message.Message, name: str, rdtype: str, server: Nameserver, timeout: float
    ) -> Answer:
        self.sent += 1
        try:
            response, _ = await dns.asyncquery.udp_with_fallback(
                query, server.host, timeout=timeout, port=server.port, ignore_unexpected=True
            )
        except dns.exception.Timeout:
            self._heard(name, answered=False)
            return Answer(name, rdtype, "timeout", detail=f"no answer from {server}")
        except (OSError, EOFError, dns.exception.DNSException) as exc:
            return Answer(name, rdtype, "error", detail=f"{server}: {exc or type(exc).__name__}")
        except Exception as exc:  # a malformed answer must stay data, never escape as a crash
            return Answer(name, rdtype, "error", detail=f"{server}: {type(exc).__name__}: {exc}")
        self._heard(name, answered=True)
        return _answer_from(response, name, rdtype, server)


def _answer_from(
    response: dns.message.Message, name: str, rdtype: str, server: Nameserver
) -> Answer:
    records = tuple(
        Record(rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), rd.to_text(), rrset.ttl)
        for rrset in response.answer
        for rd in rrset
    )
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return Answer(name, rdtype, "nxdomain", records, negative_ttl=_negative_ttl(response))
    if rcode != dns.rcode.NOERROR:
        detail = f"{dns.rcode.to_text(rcode)} from {server}"
        for ede in response.extended_errors():  # RFC 8914, e.g. DNSSEC Bogus
            reason = dns.edns.EDECode.to_text(ede.code).replace("_", " ")
            detail += f"; {reason}" + (f": {ede.text}" if ede.text else "")
        return Answer(name, rdtype, "servfail", records, detail=detail)
    if any(r.rtype == rdtype for r in records):
        return Answer(name, rdtype, "answer", records)
    return Answer(name, rdtype, "nodata", records, negative_ttl=_negative_ttl(response))


def _negative_ttl(response: dns.message.Message) -> int | None:
    """RFC 2308: the smaller of the SOA's TTL and its MINIMUM field."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            for rd in rrset:
                return min(rrset.ttl, int(rd.minimum))
    return None
