"""``fedbot check --tenant-config FILE`` end to end: the configuration's findings next to the live
DNS check (loopback DNS server), in text, JSON and CSV, with the exit status of a found problem."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.dnsserver import DnsTestServer

CONFIGS = Path(__file__).parent / "tenant_config"
# contoso.example is blocked; everything else is allowed.
BLOCKING = """Identity                                    : Global
AllowedDomains                              : AllowAllKnownDomains
BlockedDomains                              : {Domain=contoso.example}
AllowFederatedUsers                         : True
AllowTeamsConsumer                          : False
"""


def run(
    capsys: pytest.CaptureFixture[str], server: DnsTestServer, *args: str
) -> tuple[int, str, str]:
    code = main(["check", *args, "--dns-server", server.address, "--timeout", "1"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def blocking(tmp_path: Path) -> Path:
    path = tmp_path / "federation.txt"
    path.write_text(BLOCKING, encoding="utf-8")
    return path


def test_blocked_partner_is_a_problem_despite_fine_dns(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, blocking: Path
) -> None:
    code, out, _ = run(capsys, dns_server, "contoso.example", "--tenant-config", str(blocking))
    assert code == 1
    assert "contoso.example — OK" in out  # the DNS is fine ...
    assert f"tenant configuration ({blocking}) against contoso.example — PROBLEM" in out
    assert "tenant_partner_blocked" in out  # ... the configuration is not
    assert "tenant_consumer_off" in out  # no --contact: both kinds judged


def test_contact_type_narrows_the_findings(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, blocking: Path
) -> None:
    args = ("gcchigh.example", "--tenant-config", str(blocking), "--contact", "external_org")
    code, out, _ = run(capsys, dns_server, *args)
    assert code == 0
    assert "— OK" in out and "tenant_config_ok" in out and "tenant_consumer_off" not in out


def test_json_carries_the_configuration(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, blocking: Path
) -> None:
    args = ("you.example", "contoso.example", "--tenant-config", str(blocking), "--json")
    code, out, _ = run(capsys, dns_server, *args)
    body = json.loads(out)
    assert code == 1
    assert set(body) == {"results", "pair", "tenant_config"}
    tenant = body["tenant_config"]
    assert tenant["partner"] == "contoso.example"  # of two domains, the second is the partner
    assert tenant["status"] == "problem" and tenant["contact"] is None
    assert tenant["findings"][0] == {
        "code": "tenant_partner_blocked",
        "severity": "error",
        "message": tenant["findings"][0]["message"],
    }


def test_problem_in_dns_and_fine_configuration(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "ps7.json"
    path.write_text(
        (CONFIGS / "federation_ps7.json").read_text().replace("contoso.com", "wrongport.example")
    )
    args = ("wrongport.example", "--tenant-config", str(path), "--contact", "external_org")
    code, out, _ = run(capsys, dns_server, *args)
    assert code == 1 and "federation_srv_wrong_port" in out and "tenant_config_ok" in out


def test_configuration_alone_needs_no_domain(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer
) -> None:
    code, out, _ = run(capsys, dns_server, "--tenant-config", str(CONFIGS / "federation_short.txt"))
    assert code == 1
    assert "tenant_federation_off" in out and not dns_server.queries


def test_unreadable_configuration_is_invalid_input(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "garbled.txt"
    path.write_text("Identity : Global\nAllowFederatedUsers : perhaps\n")
    code, out, err = run(capsys, dns_server, "contoso.example", "--tenant-config", str(path))
    assert code == 2 and out == ""
    assert "line 2" in err and "I couldn't read" in err
    assert not dns_server.queries, "nothing is looked up for an unreadable configuration"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["contoso.example", "--tenant-config", "/nonexistent/x.txt"], "cannot read"),
        (["contoso.example", "--contact", "public_im"], "--contact needs --tenant-config"),
        (["--file", "-", "--tenant-config", "-"], "standard input"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, args: list[str], message: str
) -> None:
    code, _, err = run(capsys, dns_server, *args)
    assert code == 2 and message in err


def test_utf16_file_from_windows_powershell(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "out.txt"
    path.write_bytes(BLOCKING.replace("\n", "\r\n").encode("utf-16"))  # with a byte-order mark
    code, out, _ = run(capsys, dns_server, "contoso.example", "--tenant-config", str(path))
    assert code == 1 and "tenant_partner_blocked" in out


def test_file_list_judged_line_by_line(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path, blocking: Path
) -> None:
    listing = tmp_path / "partners.txt"
    listing.write_text("contoso.example\ngcchigh.example\n192.0.2.1\n")
    base = ("--file", str(listing), "--tenant-config", str(blocking), "--contact", "external_org")
    code, out, _ = run(capsys, dns_server, *base)
    assert code == 1
    assert "1 lines blocked" in out and "tenant_partner_blocked" in out.split("blocked:")[1]
    code, out, _ = run(capsys, dns_server, *base, "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    assert [r["tenant_config"] for r in rows] == ["tenant_partner_blocked", "", ""]
    code, out, _ = run(capsys, dns_server, *base, "--json")
    results = json.loads(out)["results"]
    assert [r["tenant_config"]["status"] for r in results] == ["problem", "ok"]


def test_stdin_through_the_real_command(dns_server: DnsTestServer) -> None:
    """The installed entry point reading the configuration from a pipe."""
    command = [sys.executable, "-m", "bot", "check", "contoso.example", "--tenant-config", "-"]
    command += ["--dns-server", dns_server.address, "--timeout", "1", "--json"]
    done = subprocess.run(command, input=BLOCKING, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert (
        json.loads(done.stdout)["tenant_config"]["findings"][0]["code"] == "tenant_partner_blocked"
    )


# -- fedbot triage on a pasted configuration ------------------------------------------------------


def triage(capsys: pytest.CaptureFixture[str], text: str, *args: str) -> tuple[int, str]:
    code = main(["triage", *args, text])
    return code, capsys.readouterr().out


def test_triage_prints_the_configuration_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = triage(capsys, (CONFIGS / "federation_short.txt").read_text())
    assert code == 0
    assert "Not recognised" not in out
    assert "tenant_federation_off" in out and "tenant_consumer_off" in out


def test_triage_json_carries_the_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = triage(capsys, (CONFIGS / "policies_ps7.json").read_text(), "--json")
    body = json.loads(out)
    assert code == 0 and body["recognized"] is True  # a blocking setting is a federation paste
    assert body["tenant_config"]["status"] == "problem"
    assert body["tenant_config"]["findings"][0]["code"] == "policy_federation_off"


def test_triage_unreadable_configuration_names_the_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "Identity : Global\nAllowFederatedUsers : perhaps\nAllowTeamsConsumer : True\n"
    code, out = triage(capsys, text)
    assert code == 1 and "line 2" in out and "I couldn't read" in out


def test_triage_clean_configuration_is_judged_but_not_a_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (
        "Identity : Global\nAllowedDomains : AllowAllKnownDomains\nBlockedDomains : {}\n"
        "AllowFederatedUsers : True\nAllowTeamsConsumer : True\nAllowTeamsConsumerInbound : True\n"
    )
    code, out = triage(capsys, text, "--json")
    body = json.loads(out)
    assert code == 1 and body["recognized"] is False
    assert body["tenant_config"]["status"] == "ok"


def test_triage_blocking_configuration_is_recognised_by_triage_itself(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bot's auto-reply rests on triage() alone: a pasted listing with personal accounts
    blocked is recognised there too, not only by the CLI's judge."""
    text = "Identity : Global\nAllowFederatedUsers : True\nAllowTeamsConsumer : False\n"
    code, out = triage(capsys, text, "--json")
    body = json.loads(out)
    assert code == 0 and body["recognized"] is True
    assert body["signature"] == "tenant_config_listing_consumer_off"
    assert body["tenant_config"]["findings"][0]["code"] == "tenant_consumer_off"


