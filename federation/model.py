"""Results of a federation check, as plain data (never exceptions).

Stable codes here are part of the public contract: the CLI's JSON, the knowledge files and the
adapters refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "problem", "dns_error"]
Cloud = Literal[
    "commercial",
    "gcc_high",
    "dod",
    "china",
    "germany",
    "microsoft_account",
    "on_premises",
    "none",
    "unknown",
]
"""``none``: no federation record; ``unknown``: DNS did not answer, so no cloud is known."""
Severity = Literal["ok", "info", "warning", "error"]

FINDING_CODES: frozenset[str] = frozenset(
    {
        "federation_srv_ok",
        "federation_srv_missing",
        "federation_srv_wrong_port",
        "federation_srv_wrong_target",
        "federation_srv_target_unresolvable",
        "federation_srv_cname",
        "federation_srv_misplaced",
        "federation_srv_disabled",
        "federation_srv_conflicting",
        "domain_not_found",
        "dns_timeout",
        "dns_servfail",
        "legacy_records_absent",
        "lyncdiscover_on_premises",
        "cross_cloud",
        "federation_srv_target_alias",
        "tenant_cloud_mismatch",
        "dns_wildcard",
    }
)
# Findings from a pasted tenant configuration (federation/tenant_config.py), same shape as the DNS
# check's; part of FINDING_CODES.
TENANT_CONFIG_CODES: frozenset[str] = frozenset(
    {
        "tenant_config_ok",
        "tenant_config_unclear",
        "tenant_federation_off",
        "tenant_allow_list_empty",
        "tenant_partner_not_allowed",
        "tenant_allow_list_only",
        "tenant_allow_list_hidden",
        "tenant_partner_blocked",
        "tenant_user_blocked",
        "tenant_blocked_users",
        "tenant_consumer_off",
        "tenant_consumer_inbound_off",
        "tenant_trial_tenants_blocked",
        "tenant_public_users_deprecated",
        "policy_federation_off",
        "policy_partner_blocked",
        "policy_consumer_off",
        "policy_public_cloud_off",
    }
)
FINDING_CODES = FINDING_CODES | TENANT_CONFIG_CODES


@dataclass(frozen=True)
class Finding:
    """One judgement about a domain's records. ``code`` is stable; ``message`` is for people."""

    code: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class Record:
    """One DNS record seen (or looked for).

    ``value`` is presentation format, e.g. ``100 1 5061 x.``."""

    name: str
    rtype: str
    value: str
    ttl: int | None = None


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one domain."""

    input: str
    domain: str
    status: Status
    cloud: Cloud
    findings: tuple[Finding, ...] = ()
    records: tuple[Record, ...] = ()

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(f.code for f in self.findings)


@dataclass(frozen=True)
class PairVerdict:
    """How two organisations' federation setups fit together."""

    relation: Literal["same_cloud", "cross_cloud", "server_partner", "unknown"]
    status: Status
    findings: tuple[Finding, ...] = ()
    at_fault: tuple[str, ...] = ()
    """The domain(s) whose side needs fixing (or, for ``dns_error``, whose answers are missing)."""


@dataclass(frozen=True)
class CheckReport:
    """One or two domains checked, and for two the pair judged."""

    results: tuple[CheckResult, ...]
    pair: PairVerdict | None = None

    @property
    def status(self) -> Status:
        statuses = [r.status for r in self.results]
        if self.pair is not None:
            statuses.append(self.pair.status)
        if "problem" in statuses:
            return "problem"
        if "dns_error" in statuses:
            return "dns_error"
        return "ok"


@dataclass(frozen=True)
class InvalidDomain:
    """Input that is not a checkable domain, with a reason a person can act on."""

    input: str
    reason: str
    extra: dict[str, str] = field(default_factory=dict)
