"""Sans-I/O judgement: the answers collected for a domain become a :class:`CheckResult`, two
results become a :class:`PairVerdict`. No DNS, no clock — the same answers give the same verdict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from federation.clouds import (
    DEFAULT_TARGET,
    EXPECTED_TARGET,
    FEDERATION_PORT,
    FEDERATION_TARGETS,
    MICROSOFT_365_CLOUDS,
    SAME_MX_CLOUD,
    TargetClass,
    classify_target,
    microsoft_cloud,
    mx_cloud,
    normalise_host,
)
from federation.model import (
    CheckResult,
    Cloud,
    Finding,
    PairVerdict,
    Record,
    Severity,
    Status,
)
from federation.resolver import DEAD_PREFIX, NEGATIVE_OUTCOMES, Answer
from federation.texts import Texts

DNS_CODES = frozenset({"dns_timeout", "dns_servfail"})
FEDERATION_SRV = "_sipfederationtls._tcp."
SIGNIN_SRV = "_sip._tls."
# Near-miss names admins create when service and protocol are typed wrongly (facts §5.2).
MISPLACED_PREFIXES = ("_sipfederationtls.", "sipfederationtls._tcp.")
# A name nobody creates: if it has an address, the domain has a wildcard record, and answers for
# sip./lyncdiscover. may be the wildcard's rather than Skype for Business records.
WILDCARD_PROBE = "fedbot-wildcard-probe."


def federation_name(domain: str) -> str:
    return FEDERATION_SRV + domain


@dataclass(frozen=True)
class Collected:
    """Every answer gathered for one domain: the first round (:func:`first_round`), then either
    the SRV targets' addresses or, when the SRV has no records, :func:`when_srv_missing`'s
    answers (``existence`` is None when it was not needed)."""

    input: str
    domain: str
    srv: Answer
    signin_srv: Answer
    sip: Answer
    lyncdiscover: Answer
    existence: Answer | None = None
    misplaced: tuple[Answer, ...] = ()
    mx: Answer | None = None
    wildcard: Answer | None = None
    target_addresses: dict[str, tuple[Answer, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str
    record: Record


def first_round(domain: str) -> dict[str, tuple[str, str]]:
    """The independent queries asked at once, by role: (name, type). ``sip`` and
    ``lyncdiscover`` are asked as A so that both a CNAME and an address record show."""
    return {
        "srv": (federation_name(domain), "SRV"),
        "signin_srv": (SIGNIN_SRV + domain, "SRV"),
        "sip": ("sip." + domain, "A"),
        "lyncdiscover": ("lyncdiscover." + domain, "A"),
        "mx": (domain, "MX"),
    }


def wildcard_probe(domain: str, srv: Answer, lyncdiscover: Answer) -> tuple[str, str] | None:
    """Asked only when a wildcard could be what answered: the SRV name exists without an SRV
    record, or lyncdiscover points somewhere that is not Microsoft's."""
    target = _cname_at(lyncdiscover)
    foreign = lyncdiscover.outcome == "answer" and (target is None or not microsoft_cloud(target))
    if srv.outcome == "nodata" or foreign:
        return (WILDCARD_PROBE + domain, "A")
    return None


def _wildcard_exists(probe: Answer | None) -> bool:
    """The probe name, which nobody creates, exists: the domain has a wildcard record."""
    return probe is not None and probe.outcome in ("answer", "nodata")


def when_srv_missing(domain: str) -> tuple[tuple[str, str], ...]:
    """Asked only when the federation SRV has no records: does the domain exist (SOA; NXDOMAIN
    means it does not), and was the record created at a near-miss name?"""
    return ((domain, "SOA"), *((p + domain, "SRV") for p in MISPLACED_PREFIXES))


def needs_targets(srv: Answer) -> bool:
    """True when the SRV answer has records, so the next round looks up their targets."""
    return bool(srv_records(srv))


