"""Every message key the dialog, the service and the renderer use exists in messages.yaml with
the placeholders they fill in (a typo would otherwise surface as a crash mid-conversation)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from knowledge.loader import load_knowledge

ROOT = Path(__file__).parents[1]
SOURCES = [*(ROOT / "dialogs").glob("*.py"), ROOT / "bot/service.py"]
KB = load_knowledge("")
LITERAL = re.compile(r"""kb\.message\(\s*"([a-z_.]+)"((?:\s*,\s*\w+=[^,)]+)*)""")
STATUSES = ("ok", "problem", "dns_error")
# Keys built at run time, with every value they can take.
DYNAMIC = {
    "question": (
        "symptom",
        "contact_type",
        "scope",
        "fixed",
        "home_domain",
        "external_domain",
        "contact_address",
    ),
    "check.meaning": STATUSES,
    "check.meaning.contact_format": ("ok", "problem"),
    "check.title": ("own_domain", "external_domain", "contact_format"),
    "fedcheck.summary": STATUSES,
    "render.status": STATUSES,
    "escalation.summary": (
        "symptom",
        "contact_type",
        "scope",
        "error",
        "addresses",
        "domains",
        "tried",
    ),
}
RENDER = (
    "cause",
    "steps",
    "teams_today",
    "notes",
    "links",
    "answer",
    "choose",
    "cloud",
    "records",
    "pair",
    "likely_causes",
    "summary",
    "contact",
    "ticket",
)


def _literal_uses() -> list[tuple[str, set[str]]]:
    uses = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8").replace("self.knowledge.message(", "kb.message(")
        for key, args in LITERAL.findall(text):
            uses.append((key, set(re.findall(r"(\w+)=", args))))
    return uses


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(("key", "filled"), _literal_uses())
def test_literal_keys_exist_with_their_placeholders(key: str, filled: set[str]) -> None:
    assert key in KB.messages
    assert _placeholders(KB.messages[key]) <= filled


def test_dynamic_and_render_keys_exist() -> None:
    keys = [f"{family}.{value}" for family, values in DYNAMIC.items() for value in values]
    keys += [f"render.{name}" for name in RENDER]
    assert [k for k in keys if k not in KB.messages] == []


def test_synonyms_name_only_real_options() -> None:
    ids = {
        "symptom": {o.id for o in KB.symptoms},
        "contact_type": {o.id for o in KB.contact_types},
        "scope": {o.id for o in KB.scopes},
        "fixed": {"yes", "no"},
        "home_domain": {"skip"},
        "external_domain": {"skip"},
        "contact_address": {"skip"},
        "tenant_config": {"skip"},
        "command": {"help", "restart", "cancel"},
    }
    for key in KB.messages:
        if key.startswith("synonyms."):
            _, question, value = key.split(".")
            assert value in ids[question], key
    phrase_ids = {**ids, "fact": {"consumer_skype"}, "smalltalk": {"greeting", "thanks"}}
    for key in KB.messages:
        if key.startswith("phrases."):
            _, question, value = key.split(".")
            assert value in phrase_ids[question], key