def test_triage_ordinary_text_has_no_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = triage(capsys, "hello, AllowFederatedUsers is on I think", "--json")
    assert code == 1
    assert "tenant_config" not in json.loads(out)


# -- an error pasted with the configuration: the findings order the causes ------------------------

CONSUMER_OFF_WITH_ERROR = """None of our staff can chat with personal accounts any more, e.g.
kim@outlook.com and a personal Microsoft account on a gmail address; work accounts at other
companies are fine.

PS> Get-CsTenantFederationConfiguration | fl AllowTeamsConsumer*
AllowTeamsConsumer        : False
AllowTeamsConsumerInbound : False
"""

ALLOW_LIST_WITHOUT_PEER = """Only relecloud.com fails, we can't chat with them.
AllowedDomains      : {Domain=fabrikam.com, Domain=adatum.com}
BlockedDomains      : {}
AllowFederatedUsers : True
"""

CLEAN_WITH_ERROR = """We can't chat with anyone at fabrikam.com.
AllowedDomains      : AllowAllKnownDomains
BlockedDomains      : {}
AllowFederatedUsers : True
"""


def test_a_finding_in_the_pasted_configuration_leads_the_causes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out = triage(capsys, CONSUMER_OFF_WITH_ERROR, "--json")
    assert json.loads(out)["likely_causes"][0] == "public_im_disabled"


def test_the_configuration_is_judged_against_the_peer_not_the_listed_domains(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """fabrikam.com and adatum.com are named only as allowed: relecloud.com, the peer, is not."""
    _, out = triage(capsys, ALLOW_LIST_WITHOUT_PEER, "--json")
    assert json.loads(out)["likely_causes"][0] == "domain_permissions"


def test_a_clean_configuration_drops_the_causes_it_rules_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out = triage(capsys, CLEAN_WITH_ERROR, "--json")
    causes = json.loads(out)["likely_causes"]
    assert causes and "domain_permissions" not in causes
    assert "external_access_disabled" not in causes


BLANK_ALLOW_LIST_WITH_ERROR = """Every external org we try in Teams fails with "We can't set up the
conversation because your organizations are not set up to talk to each other".

Identity            : Global
AllowFederatedUsers : True
AllowedDomains      :
BlockedDomains      : {}
"""


def test_a_blank_allow_list_is_the_domain_lists(capsys: pytest.CaptureFixture[str]) -> None:
    """AllowFederatedUsers True with no domain allowed: allow-list mode that lacks every partner,
    so the domain permissions lead (not external access switched off)."""
    _, out = triage(capsys, BLANK_ALLOW_LIST_WITH_ERROR, "--json")
    causes = json.loads(out)["likely_causes"]
    assert causes[0] == "domain_permissions"
