"""``fedbot check`` end to end against the loopback DNS server: exit codes, JSON, --file, CSV."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.dnsserver import DnsTestServer


def run(
    capsys: pytest.CaptureFixture[str], server: DnsTestServer, *args: str
) -> tuple[int, str, str]:
    code = main(["check", *args, "--dns-server", server.address, "--timeout", "1"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("inputs", "code"),
    [
        (["contoso.example"], 0),
        (["joe@contoso.example", "gcchigh.example"], 0),
        (["wrongport.example"], 1),
        (["contoso.example", "nosrv.example"], 1),
        (["192.0.2.1"], 2),
        (["contoso.example", "not a domain"], 2),
        (["servfail.example"], 3),
        (["timeout.example"], 3),
    ],
)
def test_exit_codes(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, inputs: list[str], code: int
) -> None:
    got, out, err = run(capsys, dns_server, *inputs)
    assert got == code, (out, err)
    if code == 2:
        assert not dns_server.queries, "nothing is asked for invalid input"
        assert "fedbot check:" in err


def test_readable_report(capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer) -> None:
    code, out, _ = run(capsys, dns_server, "sip:joe@wrongport.example", "contoso.example")
    assert code == 1
    assert "wrongport.example — PROBLEM" in out
    assert "federation_srv_wrong_port" in out and "5061" in out
    assert "100 1 443 sipfed.online.lync.com." in out
    assert "pair: same_cloud" in out
    assert "to fix: wrongport.example" in out


def test_pasted_pair_in_one_argument(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer
) -> None:
    code, out, _ = run(capsys, dns_server, "joe@contoso.example; ann@timeout.example", "--json")
    assert code == 3
    body = json.loads(out)
    assert [r["domain"] for r in body["results"]] == ["contoso.example", "timeout.example"]
    assert body["results"][1]["cloud"] == "unknown"
    assert body["pair"]["at_fault"] == ["timeout.example"]
    code, _, err = run(capsys, dns_server, "*.contoso.example")
    assert code == 2 and "wildcard" in err


def test_json_shape(capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer) -> None:
    code, out, _ = run(capsys, dns_server, "contoso.example", "gcchigh.example", "--json")
    assert code == 0
    body = json.loads(out)
    assert set(body) == {"results", "pair"}
    first = body["results"][0]
    assert set(first) == {"input", "domain", "status", "cloud", "findings", "records"}
    assert first["cloud"] == "commercial" and first["status"] == "ok"
    assert set(first["findings"][0]) == {"code", "severity", "message"}
    assert set(first["records"][0]) == {"name", "type", "value", "ttl"}
    assert body["pair"]["relation"] == "cross_cloud"
    assert body["pair"]["findings"][0]["code"] == "cross_cloud"


def test_json_single_has_null_pair(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer
) -> None:
    code, out, _ = run(capsys, dns_server, "nosrv.example", "--json")
    body = json.loads(out)
    assert code == 1 and body["pair"] is None
    assert body["results"][0]["findings"][0]["code"] == "federation_srv_missing"


def test_json_invalid_input(capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer) -> None:
    code, out, _ = run(capsys, dns_server, "contoso", "--json")
    assert code == 2
    assert json.loads(out)["invalid"][0]["code"] == "single_label"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["a.example", "b.example", "c.example"],
        ["--csv", "a.example"],
        ["--concurrency", "0", "--file", "x"],
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, args: list[str]
) -> None:
    code, _, err = run(capsys, dns_server, *args)
    assert code == 2 and "fedbot check:" in err


def test_bad_dns_server_option(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "contoso.example", "--dns-server", "dns.example"])
    assert code == 2
    assert "give an IP address" in capsys.readouterr().err


LIST = """# partners
contoso.example
gcchigh.example   # GCC High partner

