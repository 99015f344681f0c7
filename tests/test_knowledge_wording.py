"""An organisation's wording reaches every renderer: text (CLI and fallbacks), Slack blocks and
Teams cards all take it from the knowledge they are given, never from a module-level cache."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from adapters.slack.blocks import to_messages
from adapters.teams import adaptive_cards as cards
from bot.config import Settings
from bot.service import FedBot
from dialogs.replies import CheckCard
from dialogs.text import render_text
from federation.model import CheckReport, CheckResult, Finding
from knowledge.loader import load_knowledge
from tests.dnsserver import start_dns_server

ORG = {
    "messages": {"render.records": "DNS-Einträge", "render.status.problem": "Fehler"},
    "clouds": {"gcc_high": "US-Regierungscloud"},
}
RESULT = CheckResult(
    input="fabrikam.com",
    domain="fabrikam.com",
    status="problem",
    cloud="gcc_high",
    findings=(Finding("federation_srv_wrong_port", "error", "Use port 5061."),),
)
CARD = CheckCard("Check: fabrikam.com", CheckReport((RESULT,)), "Problems found.")


def test_override_wording_reaches_text_slack_and_teams(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(ORG, allow_unicode=True), encoding="utf-8")
    org = load_knowledge(str(path)).wording
    rendered = {
        "text": render_text(CARD, org),
        "slack": json.dumps([m.blocks for m in to_messages([CARD], org)], ensure_ascii=False),
        "teams": json.dumps(
            cards.render(CARD, cards.CardLabels(org, org.clouds)), ensure_ascii=False
        ),
    }
    for front_end, text in rendered.items():
        assert "US-Regierungscloud" in text, front_end
        assert "Fehler" in text, front_end
    shipped = render_text(CARD, load_knowledge("").wording)
    assert "US-Regierungscloud" not in shipped and "Fehler" not in shipped
    assert "Microsoft 365 GCC High" in shipped


async def test_service_checks_with_the_organisations_finding_texts(tmp_path: Path) -> None:
    """The one loader feeds the DNS check too: a reworded finding reaches a real fedcheck."""
    org = tmp_path / "org.yaml"
    reworded = "No {name} record: open a ticket with the Contoso DNS team (expected {expected})."
    org.write_text(
        yaml.safe_dump({"findings": {"federation_srv_missing": {"message": reworded}}}),
        encoding="utf-8",
    )
    server = start_dns_server()
    try:
        settings = Settings(
            dns_servers=(server.address,),
            dns_timeout=2.0,
            state_url="memory://",
            knowledge_path=str(org),
        )
        bot = await FedBot.create(settings)
        try:
            (card,) = await bot.fedcheck("nosrv.example")
        finally:
            await bot.close()
    finally:
        server.stop()
    assert isinstance(card, CheckCard)
    messages = [f.message for f in card.report.results[0].findings]
    assert any(
        m.startswith("No _sipfederationtls._tcp.nosrv.example record: open a ticket")
        for m in messages
    ), messages


async def test_an_organisations_wording_of_refused_input_reaches_fedcheck(
    tmp_path: Path,
) -> None:
    """Refused input is reworded from its code in the organisation's wording in a fedcheck reply
    (the parser itself only knows the shipped wording; the dialog rewords the same way)."""
    org = tmp_path / "org.yaml"
    reworded = "{host} is an IP address: ask the Contoso service desk for the SIP domain."
    org.write_text(yaml.safe_dump({"invalid_domain": {"ip_address": reworded}}), encoding="utf-8")
    settings = Settings(
        dns_servers=("127.0.0.1:9",), state_url="memory://", knowledge_path=str(org)
    )
    bot = await FedBot.create(settings)
    try:
        (reply,) = await bot.fedcheck("10.1.2.3")
    finally:
        await bot.close()
    assert "ask the Contoso service desk" in render_text(reply, bot.knowledge.wording)
    assert "10.1.2.3 is an IP address" in render_text(reply, bot.knowledge.wording)