def srv_records(answer: Answer) -> tuple[SrvRecord, ...]:
    """SRV records in an answer, best first (priority ascending, weight descending)."""
    found = []
    for record in answer.of_type("SRV"):
        parts = record.value.split()
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
            continue
        target = normalise_host(parts[3])
        found.append(SrvRecord(int(parts[0]), int(parts[1]), int(parts[2]), target, record))
    return tuple(sorted(found, key=lambda s: (s.priority, -s.weight, s.target)))


def srv_targets(answer: Answer) -> tuple[str, ...]:
    """Targets whose addresses are worth looking up (not ``.``), in preference order, unique."""
    return tuple(dict.fromkeys(s.target for s in srv_records(answer) if s.target != "."))


def _cname_at(answer: Answer) -> str | None:
    owner = answer.name.rstrip(".")
    for record in answer.of_type("CNAME"):
        if record.name.lower().rstrip(".") == owner:
            return normalise_host(record.value)
    return None


def _chain_end(answer: Answer) -> str:
    """The name a CNAME chain in ``answer`` ends at (the queried name when there is none)."""
    name, seen = answer.name.lower().rstrip("."), set()
    links = {normalise_host(r.name): normalise_host(r.value) for r in answer.of_type("CNAME")}
    while name in links and name not in seen:
        seen.add(name)
        name = links[name]
    return name


def mx_clouds(answer: Answer | None) -> tuple[Cloud, ...]:
    """The Microsoft 365 clouds the MX records point to, best preference first, unique."""
    if answer is None or answer.outcome != "answer":
        return ()
    hosts = []
    for record in answer.of_type("MX"):
        parts = record.value.split()
        if len(parts) == 2 and parts[0].isdigit():
            hosts.append((int(parts[0]), parts[1]))
    clouds = (mx_cloud(h) for _, h in sorted(hosts))
    return tuple(dict.fromkeys(c for c in clouds if c is not None))


def _addresses(answer: Answer | None) -> frozenset[str]:
    if answer is None or answer.outcome != "answer":
        return frozenset()
    return frozenset(r.value for r in answer.of_type("A") + answer.of_type("AAAA"))


def _absent(answer: Answer) -> bool:
    return answer.outcome in NEGATIVE_OUTCOMES and not answer.records


def judge(collected: Collected, texts: Texts) -> CheckResult:
    """The verdict for one domain."""
    return _Judgement(collected, texts).result()