joe@wrongport.example
192.0.2.7
servfail.example
"""


def _write_list(tmp_path: Path) -> Path:
    path = tmp_path / "allow.txt"
    path.write_text(LIST)
    return path


def test_file_summary(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    code, out, err = run(capsys, dns_server, "--file", str(_write_list(tmp_path)))
    assert code == 1  # a problem outranks the DNS failure and the invalid line
    assert (
        "Checked 5 lines: 2 ok, 1 problem, 1 invalid, 1 dns_error" in out
        or "Checked 5 lines" in out
    )
    assert "federation_srv_wrong_port" in out
    rows = out.split("Not ok:")[1]
    assert "joe@wrongport.example" in rows and "192.0.2.7" in rows and "servfail.example" in rows
    assert "contoso.example" not in rows
    assert err == "", "no progress bar when stderr is not a terminal"


def test_file_json(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, dns_server, "--file", str(_write_list(tmp_path)), "--json")
    body = json.loads(out)
    assert code == 1
    assert [(r["line"], r["domain"], r["status"]) for r in body["results"]] == [
        (2, "contoso.example", "ok"),
        (3, "gcchigh.example", "ok"),
        (5, "wrongport.example", "problem"),
        (7, "servfail.example", "dns_error"),
    ]
    assert body["invalid"][0]["line"] == 6 and body["invalid"][0]["code"] == "ip_address"
    assert body["summary"]["status"] == {"ok": 2, "problem": 1, "invalid": 1, "dns_error": 1}


def test_file_csv(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, dns_server, "--file", str(_write_list(tmp_path)), "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    assert [r["status"] for r in rows] == ["ok", "ok", "problem", "invalid", "dns_error"]
    assert rows[0]["federation_srv"] == "100 1 5061 sipfed.online.lync.com."
    assert rows[2]["findings"].startswith("federation_srv_wrong_port")
    assert "IP address" in rows[3]["detail"]


def test_file_exit_codes_without_problems(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "list.txt"
    path.write_text("contoso.example\nservfail.example\nnot_a_domain\n")
    assert run(capsys, dns_server, "--file", str(path))[0] == 3
    path.write_text("contoso.example\n192.0.2.1\n")
    assert run(capsys, dns_server, "--file", str(path))[0] == 2
    path.write_text("contoso.example\nchina.example\n")
    assert run(capsys, dns_server, "--file", str(path))[0] == 0


def test_file_missing_or_empty(
    capsys: pytest.CaptureFixture[str], dns_server: DnsTestServer, tmp_path: Path
) -> None:
    assert run(capsys, dns_server, "--file", str(tmp_path / "nope.txt"))[0] == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    assert run(capsys, dns_server, "--file", str(empty))[0] == 2


def test_file_many_lines_bounded_concurrency(
    capsys: pytest.CaptureFixture[str],
    make_dns_server,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    domains = [f"d{i}.example" for i in range(300)]
    zone = "".join(
        f"$ORIGIN {d}.\n@ 60 IN SOA ns. h. 1 1 1 1 60\n"
        f"_sipfederationtls._tcp 60 IN SRV 100 1 5061 sipfed.online.lync.com.\n"
        for d in domains
    )
    server = make_dns_server(zone_text=zone, delay_ms=5)
    path = tmp_path / "many.txt"
    path.write_text("\n".join(domains))
    code, out, _ = run(capsys, server, "--file", str(path), "--concurrency", "20", "--json")
    body = json.loads(out)
    assert code == 0 and len(body["results"]) == 300
    assert body["summary"]["findings"]["federation_srv_ok"] == 300


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_file_progress_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
    dns_server: DnsTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code = main(["check", "--file", str(_write_list(tmp_path)), "--dns-server", dns_server.address])
    assert code == 1
    assert "/5 [" in terminal.getvalue() and "domain" in terminal.getvalue()


def test_console_entry_point(dns_server: DnsTestServer) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "check",
            "contoso.example",
            "--json",
            "--dns-server",
            dns_server.address,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["status"] == "ok"


def test_file_with_a_dead_resolver_says_so_once(
    capsys: pytest.CaptureFixture[str],
    make_dns_server: Callable[..., DnsTestServer],
    tmp_path: Path,
) -> None:
    server = make_dns_server(mode="timeout")
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"d{i}.example\n" for i in range(30)))
    code, _, err = run(capsys, server, "--file", str(listing), "--concurrency", "2")
    assert code == 3
    assert err.count("does not answer at all") == 1
    assert len(server.names("SRV")) < 30


def test_report_speaks_the_organisations_wording(
    capsys: pytest.CaptureFixture[str],
    dns_server: DnsTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FEDBOT_KNOWLEDGE rewords the CLI report too: finding messages and cloud names."""
    org = tmp_path / "org.yaml"
    org.write_text(
        "clouds: {commercial: 'Microsoft 365 (Contoso tenant cloud)'}\n"
        "findings: {federation_srv_missing: {message: 'No {name} record: call the DNS team.'}}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FEDBOT_KNOWLEDGE", str(org))
    _, out, _ = run(capsys, dns_server, "contoso.example", "nosrv.example")
    assert "Microsoft 365 (Contoso tenant cloud)" in out
    assert "No _sipfederationtls._tcp.nosrv.example record: call the DNS team." in out
