"""Demo mode: the sample zones answered on loopback give real findings through the real checker."""

from __future__ import annotations

from bot.demo import DemoDnsServer
from federation.checker import FederationChecker


async def test_demo_zones_give_real_findings_offline() -> None:
    server = await DemoDnsServer.start()
    checker = FederationChecker([server.address], timeout=2.0)
    try:
        codes = {}
        for domain in ("contoso.example", "fabrikam.example", "tailspin.example"):
            report = await checker.check(domain)
            codes[domain] = (report.status, {f.code for r in report.results for f in r.findings})
    finally:
        await checker.close()
        server.stop()
    assert codes["contoso.example"][0] == "ok", codes
    assert "federation_srv_missing" in codes["fabrikam.example"][1], codes
    assert "federation_srv_wrong_port" in codes["tailspin.example"][1], codes


async def test_garbage_on_the_demo_port_gets_no_answer() -> None:
    from bot.demo import answer, load_zones

    assert answer(load_zones(), b"\x00\x01garbage") is None