class _Judgement:
    def __init__(self, collected: Collected, texts: Texts) -> None:
        self.c = collected
        self.texts = texts
        self.findings: list[Finding] = []
        self.records: list[Record] = []
        self.cloud: Cloud = "none"

    def add(
        self, code: str, variant: str = "", severity: Severity | None = None, **values: str
    ) -> None:
        finding = self.texts.finding(code, variant, severity, **values)
        if finding not in self.findings:
            self.findings.append(finding)

    def keep(self, records: Iterable[Record]) -> None:
        for record in records:
            if record not in self.records:
                self.records.append(record)

    def result(self) -> CheckResult:
        c = self.c
        self.keep(c.srv.records)
        srv_ok = self.federation_srv()
        if srv_ok is not None:
            self.informational()
        return CheckResult(
            input=c.input,
            domain=c.domain,
            status=status_of(self.findings),
            cloud=self.cloud,
            findings=tuple(self.findings),
            records=tuple(self.records),
        )

    # -- the verdict: _sipfederationtls._tcp -------------------------------------------------

    def federation_srv(self) -> bool | None:
        """Judge the federation SRV; None when DNS failed or the domain does not exist."""
        c, name = self.c, federation_name(self.c.domain)
        if c.existence is not None and c.existence.outcome == "nxdomain" and not srv_records(c.srv):
            self.add("domain_not_found", domain=c.domain)
            return None
        if c.srv.failed:
            self.cloud = "unknown"  # a DNS failure is never read as "no record" or a cloud
            self.dns_failure(c.srv, name)
            return None
        cname = _cname_at(c.srv)
        records = srv_records(c.srv)
        if cname is not None:
            intended = classify_target(cname, c.domain)
            if records:
                # Resolvers follow the alias, so partners see the record: a warning, not "missing".
                end = _chain_end(c.srv)
                self.add("federation_srv_cname", "chain", "warning", name=name, target=end)
            elif c.wildcard is not None and _cname_at(c.wildcard) == cname:
                self.add("federation_srv_missing", "wildcard", name=name, expected=DEFAULT_TARGET)
                return False
            else:
                self.add(
                    "federation_srv_cname", name=name, target=cname, expected=intended.expected
                )
                return False
        if not records:
            return self.missing(name)
        return self.judge_records(name, records)

    def missing(self, name: str) -> bool:
        found = [a for a in self.c.misplaced if srv_records(a) or _cname_at(a)]
        if found:
            for answer in found:
                self.keep(answer.records)
            names = ", ".join(a.name for a in found)
            self.add("federation_srv_misplaced", name=name, names=names)
        else:
            # NODATA: the name exists with other records only (a TXT holding "100 1 5061 ...", or a
            # wildcard): the record was made as the wrong type, or the host can't make SRV records.
            variant = "other_type" if self.c.srv.outcome == "nodata" else ""
            if variant and _wildcard_exists(self.c.wildcard):
                variant = "wildcard"
            clouds = mx_clouds(self.c.mx)
            expected = EXPECTED_TARGET.get(clouds[0], DEFAULT_TARGET) if clouds else DEFAULT_TARGET
            self.add("federation_srv_missing", variant, name=name, expected=expected)
        return False

    def judge_records(self, name: str, records: tuple[SrvRecord, ...]) -> bool:
        c = self.c
        classes = {s.target: classify_target(s.target, c.domain) for s in records}
        live = [s for s in records if s.target != "."]
        if not live:
            self.add("federation_srv_disabled", name=name, domain=c.domain, expected=DEFAULT_TARGET)
            return False
        for srv in live:  # an own name aliased to Microsoft's edge belongs to that edge's cloud
            edge = self.aliased_edge(srv.target, classes[srv.target])
            if edge is not None:
                classes[srv.target] = TargetClass("on_premises", FEDERATION_TARGETS[edge], edge)
        best = classes[live[0].target]
        self.cloud = best.cloud
        before = len(self.findings)
        places = {classes[s.target].cloud for s in records}
        if len(places) > 1:
            targets = ", ".join(f"{s.target} (priority {s.priority})" for s in records)
            expected = next(
                (t.expected for t in classes.values() if t.kind != "on_premises"), best.expected
            )
            # Partners try the lowest priority number first: an old Edge there wins over Microsoft.
            preferred = live[0].priority < max(s.priority for s in live)
            variant = "stale_preferred" if preferred and best.kind == "on_premises" else ""
            self.add(
                "federation_srv_conflicting",
                variant,
                name=name,
                targets=targets,
                target=live[0].target,
                expected=expected,
            )
        top = live[0].priority
        for srv in live:
            self.judge_target(name, srv, classes[srv.target], backup=srv.priority > top)
        self.tenant_cloud(name, best)
        if len(self.findings) == before:
            variant = "on_premises" if best.kind == "on_premises" else ""
            self.add(
                "federation_srv_ok",
                variant,
                name=name,
                target=live[0].target,
                port=str(live[0].port),
                cloud=self.texts.cloud_label(best.cloud),
            )
            return True
        return False

    def aliased_edge(self, target: str, kind: TargetClass) -> str | None:
        """The Microsoft federation edge an own target name is a CNAME to, if it is one."""
        if kind.kind != "on_premises":
            return None
        for answer in self.c.target_addresses.get(target, ()):
            end = _chain_end(answer)
            if end in FEDERATION_TARGETS:
                return end
        return None

    def tenant_cloud(self, name: str, best: TargetClass) -> None:
        """The tenant's cloud as its MX shows it against the cloud federation points to."""
        if best.cloud not in MICROSOFT_365_CLOUDS:
            return
        clouds = mx_clouds(self.c.mx)
        mine = SAME_MX_CLOUD.get(best.cloud, best.cloud)
        if not clouds or mine in clouds:
            return
        self.add(
            "tenant_cloud_mismatch",
            name=name,
            domain=self.c.domain,
            cloud=self.texts.cloud_label(best.cloud),
            other_cloud=self.texts.cloud_label(clouds[0]),
            expected=EXPECTED_TARGET.get(clouds[0], DEFAULT_TARGET),
        )

    def judge_target(
        self, name: str, srv: SrvRecord, kind: TargetClass, *, backup: bool = False
    ) -> None:
        if kind.kind == "zone_appended":
            self.add(
                "federation_srv_wrong_target",
                "zone_appended",
                name=name,
                target=srv.target,
                expected=kind.expected,
            )
        elif kind.kind == "microsoft_other":
            self.add(
                "federation_srv_wrong_target", name=name, target=srv.target, expected=kind.expected
            )
        if srv.port != FEDERATION_PORT:
            self.add("federation_srv_wrong_port", name=name, target=srv.target, port=str(srv.port))
        addresses = self.c.target_addresses.get(srv.target, ())
        for answer in addresses:
            self.keep(answer.records)
        if kind.kind not in ("on_premises", "zone_appended") or not addresses:
            return
        alias = next((t for a in addresses if (t := _cname_at(a)) is not None), None)
        if alias is not None and kind.kind == "on_premises":
            # RFC 2782: the target must be a name with A/AAAA records, not an alias.
            if kind.expected in FEDERATION_TARGETS:  # an own name aliased to Microsoft's edge
                self.add(
                    "federation_srv_target_alias",
                    "microsoft",
                    "error",
                    name=name,
                    target=srv.target,
                    other=alias,
                    expected=kind.expected,
                )
            else:
                self.add("federation_srv_target_alias", name=name, target=srv.target, other=alias)
        if any(a.outcome == "answer" for a in addresses):
            return
        failed = [a for a in addresses if a.failed]
        if failed:
            self.dns_failure(failed[0], srv.target)
        elif kind.kind == "on_premises":
            severity: Severity | None = "warning" if backup else None
            self.add(
                "federation_srv_target_unresolvable",
                "backup" if backup else "",
                severity,
                name=name,
                target=srv.target,
            )

    def dns_failure(self, answer: Answer, name: str) -> None:
        code = "dns_timeout" if answer.outcome == "timeout" else "dns_servfail"
        variant = "refused" if answer.detail.startswith("REFUSED") else ""
        if "DNSSEC" in answer.detail.upper():
            variant = "dnssec"
        if answer.detail.startswith(DEAD_PREFIX):
            variant = "resolver_dead"
        self.add(code, variant, name=name, detail=answer.detail or answer.outcome)

    # -- information: legacy records and hybrid markers ---------------------------------------

    def informational(self) -> None:
        c = self.c
        lookups = (c.signin_srv, c.sip, c.lyncdiscover)
        for answer in lookups:
            self.keep(answer.records)
        absent = [a.name for a in lookups if _absent(a)]
        if absent:
            self.add("legacy_records_absent", names=", ".join(absent))
        self.lyncdiscover()
        for code, outcomes in (
            ("dns_timeout", ("timeout",)),
            ("dns_servfail", ("servfail", "error")),
        ):
            failed = [a for a in lookups if a.outcome in outcomes]
            if failed:
                self.add(
                    code,
                    "informational",
                    "info",
                    names=", ".join(a.name for a in failed),
                    detail=failed[0].detail or failed[0].outcome,
                )

    def lyncdiscover(self) -> None:
        answer = self.c.lyncdiscover
        if answer.failed or _absent(answer):
            return
        wildcard = _addresses(self.c.wildcard)
        same_alias = _cname_at(answer) is not None and _cname_at(answer) == (
            _cname_at(self.c.wildcard) if self.c.wildcard is not None else None
        )
        same_address = _cname_at(answer) is None and _addresses(answer) <= wildcard
        if wildcard and (same_alias or same_address):
            # The domain's wildcard answered, not a lyncdiscover record: nothing about Skype.
            self.add("dns_wildcard", domain=self.c.domain, names=answer.name)
            return
        target = _cname_at(answer)
        if target is None:
            addresses = answer.of_type("A") + answer.of_type("AAAA")
            if not addresses:
                return
            target = addresses[0].value
        elif microsoft_cloud(target) is not None:
            return
        if self.cloud in MICROSOFT_365_CLOUDS:
            self.add(
                "lyncdiscover_on_premises",
                "hybrid",
                "warning",
                domain=self.c.domain,
                target=target,
                cloud=self.texts.cloud_label(self.cloud),
            )
        else:
            self.add("lyncdiscover_on_premises", domain=self.c.domain, target=target)


