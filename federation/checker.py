"""The live federation check: run every query for a domain concurrently under one deadline, then
hand the answers to the pure judge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from cachetools import TLRUCache

from federation.domains import parse_domain, parse_domains
from federation.judge import (
    Collected,
    first_round,
    judge,
    judge_pair,
    needs_targets,
    srv_targets,
    when_srv_missing,
    wildcard_probe,
)
from federation.model import CheckReport, CheckResult, InvalidDomain
from federation.resolver import (
    Answer,
    AnswerCache,
    DnsClient,
    Nameserver,
    answer_ttl,
    parse_nameserver,
    system_nameservers,
)
from federation.texts import Texts, load_texts


class FederationChecker:
    """Checks one domain, or two and how they fit together.

    ``servers`` are ``host[:port]`` strings (empty: the system's resolvers from
    ``resolv_conf``); ``timeout`` is the deadline for a whole check in seconds; answers are cached
    by TTL in a bounded LRU of ``cache_size`` entries (negative answers for at most
    ``negative_ttl`` seconds), and so is each domain's judged result, for as long as every answer
    behind it lives (a result with a failed query is not kept). Raises ValueError only for a
    malformed server address."""

    def __init__(
        self,
        servers: Sequence[str] = (),
        timeout: float = 5.0,
        cache_size: int = 10_000,
        *,
        negative_ttl: float = 60.0,
        attempt_timeout: float = 2.0,
        resolv_conf: str = "/etc/resolv.conf",
        clock: Callable[[], float] = time.monotonic,
        texts: Texts | None = None,
    ) -> None:
        nameservers: tuple[Nameserver, ...] = tuple(parse_nameserver(s) for s in servers)
        if not nameservers:
            nameservers = system_nameservers(resolv_conf)
        self.timeout = timeout
        self.cache = AnswerCache(cache_size, negative_ttl=negative_ttl, clock=clock)
        self.negative_ttl = negative_ttl
        self.results: TLRUCache[str, tuple[CheckResult, float]] = TLRUCache(
            maxsize=max(cache_size, 1), ttu=_expires, timer=clock
        )
        self.client = DnsClient(nameservers, cache=self.cache, attempt_timeout=attempt_timeout)
        # One answer cache (dnspython's interface over cachetools) and one result cache, both
        # cachetools TLRU caches: bounded, LRU, each entry expiring by its own TTL.
        self.texts = texts or load_texts()

    @property
    def servers(self) -> tuple[Nameserver, ...]:
        return self.client.servers

    async def check(self, *domains: str, inputs: Sequence[str] = ()) -> CheckReport:
        """Check one or two already-parsed domains; two are checked concurrently and judged as a
        pair. ``inputs`` (optional) are what the user typed, echoed in the results."""
        if not 1 <= len(domains) <= 2:
            raise ValueError("check takes one or two domains")
        deadline = time.monotonic() + self.timeout
        typed = list(inputs) + list(domains[len(inputs) :])
        results = await asyncio.gather(
            *(self.check_domain(d, deadline, typed[i]) for i, d in enumerate(domains))
        )
        pair = judge_pair(results[0], results[1], self.texts) if len(results) == 2 else None
        return CheckReport(tuple(results), pair)

    async def check_inputs(self, *inputs: str) -> CheckReport | list[InvalidDomain]:
        """Parse what the user typed first; return the refusals if any input is not a domain.
        One input naming two domains (``"joe@a.com ann@b.com"``) is checked as that pair; more
        than two domains in all are refused, never cut down to some of them."""
        pairs: list[tuple[str, str]] = []
        invalid: list[InvalidDomain] = []
        for text in inputs:
            parsed = parse_domains(text)
            if isinstance(parsed, InvalidDomain):
                invalid.append(parsed)
            else:
                pairs += [(text, d) for d in parsed]
        if invalid:
            return invalid
        domains = list(dict.fromkeys(d for _, d in pairs))
        if len(domains) > 2:
            refused = parse_domain(" ".join(domains))
            return [refused] if isinstance(refused, InvalidDomain) else []
        typed = [next(t for t, d in pairs if d == domain) for domain in domains]
        return await self.check(*domains, inputs=typed)

    async def check_domain(self, domain: str, deadline: float, input_text: str = "") -> CheckResult:
        """One domain against an absolute ``time.monotonic()`` deadline."""
        known = self.results.get(domain)
        if known is not None:
            return replace(known[0], input=input_text or domain)
        query = self.client.query
        planned = first_round(domain)

        async def srv_then_second_round() -> Collected:
            """The SRV answer decides the second round: its targets' addresses, or (no records)
            whether the domain exists and whether the record sits at a near-miss name. The
            informational answers are collected last, so a slow one delays nothing."""
            srv = await query(*planned["srv"], deadline)
            more: dict[str, Any] = {}
            if needs_targets(srv):
                targets = srv_targets(srv)
                found = await asyncio.gather(
                    *(query(t, rt, deadline) for t in targets for rt in ("A", "AAAA"))
                )
                more["target_addresses"] = {
                    t: tuple(found[2 * i : 2 * i + 2]) for i, t in enumerate(targets)
                }
            else:
                existence, *misplaced = await asyncio.gather(
                    *(query(n, t, deadline) for n, t in when_srv_missing(domain))
                )
                more.update(existence=existence, misplaced=tuple(misplaced))
            more.update(zip(roles, await informational, strict=True))
            probe = wildcard_probe(domain, srv, more["lyncdiscover"])
            if probe is not None:
                more["wildcard"] = await query(*probe, deadline)
            return Collected(input_text or domain, domain, srv, **more)

        roles = [role for role in planned if role != "srv"]
        informational = asyncio.gather(*(query(*planned[role], deadline) for role in roles))
        collected = await srv_then_second_round()
        result = judge(collected, self.texts)
        ttl = min(
            (answer_ttl(a, negative_ttl=self.negative_ttl) for a in _answers(collected)),
            default=0.0,
        )
        if ttl > 0:
            self.results[domain] = (result, ttl)
        return result

    async def close(self) -> None:
        """Nothing to release (sockets are per query); kept so callers can treat checkers alike."""


def _expires(_domain: str, entry: tuple[CheckResult, float], now: float) -> float:
    return now + entry[1]


def _answers(collected: Collected) -> Iterator[Answer]:
    """Every answer a judged result rests on."""
    yield from (collected.srv, collected.signin_srv, collected.sip, collected.lyncdiscover)
    for optional in (collected.existence, collected.mx, collected.wildcard):
        if optional is not None:
            yield optional
    yield from collected.misplaced
    for addresses in collected.target_addresses.values():
        yield from addresses
