"""The whole check against the loopback DNS server: every finding code and every cloud."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import Settings
from federation.checker import FederationChecker
from federation.model import FINDING_CODES, TENANT_CONFIG_CODES, CheckReport, InvalidDomain
from tests.dnsserver import DnsTestServer

# domain -> (status, cloud, codes that must be present, codes that must be absent)
CASES: dict[str, tuple[str, str, set[str], set[str]]] = {
    "contoso.example": ("ok", "commercial", {"federation_srv_ok"}, {"legacy_records_absent"}),
    "teamsonly.example": (
        "ok",
        "commercial",
        {"federation_srv_ok", "legacy_records_absent"},
        set(),
    ),
    "gcchigh.example": ("ok", "gcc_high", {"federation_srv_ok"}, set()),
    "dod.example": ("ok", "dod", {"federation_srv_ok"}, set()),
    "china.example": ("ok", "china", {"federation_srv_ok"}, set()),
    "germany.example": ("ok", "germany", {"federation_srv_ok"}, set()),
    "msa.example": ("ok", "microsoft_account", {"federation_srv_ok"}, set()),
    "onprem.example": (
        "ok",
        "on_premises",
        {"federation_srv_ok", "lyncdiscover_on_premises"},
        set(),
    ),
    "loadbalanced.example": (
        "ok",
        "on_premises",
        {"federation_srv_ok"},
        {"federation_srv_conflicting"},
    ),
    "hybrid.example": (
        "problem",
        "commercial",
        {"federation_srv_ok", "lyncdiscover_on_premises"},
        set(),
    ),
    "nosrv.example": ("problem", "none", {"federation_srv_missing"}, {"domain_not_found"}),
    "nodata.example": ("problem", "none", {"federation_srv_missing"}, {"domain_not_found"}),
    "wrongport.example": (
        "problem",
        "commercial",
        {"federation_srv_wrong_port"},
        {"federation_srv_ok"},
    ),
    "sipdir.example": (
        "problem",
        "commercial",
        {"federation_srv_wrong_target"},
        {"federation_srv_ok"},
    ),
    "appended.example": ("problem", "commercial", {"federation_srv_wrong_target"}, set()),
    "unresolvable.example": (
        "problem",
        "on_premises",
        {"federation_srv_target_unresolvable"},
        {"federation_srv_ok"},
    ),
    "cname.example": ("problem", "none", {"federation_srv_cname"}, {"federation_srv_missing"}),
    "misplaced.example": (
        "problem",
        "none",
        {"federation_srv_misplaced"},
        {"federation_srv_missing"},
    ),
    "nounderscore.example": ("problem", "none", {"federation_srv_misplaced"}, set()),
    "disabled.example": ("problem", "none", {"federation_srv_disabled"}, {"federation_srv_ok"}),
    "conflicting.example": ("problem", "on_premises", {"federation_srv_conflicting"}, set()),
    "servfail.example": ("dns_error", "unknown", {"dns_servfail"}, {"federation_srv_missing"}),
    "timeout.example": ("dns_error", "unknown", {"dns_timeout"}, {"federation_srv_missing"}),
    "truncated.example": ("ok", "commercial", {"federation_srv_ok"}, set()),
    "notfound.example": ("problem", "none", {"domain_not_found"}, {"federation_srv_missing"}),
    # Issue 8 §4: DNS as resolvers see it.
    "alias.example": ("problem", "on_premises", {"federation_srv_target_alias"}, set()),
    "aliasedge.example": (
        "problem",
        "commercial",
        {"federation_srv_target_alias"},
        {"federation_srv_ok", "federation_srv_conflicting"},
    ),
    "chain.example": (
        "problem",
        "commercial",
        {"federation_srv_cname", "federation_srv_ok"},
        {"federation_srv_missing"},
    ),
    "stalefirst.example": (
        "problem",
        "on_premises",
        {"federation_srv_conflicting", "federation_srv_target_unresolvable"},
        {"federation_srv_ok"},
    ),
    "backup.example": (
        "problem",
        "on_premises",
        {"federation_srv_target_unresolvable"},
        {"federation_srv_conflicting"},
    ),
    "mxgcc.example": ("problem", "commercial", {"tenant_cloud_mismatch"}, {"federation_srv_ok"}),
    "mxnosrv.example": ("problem", "none", {"federation_srv_missing"}, set()),
    "wildcard.example": (
        "ok",
        "commercial",
        {"federation_srv_ok", "dns_wildcard"},
        {"lyncdiscover_on_premises"},
    ),
    "wildcname.example": (
        "problem",
        "none",
        {"federation_srv_missing"},
        {"federation_srv_cname", "lyncdiscover_on_premises"},
    ),
    "refused.example": ("dns_error", "unknown", {"dns_servfail"}, {"federation_srv_missing"}),
    "bogus.example": ("dns_error", "unknown", {"dns_servfail"}, {"federation_srv_missing"}),
}


@pytest.fixture
def checker(dns_server: DnsTestServer) -> FederationChecker:
    return FederationChecker([dns_server.address], timeout=1.0)


@pytest.mark.parametrize("domain", sorted(CASES))
async def test_fixture_domain_is_judged(checker: FederationChecker, domain: str) -> None:
    status, cloud, present, absent = CASES[domain]
    report = await checker.check(domain)
    result = report.results[0]
    assert (result.status, result.cloud) == (status, cloud), result.findings
    assert present <= result.codes, result.findings
    assert not (absent & result.codes), result.findings
    assert report.status == status
    for finding in result.findings:
        assert finding.code in FINDING_CODES
        assert finding.message and "{" not in finding.message


def test_every_code_and_cloud_is_covered() -> None:
    codes = set().union(*(present for _, _, present, _ in CASES.values()))
    clouds = {cloud for _, cloud, _, _ in CASES.values()}
    # cross_cloud is judged on pairs (below); tenant_* / policy_* on pasted configurations
    assert FINDING_CODES - TENANT_CONFIG_CODES - codes == {"cross_cloud"}
    assert clouds == {
        "commercial",
        "gcc_high",
        "dod",
        "china",
        "germany",
        "microsoft_account",
        "on_premises",
        "none",
        "unknown",
    }


async def test_messages_name_what_to_do(checker: FederationChecker) -> None:
    (wrong_port,) = (await checker.check("wrongport.example")).results
    message = next(f.message for f in wrong_port.findings if f.code == "federation_srv_wrong_port")
    assert "443" in message and "5061" in message
    (appended,) = (await checker.check("appended.example")).results
    message = next(f.message for f in appended.findings if f.code == "federation_srv_wrong_target")
    assert "sipfed.online.lync.com.appended.example" in message
    assert "appended the zone" in message
    (missing,) = (await checker.check("nosrv.example")).results
    message = missing.findings[0].message
    assert "recommended otherwise" in message and "sipfed.online.lync.com" in message
    assert "another type" not in message
    # The name exists with a TXT only: say the record was made as the wrong type (or a wildcard).
    (other_type,) = (await checker.check("nodata.example")).results
    message = other_type.findings[0].message
    assert other_type.findings[0].code == "federation_srv_missing"
    assert "holds no SRV record" in message and "TXT" in message and "wildcard" in message


async def test_records_are_reported(checker: FederationChecker) -> None:
    (result,) = (await checker.check("contoso.example")).results
    by_type = {(r.name, r.rtype): r for r in result.records}
    srv = by_type[("_sipfederationtls._tcp.contoso.example.", "SRV")]
    assert srv.value == "100 1 5061 sipfed.online.lync.com." and srv.ttl == 3600
    assert ("sipfed.online.lync.com.", "A") in by_type
    assert by_type[("lyncdiscover.contoso.example.", "CNAME")].value == "webdir.online.lync.com."


async def test_hybrid_marker_is_a_warning_only_next_to_microsoft_365(
    checker: FederationChecker,
) -> None:
    hybrid = (await checker.check("hybrid.example")).results[0]
    onprem = (await checker.check("onprem.example")).results[0]
    severity = {
        r.domain: next(f for f in r.findings if f.code == "lyncdiscover_on_premises").severity
        for r in (hybrid, onprem)
    }
    assert severity == {"hybrid.example": "warning", "onprem.example": "info"}


@pytest.mark.parametrize(
    ("first", "second", "relation", "status", "codes"),
    [
        ("contoso.example", "teamsonly.example", "same_cloud", "ok", set()),
        ("contoso.example", "gcchigh.example", "cross_cloud", "ok", {"cross_cloud"}),
        ("dod.example", "wrongport.example", "cross_cloud", "problem", {"cross_cloud"}),
        ("onprem.example", "contoso.example", "server_partner", "ok", set()),
        (
            "onprem.example",
            "nosrv.example",
            "server_partner",
            "problem",
            {"federation_srv_missing"},
        ),
        ("nosrv.example", "contoso.example", "unknown", "problem", {"federation_srv_missing"}),
        ("timeout.example", "contoso.example", "unknown", "dns_error", set()),
    ],
)
async def test_pairs(
    checker: FederationChecker, first: str, second: str, relation: str, status: str, codes: set[str]
) -> None:
    report = await checker.check(first, second)
    assert [r.domain for r in report.results] == [first, second]
    assert report.pair is not None
    assert (report.pair.relation, report.pair.status) == (relation, status), report.pair
    assert {f.code for f in report.pair.findings} == codes


@pytest.mark.parametrize(
    ("first", "second", "status", "at_fault"),
    [
        ("contoso.example", "teamsonly.example", "ok", ()),
        ("contoso.example", "wrongport.example", "problem", ("wrongport.example",)),
        ("nosrv.example", "contoso.example", "problem", ("nosrv.example",)),
        ("onprem.example", "nosrv.example", "problem", ("nosrv.example",)),
        ("dod.example", "wrongport.example", "problem", ("wrongport.example",)),
        ("contoso.example", "timeout.example", "dns_error", ("timeout.example",)),
    ],
)
async def test_pair_says_which_side_has_the_problem(
    checker: FederationChecker, first: str, second: str, status: str, at_fault: tuple[str, ...]
) -> None:
    report = await checker.check(first, second)
    assert report.pair is not None
    assert (report.status, report.pair.at_fault) == (status, at_fault)


async def test_dns_failure_is_never_a_cloud_verdict(checker: FederationChecker) -> None:
    report = await checker.check("contoso.example", "timeout.example")
    failed = report.results[1]
    assert (failed.status, failed.cloud) == ("dns_error", "unknown")
    assert report.pair is not None and report.pair.relation == "unknown"
    assert not any(f.code == "cross_cloud" for f in report.pair.findings)


async def test_one_argument_naming_two_domains_checks_both(checker: FederationChecker) -> None:
    report = await checker.check_inputs("joe@contoso.example, ann@wrongport.example")
    assert isinstance(report, CheckReport)
    assert [r.domain for r in report.results] == ["contoso.example", "wrongport.example"]
    assert report.pair is not None and report.pair.at_fault == ("wrongport.example",)
    refused = await checker.check_inputs("a@contoso.example b@gcchigh.example", "dod.example")
    assert isinstance(refused, list) and refused[0].extra["code"] == "several_domains"


async def test_cross_cloud_message_says_text_only_and_both_sides(
    checker: FederationChecker,
) -> None:
    report = await checker.check("china.example", "contoso.example")
    assert report.pair is not None
    (finding,) = report.pair.findings
    assert "text-only" in finding.message and "both sides" in finding.message


async def test_check_inputs_parses_and_refuses(checker: FederationChecker) -> None:
    report = await checker.check_inputs("<sip:Joe@CONTOSO.example>", "https://gcchigh.example/x")
    assert isinstance(report, CheckReport)
    assert [(r.input, r.domain) for r in report.results] == [
        ("<sip:Joe@CONTOSO.example>", "contoso.example"),
        ("https://gcchigh.example/x", "gcchigh.example"),
    ]
    refused = await checker.check_inputs("contoso.example", "192.0.2.1")
    assert isinstance(refused, list) and isinstance(refused[0], InvalidDomain)
    assert refused[0].extra["code"] == "ip_address"


async def test_from_settings_uses_configured_servers(dns_server: DnsTestServer) -> None:
    settings = Settings.from_env(
        {"FEDBOT_DNS_SERVERS": dns_server.address, "FEDBOT_DNS_TIMEOUT": "1.5"}
    )
    checker = FederationChecker(settings.dns_servers, settings.dns_timeout)
    assert [str(s) for s in checker.servers] == [dns_server.address]
    assert checker.timeout == 1.5
    (result,) = (await checker.check("contoso.example")).results
    assert result.status == "ok"
    assert dns_server.queries, "the configured server was asked"


async def test_idn_domain_is_asked_in_punycode(
    make_dns_server: Callable[..., DnsTestServer],
) -> None:
    zone = """$ORIGIN xn--bcher-kva.example.
