"""The conversation's memory between turns: a frozen, JSON-safe value with a schema version.

``DialogState.from_dict`` never raises: stored data that is unknown, from another schema version
or garbled gives a fresh state, so a bad row can never break a conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

from federation.model import (
    CheckReport,
    CheckResult,
    Cloud,
    Finding,
    PairVerdict,
    Record,
    Severity,
    Status,
)

SCHEMA_VERSION = 1

Phase = Literal["new", "active", "done"]
Awaiting = Literal["check", "home"]
QuestionId = Literal[
    "symptom",
    "contact_type",
    "scope",
    "fixed",
    "home_domain",
    "external_domain",
    "contact_address",
    "tenant_config",
]
QUESTION_IDS: frozenset[str] = frozenset(get_args(QuestionId))
_RELATIONS = ("same_cloud", "cross_cloud", "server_partner", "unknown")


@dataclass(frozen=True)
class CheckRun:
    """A live DNS check already run in this conversation (reused instead of re-querying)."""

    domains: tuple[str, ...]
    report: CheckReport


@dataclass(frozen=True)
class DialogState:
    """Everything the dialog knows about one conversation.

    ``queue`` is ``None`` until the table cell is settled; then the causes still to show, in order.
    ``revision`` counts questions asked and survives restarts, so a button from any earlier card
    is recognised as stale. ``checking`` names the domains of the DNS check under way; ``facts``
    holds what the user said that no question asks (e.g. ``consumer_skype``); ``config`` the
    findings of a pasted tenant configuration (``None``: none given), judged against
    ``config_partner`` and ``config_contact``; ``config_text`` is the pasted configuration itself
    (a fact kept so that it is judged again when the partner or the contact type is learned later;
    ``None`` when it was too long to keep).
    """

    phase: Phase = "new"
    revision: int = 0
    pending: QuestionId | None = None
    awaiting: Awaiting | None = None
    symptom: str | None = None
    contact_type: str | None = None
    scope: str | None = None
    signature: str | None = None
    addresses: tuple[str, ...] = ()
    external_domain: str | None = None
    home_domain: str | None = None
    home_looked_up: bool = False
    queue: tuple[str, ...] | None = None
    tried: tuple[str, ...] = ()
    cell_check: str | None = None
    skipped: tuple[str, ...] = ()
    checks: tuple[CheckRun, ...] = field(default=())
    checking: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    config: tuple[Finding, ...] | None = None
    config_text: str | None = None
    config_partner: str | None = None
    config_contact: str | None = None
    updated_at: float = 0.0

    def fresh(self) -> DialogState:
        """A new conversation that keeps the revision counter (old buttons stay stale)."""
        return DialogState(revision=self.revision, updated_at=self.updated_at)

    def find_check(self, domains: tuple[str, ...]) -> CheckReport | None:
        return next((c.report for c in self.checks if c.domains == domains), None)

    def with_check(self, domains: tuple[str, ...], report: CheckReport) -> DialogState:
        others = tuple(c for c in self.checks if c.domains != domains)
        return replace(self, checks=(*others, CheckRun(domains, report)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "phase": self.phase,
            "revision": self.revision,
            "pending": self.pending,
            "awaiting": self.awaiting,
            "symptom": self.symptom,
            "contact_type": self.contact_type,
            "scope": self.scope,
            "signature": self.signature,
            "addresses": list(self.addresses),
            "external_domain": self.external_domain,
            "home_domain": self.home_domain,
            "home_looked_up": self.home_looked_up,
            "queue": None if self.queue is None else list(self.queue),
            "tried": list(self.tried),
            "cell_check": self.cell_check,
            "skipped": list(self.skipped),
            "checks": [
                {"domains": list(c.domains), "report": report_to_dict(c.report)}
                for c in self.checks
            ],
            "checking": list(self.checking),
            "facts": list(self.facts),
            "config": None if self.config is None else _findings_to_list(self.config),
            "config_text": self.config_text,
            "config_partner": self.config_partner,
            "config_contact": self.config_contact,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: object) -> DialogState:
        """The stored state, or a fresh one when the data is not a valid state of this schema."""
        try:
            return _state_from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return cls()


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError(value)
    return tuple(_str(v) for v in value)


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    return float(value)


def _choice(value: object, allowed: frozenset[str] | tuple[str, ...]) -> str:
    text = _str(value)
    if text not in allowed:
        raise ValueError(text)
    return text


def _state_from_dict(data: object) -> DialogState:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise ValueError("not a dialog state of this schema")
    revision = data["revision"]
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise ValueError(revision)
    pending = data["pending"]
    awaiting = data["awaiting"]
    queue = data["queue"]
    checks = data["checks"]
    if not isinstance(checks, list):
        raise TypeError(checks)
    return DialogState(
        phase=cast(Phase, _choice(data["phase"], get_args(Phase))),
        revision=revision,
        pending=None if pending is None else cast(QuestionId, _choice(pending, QUESTION_IDS)),
        awaiting=None
        if awaiting is None
        else cast(Awaiting, _choice(awaiting, get_args(Awaiting))),
        symptom=_opt_str(data["symptom"]),
        contact_type=_opt_str(data["contact_type"]),
        scope=_opt_str(data["scope"]),
        signature=_opt_str(data["signature"]),
        addresses=_strs(data["addresses"]),
        external_domain=_opt_str(data["external_domain"]),
        home_domain=_opt_str(data["home_domain"]),
        home_looked_up=bool(data["home_looked_up"]),
        queue=None if queue is None else _strs(queue),
        tried=_strs(data["tried"]),
        cell_check=_opt_str(data["cell_check"]),
        skipped=_strs(data["skipped"]),
        checks=tuple(CheckRun(_strs(c["domains"]), report_from_dict(c["report"])) for c in checks),
        checking=_strs(data.get("checking", [])),
        facts=_strs(data.get("facts", [])),
        config=None if data.get("config") is None else _findings_from_list(data["config"]),
        config_text=_opt_str(data.get("config_text")),
        config_partner=_opt_str(data.get("config_partner")),
        config_contact=_opt_str(data.get("config_contact")),
        updated_at=_num(data["updated_at"]),
    )


def _findings_to_list(findings: tuple[Finding, ...]) -> list[dict[str, str]]:
    return [{"code": f.code, "severity": f.severity, "message": f.message} for f in findings]


def _findings_from_list(data: object) -> tuple[Finding, ...]:
    if not isinstance(data, list):
        raise TypeError(data)
    return tuple(
        Finding(
            _str(f["code"]),
            cast(Severity, _choice(f["severity"], get_args(Severity))),
            _str(f["message"]),
        )
        for f in data
    )


def report_to_dict(report: CheckReport) -> dict[str, Any]:
    """A check report as JSON-safe data (the shape the CLI's ``--json`` uses)."""
    return {
        "results": [
            {
                "input": r.input,
                "domain": r.domain,
                "status": r.status,
                "cloud": r.cloud,
                "findings": _findings_to_list(r.findings),
                "records": [
                    {"name": x.name, "type": x.rtype, "value": x.value, "ttl": x.ttl}
                    for x in r.records
                ],
            }
            for r in report.results
        ],
        "pair": None
        if report.pair is None
        else {
            "relation": report.pair.relation,
            "status": report.pair.status,
            "findings": _findings_to_list(report.pair.findings),
        },
    }


def report_from_dict(data: object) -> CheckReport:
    """The inverse of :func:`report_to_dict`; raises ``TypeError``/``KeyError`` on bad data."""
    if not isinstance(data, dict) or not isinstance(data["results"], list):
        raise TypeError(data)
    results = []
    for r in data["results"]:
        records = r["records"]
        if not isinstance(records, list):
            raise TypeError(records)
        ttl_of = [x["ttl"] for x in records]
        results.append(
            CheckResult(
                input=_str(r["input"]),
                domain=_str(r["domain"]),
                status=cast(Status, _choice(r["status"], get_args(Status))),
                cloud=cast(Cloud, _choice(r["cloud"], get_args(Cloud))),
                findings=_findings_from_list(r["findings"]),
                records=tuple(
                    Record(
                        _str(x["name"]),
                        _str(x["type"]),
                        _str(x["value"]),
                        None if t is None else int(t),
                    )
                    for x, t in zip(records, ttl_of, strict=True)
                ),
            )
        )
    pair_data = data["pair"]
    pair = None
    if pair_data is not None:
        pair = PairVerdict(
            relation=cast(Any, _choice(pair_data["relation"], _RELATIONS)),
            status=cast(Status, _choice(pair_data["status"], get_args(Status))),
            findings=_findings_from_list(pair_data["findings"]),
        )
    return CheckReport(results=tuple(results), pair=pair)
