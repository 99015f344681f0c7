"""A common company word mistyped inside the contact's domain leads with checking the address;
other languages' spellings of the same words do not (knowledge/data/article.yaml, domain_words)."""

from __future__ import annotations

import pytest

from knowledge.loader import load_knowledge
from knowledge.triage import triage

KB = load_knowledge()


@pytest.mark.parametrize(
    "domain",
    ["fjordway-shiping.no", "brightmoor-consluting.co.uk", "altavia-logsitics.com"],
)
def test_a_slipped_company_word_leads_with_the_address(domain: str) -> None:
    found = triage(f"My Teams chats to per.holm@{domain} are never delivered", KB)
    assert found.recognized
    assert found.likely_causes[0] == "check_address"


@pytest.mark.parametrize(
    "domain",
    ["ebro-servicos.com.br", "rhein-systeme.de", "nordlicht-technologie.de", "kranz-logistik.de"],
)
def test_another_languages_spelling_is_no_typo(domain: str) -> None:
    found = triage(f"My Teams chats to per.holm@{domain} are never delivered", KB)
    assert found.recognized
    assert found.likely_causes[0] != "check_address"
