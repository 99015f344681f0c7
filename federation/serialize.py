"""Check results as JSON-ready dicts (the CLI's ``--json`` shape, reusable by adapters)."""

from __future__ import annotations

from typing import Any

from federation.model import CheckReport, CheckResult, Finding, InvalidDomain, PairVerdict


def finding_dict(finding: Finding) -> dict[str, str]:
    return {"code": finding.code, "severity": finding.severity, "message": finding.message}


def result_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "input": result.input,
        "domain": result.domain,
        "status": result.status,
        "cloud": result.cloud,
        "findings": [finding_dict(f) for f in result.findings],
        "records": [
            {"name": r.name, "type": r.rtype, "value": r.value, "ttl": r.ttl}
            for r in result.records
        ],
    }


def pair_dict(pair: PairVerdict | None) -> dict[str, Any] | None:
    if pair is None:
        return None
    return {
        "relation": pair.relation,
        "status": pair.status,
        "findings": [finding_dict(f) for f in pair.findings],
        "at_fault": list(pair.at_fault),
    }


def report_dict(report: CheckReport) -> dict[str, Any]:
    return {"results": [result_dict(r) for r in report.results], "pair": pair_dict(report.pair)}


def invalid_dict(invalid: InvalidDomain) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input": invalid.input,
        "reason": invalid.reason,
        "code": invalid.extra.get("code", ""),
    }
    if invalid.extra.get("domains"):  # several domains in one text: each, to check separately
        body["domains"] = invalid.extra["domains"].split(",")
    return body
