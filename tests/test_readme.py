"""The README's promises hold: its two commands are the ones CI and people run, and its
organisation-knowledge example loads and works."""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.loader import load_knowledge
from knowledge.triage import triage

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _first_shell_block() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.DOTALL)
    assert block is not None
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_run_and_test_commands_that_ci_uses() -> None:
    run, test = _first_shell_block()
    assert run == "bash scripts/run.sh" and (ROOT / "scripts/run.sh").exists()
    assert test == "bash scripts/test.sh"
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert re.search(r"^bash scripts/test\.sh\s*$", ci, re.MULTILINE)


def test_organisation_knowledge_example_loads_and_recognises_its_signature(tmp_path: Path) -> None:
    section = README.split("### Your organisation's knowledge", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    org = tmp_path / "org.yaml"
    org.write_text(example.group(1), encoding="utf-8")
    kb = load_knowledge(str(org))
    assert kb.escalation.ticket_url.startswith("https://servicedesk.contoso.com/")
    assert kb.home_domains == ("contoso.com", "contoso.co.uk")
    assert kb.messages["welcome"].startswith("Hi, I'm fedbot, Contoso's")
    assert kb.wording.cloud("gcc_high") == "US Government cloud (GCC High)"
    found = triage("ERROR 403 refused by contoso gateway for fabrikam.com", kb)
    assert found.signature is not None and found.signature.id == "contoso_gateway_refusal"
    # Shipped signatures still work beside the organisation's.
    assert triage("Presence Unknown", kb).recognized
