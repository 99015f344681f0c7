"""A common company word mistyped inside the contact's domain leads with checking the address;
other languages' spellings of the same words do not (knowledge/data/article.yaml, domain_words)."""

from __future__ import annotations

import pytest

from knowledge.loader import load_knowledge
from knowledge.triage import triage

KB = load_knowledge()


@pytest.mark.parametrize(
    "domain",
    [
        "fjordway-shiping.no",
        "brightmoor-consluting.co.uk",
        "altavia-logsitics.com",
        # the word at the end of a name written in one piece
        "tidewaterfrieght.com",
        "ostbayernlogistcs.de",
    ],
)
def test_a_slipped_company_word_leads_with_the_address(domain: str) -> None:
    found = triage(f"My Teams chats to per.holm@{domain} are never delivered", KB)
    assert found.recognized
    assert found.likely_causes[0] == "check_address"


@pytest.mark.parametrize(
    "domain",
    [
        "ebro-servicos.com.br",
        "rhein-systeme.de",
        "nordlicht-technologie.de",
        "kranz-logistik.de",
        "vandam-logistiek.nl",
        "consultora-paredes.com.ar",
        # a name ending in a right word is not another word mistyped (health, not wealth)
        "lakesidehealth.org",
    ],
)
def test_another_languages_spelling_is_no_typo(domain: str) -> None:
    found = triage(f"My Teams chats to per.holm@{domain} are never delivered", KB)
    assert found.recognized
    assert found.likely_causes[0] != "check_address"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        # two spellings of one domain, no address: the one typed is wrong
        (
            "Nobody can message anyone at northwindtraiders.com from Teams; the partner's site is "
            "northwindtraders.com",
            "check_address",
        ),
        # a top-level name cut short next to the full one
        (
            "Teams says my message to anyone at blueharbor-marine.co was not delivered; their card "
            "says blueharbor-marine.com",
            "check_address",
        ),
        # a look-alike with a digit for a letter is a phishing domain, not a slip
        (
            "Since yesterday no Teams chat reaches anyone at kestrelsoft.pl; "
            "we blocked kestre1soft.pl after a phishing mail",
            "domain_permissions",
        ),
    ],
)
def test_two_spellings_in_one_text(text: str, first: str) -> None:
    found = triage(text, KB)
    assert found.recognized
    assert found.likely_causes[0] == first