@ 3600 IN SOA ns1.example. hostmaster.example. 1 3600 600 86400 300
_sipfederationtls._tcp 3600 IN SRV 100 1 5061 sipfed.online.lync.com.
"""
    server = make_dns_server(zone_text=zone)
    checker = FederationChecker([server.address], timeout=1.0)
    report = await checker.check_inputs("joe@Bücher.example")
    assert isinstance(report, CheckReport)
    assert report.results[0].domain == "xn--bcher-kva.example"
    assert report.results[0].status == "ok"
    assert "_sipfederationtls._tcp.xn--bcher-kva.example" in server.names("SRV")


def _message(report: CheckReport, code: str) -> tuple[str, str]:
    finding = next(f for f in report.results[0].findings if f.code == code)
    return finding.severity, finding.message


async def test_dns_as_resolvers_see_it(
    checker: FederationChecker, dns_server: DnsTestServer
) -> None:
    severity, text = _message(await checker.check("alias.example"), "federation_srv_target_alias")
    assert severity == "warning" and "edge.alias.example" in text and "RFC 2782" in text
    severity, text = _message(
        await checker.check("aliasedge.example"), "federation_srv_target_alias"
    )
    assert severity == "error" and "certificate" in text and "sipfed.online.lync.com" in text
    severity, text = _message(await checker.check("chain.example"), "federation_srv_cname")
    assert severity == "warning" and "provider.chain.example" in text
    severity, text = _message(
        await checker.check("stalefirst.example"), "federation_srv_conflicting"
    )
    assert "oldedge.stalefirst.example" in text and "first" in text
    severity, text = _message(
        await checker.check("backup.example"), "federation_srv_target_unresolvable"
    )
    assert severity == "warning" and "edge2.backup.example" in text
    severity, text = _message(await checker.check("mxgcc.example"), "tenant_cloud_mismatch")
    assert "GCC High" in text and "sipfed.online.gov.skypeforbusiness.us" in text
    _, text = _message(await checker.check("mxnosrv.example"), "federation_srv_missing")
    assert "sipfed.online.partner.lync.cn" in text
    _, text = _message(await checker.check("wildcname.example"), "federation_srv_missing")
    assert "wildcard" in text and "explicitly" in text
    _, text = _message(await checker.check("refused.example"), "dns_servfail")
    assert "refuses" in text and "--dns-server" in text
    _, text = _message(await checker.check("bogus.example"), "dns_servfail")
    assert "DNSSEC" in text and "signature expired" in text and "not a missing record" in text
    dns_server.clear()
    await checker.check("truncated.example")
    transports = {q.transport for q in dns_server.queries if q.name.startswith("_sipfed")}
    assert transports == {"udp", "tcp"}


async def test_fedcheck_card_summary_names_the_side_to_fix(checker: FederationChecker) -> None:
    from dialogs.cards import check_card
    from knowledge.loader import load_knowledge

    card = check_card(load_knowledge(), await checker.check("contoso.example", "nosrv.example"))
    assert "nosrv.example" in card.summary and "contoso.example" not in card.summary
    assert "contoso.example" in card.title