def status_of(findings: Iterable[Finding]) -> Status:
    """problem if anything needs fixing; dns_error if the verdict could not be reached; else ok."""
    serious = [f for f in findings if f.severity in ("error", "warning")]
    if any(f.code not in DNS_CODES for f in serious):
        return "problem"
    if serious:
        return "dns_error"
    return "ok"


def _srv_ok(result: CheckResult) -> bool:
    return "federation_srv_ok" in result.codes


def judge_pair(first: CheckResult, second: CheckResult, texts: Texts) -> PairVerdict:
    """How two organisations' federation setups fit together (facts §2), and whose side needs
    fixing (``at_fault``)."""
    verdict = _pair(first, second, texts)
    if verdict.status == "dns_error":
        failed = tuple(r.domain for r in (first, second) if r.status == "dns_error")
        return replace(verdict, at_fault=failed)
    # A side is at fault when its own check found a problem, or when the pair's judgement flagged
    # that side (``_pair`` records which domains its findings are about, never by their wording).
    at_fault = tuple(
        r.domain for r in (first, second) if r.status == "problem" or r.domain in verdict.at_fault
    )
    return replace(verdict, at_fault=at_fault)


def _pair(first: CheckResult, second: CheckResult, texts: Texts) -> PairVerdict:
    if "dns_error" in (first.status, second.status):
        return PairVerdict("unknown", "dns_error")
    clouds = {first.cloud, second.cloud}
    findings: list[Finding] = []
    flagged: list[str] = []  # the domains the findings are about, in order
    if "on_premises" in clouds:
        for this, other in ((first, second), (second, first)):
            if not _srv_ok(this):
                flagged.append(this.domain)
                findings.append(
                    texts.finding(
                        "federation_srv_missing",
                        "server_partner",
                        domain=this.domain,
                        other=other.domain,
                        expected=EXPECTED_TARGET.get(this.cloud, DEFAULT_TARGET),
                    )
                )
        return PairVerdict(
            "server_partner", status_of(findings), tuple(findings), at_fault=tuple(flagged)
        )
    if clouds <= MICROSOFT_365_CLOUDS and len(clouds) == 2:
        flagged = [r.domain for r in (first, second) if not _srv_ok(r)]
        broken = ", ".join(flagged)
        finding = texts.finding(
            "cross_cloud",
            "srv_problem" if broken else "",
            "error" if broken else None,
            domain=first.domain,
            cloud=texts.cloud_label(first.cloud),
            other=second.domain,
            other_cloud=texts.cloud_label(second.cloud),
            targets=broken,
        )
        return PairVerdict("cross_cloud", status_of([finding]), (finding,), at_fault=tuple(flagged))
    if len(clouds) == 1 and clouds <= MICROSOFT_365_CLOUDS:
        return PairVerdict("same_cloud", "ok")
    for this in (first, second):
        if this.cloud == "none" and this.status != "dns_error":
            flagged.append(this.domain)
            findings.append(
                texts.finding(
                    "federation_srv_missing", "pair_unknown", "warning", domain=this.domain
                )
            )
    return PairVerdict("unknown", status_of(findings), tuple(findings), at_fault=tuple(flagged))
