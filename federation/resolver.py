"""DNS queries only, through dnspython's resolver (explicit name servers, UDP with TCP when
truncated, its cache interface backed by cachetools), plus what it lacks: one deadline per query,
one in-flight query shared by concurrent callers, dead servers recognised once. Every outcome is an
:class:`Answer`, never an exception; judging the answers is :mod:`federation.judge`'s job."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dns.asyncresolver
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
from cachetools import TLRUCache

from federation.model import Record
from knowledge.public_suffixes import public_suffixes

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


def answer_ttl(answer: Answer, *, max_ttl: float = 3600.0, negative_ttl: float = 60.0) -> float:
    """How long ``answer`` may be reused: positive answers for their least TTL, negative ones
    briefly (at most ``negative_ttl``), failures not at all."""
    if answer.outcome == "answer":
        ttls = [r.ttl for r in answer.records if r.ttl is not None]
        return min([*ttls, max_ttl]) if ttls else 0.0
    if answer.outcome in NEGATIVE_OUTCOMES:
        soa = answer.negative_ttl if answer.negative_ttl is not None else negative_ttl
        return float(min(soa, negative_ttl))
    return 0.0


CacheKey = tuple[dns.name.Name, dns.rdatatype.RdataType, dns.rdataclass.RdataClass]


class AnswerCache(dns.resolver.CacheBase):
    """dnspython's resolver cache interface over a ``cachetools.TLRUCache``: bounded LRU, each
    answer expiring by its own TTL; negative answers (NODATA, NXDOMAIN) kept at most
    ``negative_ttl`` seconds. ``clock`` is injectable for tests."""

    def __init__(
        self,
        max_entries: int = 10_000,
        *,
        max_ttl: float = 3600.0,
        negative_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.max_ttl = max_ttl
        self.negative_ttl = negative_ttl
        self._entries: TLRUCache[CacheKey, tuple[dns.resolver.Answer, float]] = TLRUCache(
            maxsize=max(max_entries, 1), ttu=_expires, timer=clock
        )
        self._enabled = max_entries > 0

    def __bool__(self) -> bool:  # dnspython tests ``if resolver.cache:``; empty is still a cache
        return True

    def __len__(self) -> int:
        self._entries.expire()
        return len(self._entries)

    def get(self, key: CacheKey) -> dns.resolver.Answer | None:
        entry = self._entries.get(key)
        if entry is None:
            self.statistics.misses += 1
            return None
        self.statistics.hits += 1
        return entry[0]

    def put(self, key: CacheKey, value: dns.resolver.Answer) -> None:
        ttl = value.expiration - time.time()
        negative = value.rrset is None
        ttl = min(ttl, self.negative_ttl if negative else self.max_ttl)
        if ttl > 0 and self._enabled:
            self._entries[key] = (value, ttl)

    def flush(self, key: CacheKey | None = None) -> None:
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)


def _expires(_key: object, entry: tuple[object, float], now: float) -> float:
    return now + entry[1]


def registered_domain(name: str) -> str:
    """The domain a name was registered under, by the public suffix list: the zone whose name
    servers answer for it (``_sipfederationtls._tcp.contoso.co.uk`` → ``contoso.co.uk``, not
    ``co.uk``). A name that is itself a public suffix is its own."""
    name = name.lower().rstrip(".")
    return public_suffixes().privatesuffix(name) or name


class DnsClient:
    """Queries explicit name servers through ``dns.asyncresolver.Resolver`` (nameserver
    rotation, retries, TCP fallback on truncation, its cache interface). What is added here:
    every outcome as an :class:`Answer` (never an exception), one deadline for the whole query,
    one in-flight query shared by concurrent callers, and servers that never answer recognised
    once. ``attempt_timeout`` bounds one try on one server."""

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
        self.resolver = dns.asyncresolver.Resolver(configure=False)
        self.resolver.nameservers = [
            dns.nameserver.Do53Nameserver(s.host, s.port) for s in self.servers
        ]
        self.resolver.timeout = attempt_timeout
        self.resolver.use_edns(0, 0, EDNS_PAYLOAD)
        self.resolver.cache = self.cache
        self._inflight: dict[tuple[str, str], tuple[asyncio.Task[Answer], float]] = {}
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
            self._silent_zones.add(registered_domain(name))
            if self.dead:
                self._next_probe = self.clock() + self.attempt_timeout

    async def query(self, name: str, rdtype: str, deadline: float) -> Answer:
        key = (name.lower().rstrip("."), rdtype.upper())
        given_up = self._dead_answer(*key)
        if given_up is not None and not self._cached(*key):
            return given_up
        shared = self._inflight.get(key)
        # Share a query in flight unless it must give up before this caller's deadline.
        if shared is None or shared[1] < deadline:
            task = asyncio.create_task(self._resolve(key[0], key[1], deadline))
            self._inflight[key] = (task, deadline)
            task.add_done_callback(lambda t: self._settle(key, t))
        else:
            task = shared[0]
        remaining = deadline - time.monotonic()
        try:
            return await asyncio.wait_for(asyncio.shield(task), max(remaining, 0.0))
        except TimeoutError:
            self._heard(key[0], answered=False)
            return Answer(key[0], key[1], "timeout", detail=self._timeout_detail())

    def _cached(self, name: str, rdtype: str) -> bool:
        try:
            qname = dns.name.from_text(name)
            kinds = (dns.rdatatype.from_text(rdtype), dns.rdatatype.ANY)
        except (dns.exception.DNSException, ValueError):
            return False
        return any(self.cache.get((qname, k, dns.rdataclass.IN)) for k in kinds)

    def _settle(self, key: tuple[str, str], task: asyncio.Task[Answer]) -> None:
        shared = self._inflight.get(key)
        if shared is not None and shared[0] is task:
            del self._inflight[key]

    def _timeout_detail(self) -> str:
        return "no answer from " + ", ".join(str(s) for s in self.servers)

    async def _resolve(self, name: str, rdtype: str, deadline: float) -> Answer:
        if not self.servers:
            return Answer(name, rdtype, "error", detail="no DNS server configured")
        lifetime = deadline - time.monotonic()
        if lifetime <= 0:
            return Answer(name, rdtype, "timeout", detail=self._timeout_detail())
        try:
            found = await self.resolver.resolve(
                name, rdtype, search=False, raise_on_no_answer=False, lifetime=lifetime
            )
        except dns.resolver.NXDOMAIN as exc:
            self._heard(name, answered=True)
            responses = list(exc.kwargs.get("responses", {}).values())
            if not responses:
                return Answer(name, rdtype, "nxdomain")
            return _answer_from(responses[-1], name, rdtype, "")
        except dns.resolver.LifetimeTimeout:
            self._heard(name, answered=False)
            return Answer(name, rdtype, "timeout", detail=self._timeout_detail())
        except dns.resolver.NoNameservers as exc:
            return self._failure(name, rdtype, exc.kwargs.get("errors") or [])
        except (dns.exception.DNSException, ValueError) as exc:
            return Answer(name, rdtype, "error", detail=str(exc) or type(exc).__name__)
        except Exception as exc:  # a malformed answer must stay data, never escape as a crash
            return Answer(name, rdtype, "error", detail=f"{type(exc).__name__}: {exc}")
        self._heard(name, answered=True)
        return _answer_from(found.response, name, rdtype, "")

    def _failure(self, name: str, rdtype: str, errors: list[Any]) -> Answer:
        """Every server failed: SERVFAIL/REFUSED (with its EDE) when one answered so."""
        for server, _tcp, port, _error, response in errors:
            if response is not None:
                self._heard(name, answered=True)
                where = str(Nameserver(str(server), int(port)))
                return _answer_from(response, name, rdtype, where)
        if errors:
            server, _tcp, port, error, _ = errors[-1]
            where = str(Nameserver(str(server), int(port)))
            return Answer(name, rdtype, "error", detail=f"{where}: {error or type(error).__name__}")
        return Answer(name, rdtype, "error", detail="no DNS server answered")


def _answer_from(response: dns.message.Message, name: str, rdtype: str, server: str) -> Answer:
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
