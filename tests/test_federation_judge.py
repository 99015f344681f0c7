"""The pure parts: target classification, judgement of hand-made answers, the wording file."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml

from federation.clouds import classify_target
from federation.judge import Collected, judge, judge_pair
from federation.model import FINDING_CODES, CheckResult, Finding, Record
from federation.resolver import Answer
from federation.texts import PLACEHOLDERS, TextsError, load_texts, parse_texts


@pytest.mark.parametrize(
    ("target", "kind", "cloud"),
    [
        ("sipfed.online.lync.com.", "federation_edge", "commercial"),
        ("SIPFED.online.gov.skypeforbusiness.us", "federation_edge", "gcc_high"),
        ("sipfed.online.dod.skypeforbusiness.us", "federation_edge", "dod"),
        ("sipfed.online.partner.lync.cn", "federation_edge", "china"),
        ("sipfed.online.lync.de", "federation_edge", "germany"),
        ("federation.messenger.msn.com", "federation_edge", "microsoft_account"),
        ("sipdir.online.lync.com", "microsoft_other", "commercial"),
        ("webdir.online.gov.skypeforbusiness.us", "microsoft_other", "gcc_high"),
        ("sipfed.online.lync.com.contoso.com", "zone_appended", "commercial"),
        ("sip.contoso.com.contoso.com", "zone_appended", "on_premises"),
        ("sip.contoso.com", "on_premises", "on_premises"),
        ("edge.partner.net", "on_premises", "on_premises"),
        (".", "disabled", "none"),
    ],
)
def test_classify_target(target: str, kind: str, cloud: str) -> None:
    found = classify_target(target, "contoso.com")
    assert (found.kind, found.cloud) == (kind, cloud)


def _answer(name: str, rdtype: str, outcome: str, *records: Record) -> Answer:
    return Answer(name, rdtype, outcome, records)  # type: ignore[arg-type]


def _collected(srv: Answer, **kw: object) -> Collected:
    d = "contoso.com"
    base: dict[str, object] = {
        "input": d,
        "domain": d,
        "srv": srv,
        "existence": _answer(d, "SOA", "answer"),
        "signin_srv": _answer("_sip._tls." + d, "SRV", "nxdomain"),
        "sip": _answer("sip." + d, "A", "nxdomain"),
        "lyncdiscover": _answer("lyncdiscover." + d, "A", "nxdomain"),
    }
    base.update(kw)
    return Collected(**base)  # type: ignore[arg-type]


SRV_NAME = "_sipfederationtls._tcp.contoso.com"


def _srv(value: str) -> Record:
    return Record(SRV_NAME + ".", "SRV", value, 3600)


def test_on_premises_target_lookup_timeout_is_a_dns_error() -> None:
    target = "edge.contoso.com"
    collected = _collected(
        _answer(SRV_NAME, "SRV", "answer", _srv(f"100 1 5061 {target}.")),
        target_addresses={
            target: (_answer(target, "A", "timeout"), _answer(target, "AAAA", "nodata"))
        },
    )
    result = judge(collected, load_texts())
    assert result.status == "dns_error"
    assert "dns_timeout" in result.codes
    assert "federation_srv_target_unresolvable" not in result.codes


def test_same_answers_same_verdict() -> None:
    collected = _collected(
        _answer(SRV_NAME, "SRV", "answer", _srv("100 1 443 sipdir.online.lync.com."))
    )
    first, second = judge(collected, load_texts()), judge(collected, load_texts())
    assert first == second
    assert {"federation_srv_wrong_port", "federation_srv_wrong_target"} <= first.codes


def test_srv_mixed_with_disabled_target_is_conflicting() -> None:
    srv = _answer(
        SRV_NAME, "SRV", "answer", _srv("0 0 0 ."), _srv("100 1 5061 sipfed.online.lync.com.")
    )
    result = judge(_collected(srv), load_texts())
    assert "federation_srv_conflicting" in result.codes and result.status == "problem"


def test_srv_present_despite_soa_timeout_is_judged() -> None:
    srv = _answer(SRV_NAME, "SRV", "answer", _srv("100 1 5061 sipfed.online.lync.com."))
    result = judge(
        _collected(srv, existence=_answer("contoso.com", "SOA", "timeout")), load_texts()
    )
    assert result.status == "ok" and result.cloud == "commercial"


def test_shipped_texts_cover_every_code_and_format() -> None:
    texts = load_texts()
    assert set(texts.findings) == FINDING_CODES
    values = dict.fromkeys(PLACEHOLDERS, "x")
    for code, text in texts.findings.items():
        for variant in ["", *text.variants]:
            assert texts.finding(code, variant, **values).message


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["findings"].pop("dns_timeout"), "findings.dns_timeout: missing"),
        (
            lambda d: d["findings"].__setitem__("bogus", d["findings"]["dns_timeout"]),
            "findings.bogus: unknown finding code",
        ),
        (
            lambda d: d["findings"]["dns_timeout"].__setitem__("severity", "fatal"),
            "findings.dns_timeout.severity",
        ),
        (
            lambda d: d["findings"]["dns_timeout"].__setitem__("message", "bad {placeholder}"),
            "findings.dns_timeout.message: unknown placeholder",
        ),
        (
            lambda d: d["findings"]["dns_timeout"].__setitem__("extra", 1),
            "findings.dns_timeout.extra: unknown key",
        ),
        (lambda d: d["clouds"].pop("dod"), "clouds"),
        (lambda d: d.__setitem__("surprise", 1), "surprise: unknown key"),
    ],
)
def test_texts_validation_names_the_key(mutate: Callable[[Any], object], where: str) -> None:
    data = yaml.safe_load((resources.files("knowledge") / "data" / "findings.yaml").read_text())
    mutate(data)
    with pytest.raises(TextsError, match=r"findings\.yaml: " + re.escape(where)):
        parse_texts(data, "findings.yaml")


def _result(domain: str, cloud: str, status: str = "ok") -> CheckResult:
    srv_code = "federation_srv_ok" if status == "ok" else "federation_srv_missing"
    severity = "ok" if status == "ok" else "warning"
    return CheckResult(domain, domain, status, cloud, (Finding(srv_code, severity, "x"),))  # type: ignore[arg-type]


def test_the_side_at_fault_is_decided_by_structure_not_by_names_in_messages() -> None:
    texts = load_texts()
    # "a.com" occurs inside "beta.com": only beta.com (no federation record) is at fault.
    on_prem = _result("a.com", "on_premises")
    missing = _result("beta.com", "none", "problem")
    assert judge_pair(on_prem, missing, texts).at_fault == ("beta.com",)
    # and the other way round: a.com's record is missing, beta.com is fine on premises
    assert judge_pair(
        _result("a.com", "none", "problem"), _result("beta.com", "on_premises"), texts
    ).at_fault == ("a.com",)
    # a consumer (Microsoft account) domain has no federation record of its own and is not at
    # fault when the other side's message happens to contain its name
    consumer = CheckResult(
        "a.com",
        "a.com",
        "ok",
        "microsoft_account",
        (Finding("federation_srv_missing", "info", "x"),),
    )
    assert judge_pair(consumer, _result("beta.com", "none", "problem"), texts).at_fault == (
        "beta.com",
    )
    # two Microsoft 365 clouds with good records: nobody at fault, whatever the message names
    fine = judge_pair(_result("a.com", "commercial"), _result("beta.com", "gcc_high"), texts)
    assert fine.relation == "cross_cloud" and fine.at_fault == ()
