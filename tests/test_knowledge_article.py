"""The shipped knowledge says what the article says: ids, the table, every step, note and link."""

from __future__ import annotations

import re

import pytest

from knowledge.loader import load_knowledge
from knowledge.model import Knowledge


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge("")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip()


def all_text(kb: Knowledge) -> str:
    parts: list[str] = [*kb.more_information, kb.escalation.text]
    for r in kb.resolutions.values():
        parts += [r.title, r.intro, *r.steps, *r.notes, *r.teams_today]
        parts += [f"{link.title} {link.url}" for link in r.links]
    for c in kb.causes.values():
        parts += [c.title, c.summary, *c.check_meaning.values()]
    return _flat(" ".join(parts))


def test_stable_ids(kb: Knowledge) -> None:
    assert [o.id for o in kb.symptoms] == [
        "im_not_delivered",
        "presence_unknown",
        "meeting_join_denied",
    ]
    assert [o.id for o in kb.contact_types] == ["external_org", "public_im"]
    assert [o.id for o in kb.scopes] == ["one", "multiple", "all"]
    assert set(kb.causes) == {
        "contacts_permissions",
        "domain_permissions",
        "external_access_disabled",
        "public_im_disabled",
        "federation_srv",
        "contact_format",
        "not_supported",
        "edge_connectivity",
        "hybrid_split",
        "check_address",
        "meeting_external_access",
        "meeting_anonymous_join",
        "meeting_policies",
        "meeting_lobby",
    }
    assert all(o.label and o.description for o in (*kb.symptoms, *kb.contact_types, *kb.scopes))


def test_the_table_maps_every_cell_to_the_articles_causes(kb: Knowledge) -> None:
    expected = {
        ("external_org", "one"): ("contacts_permissions",),
        ("external_org", "multiple"): ("domain_permissions",),
        ("external_org", "all"): ("external_access_disabled", "federation_srv"),
        ("public_im", "one"): ("contacts_permissions",),
        ("public_im", "multiple"): ("contact_format",),
        ("public_im", "all"): ("public_im_disabled", "federation_srv"),
    }
    assert {(c.contact_type, c.scope): c.causes for c in kb.table} == expected
    assert kb.cell("public_im", "multiple").causes == ("contact_format",)
    with pytest.raises(KeyError):
        kb.cell("public_im", "some")


def test_checks_back_the_dns_cells(kb: Knowledge) -> None:
    checks = {cid: c.check for cid, c in kb.causes.items()}
    assert checks["domain_permissions"] == "external_domain"
    assert checks["federation_srv"] == "own_domain"
    assert checks["contact_format"] == "contact_format"
    assert checks["contacts_permissions"] == "none"
    for cause in kb.causes.values():
        assert cause.resolution in kb.resolutions
        if cause.check != "none":
            assert set(cause.check_meaning) == {"ok", "problem", "dns_error"}
            assert len(set(cause.check_meaning.values())) == 3  # three different statements


def test_follow_up_causes_come_after_the_table(kb: Knowledge) -> None:
    assert kb.follow_up_causes == ("edge_connectivity", "hybrid_split", "not_supported")


# Sentences of the article's Solution and More information sections (typo fixed).
ARTICLE_SENTENCES = [
    "Office 365 enterprise and academic customers can configure individual access options for "
    "the following external contacts on both an organization and user level",
    "Other organizations that are using Skype for Business Online, Microsoft Lync Server 2010, "
    "Microsoft Lync Server 2013, or Microsoft Office Communications Server 2007 R2",
    "Public Instant Messaging (IM) contacts on Skype or Microsoft Messenger",
    "Office 365 professional and business customers can turn external communications on or off "
    "only for all external contacts.",
    "This setting can be configured at the organization or user level.",
    "Both external contacts have to be added to one another's contact lists, and they must have "
    "the appropriate permissions.",
    "In Lync, make sure that the setting to block all invites isn't set.",
    "Under **Contacts not using Lync**, clear the box labeled **Block all invites and "
    "communications**.",
    "they should both completely remove the other contact from their own contact list.",
    "Re-add the external contact and then verify that notifications are being sent and accepted "
    "by each contact involved.",
    "make sure that the Skype users have upgraded to the latest client on Windows (version 6.3 "
    "or a later version).",
    "The domain isn't included on the allowed domains list in the Lync Control Panel or Lync "
    "Admin Center.",
    "the external contact's domain is either on the allowed list of domains or not on the "
    "blocked list of domains.",
    "Contacts that don't use the standard domains for Microsoft Messenger, such as live.com, "
    "outlook.com, msn.com or Hotmail.com, must be added to Lync by using a special format.",
    "Lync users can't communicate with external contacts who have Microsoft accounts that have a "
    "custom (EASI) domain",
    "If that SRV record is missing or incorrectly configured, all communication with external "
    "contacts fails.",
    "Troubleshooting Skype for Business Online DNS configuration issues in Office 365",
    "These issues occur because external communications in Skype for Business Online may be "
    "turned off or incorrectly configured.",
    "Federation with Skype isn't supported at this time.",
    "After an external contact who has a Microsoft account logs into Skype, the user will no "
    "longer be able to use video conferencing.",
    "Still need help? Go to Microsoft Community.",
]

ARTICLE_LINKS = [
    "https://support.microsoft.com/help/10041/",
    "https://office.microsoft.com/redir/ha101850361.aspx",
    "https://office.microsoft.com/redir/ha102925421.aspx",
    "https://technet.microsoft.com/library/hh202193.aspx",
    "https://office.microsoft.com/redir/ha102817865.aspx",
    "https://support.microsoft.com/help/2566829",
    "https://support.microsoft.com/help/2566790",
]


@pytest.mark.parametrize("sentence", ARTICLE_SENTENCES)
def test_every_article_sentence_is_in_the_knowledge(kb: Knowledge, sentence: str) -> None:
    assert _flat(sentence).lower() in all_text(kb).lower()


def test_every_article_link_is_a_resolution_or_escalation_link(kb: Knowledge) -> None:
    urls = {link.url for r in kb.resolutions.values() for link in r.links}
    assert set(ARTICLE_LINKS) <= urls
    assert [link.url for link in kb.escalation.links] == ["https://answers.microsoft.com/"]


def test_the_articles_typo_is_fixed(kb: Knowledge) -> None:
    assert "combecause" not in all_text(kb)


def test_resolutions_say_how_it_is_done_in_teams_today(kb: Knowledge) -> None:
    for resolution in kb.resolutions.values():
        assert resolution.steps and resolution.teams_today, resolution.id
    teams = _flat(" ".join(t for r in kb.resolutions.values() for t in r.teams_today))
    for fact in [
        "Teams admin center → Users → External access",
        "Get-CsTenantFederationConfiguration",
        "Set-CsTenantFederationConfiguration",
        "AllowFederatedUsers",
        "AllowedDomains",
        "New-CsEdgeAllowAllKnownDomains",
        "ExternalAccessWithTrialTenants",
        "EnableFederationAccess",
        "AllowTeamsConsumer",
        "AllowPublicUsers is deprecated",
        "https://aka.ms/TeamsFederationDiag",
    ]:
        assert fact in teams, fact


def test_federation_srv_resolution_gives_the_record_values_per_cloud(kb: Knowledge) -> None:
    text = all_text(kb)
    for value in [
        "_sipfederationtls._tcp",
        "priority 100, weight 1, port 5061, target sipfed.online.lync.com",
        "sipfed.online.gov.skypeforbusiness.us",
        "sipfed.online.dod.skypeforbusiness.us",
        "sipfed.online.partner.lync.cn",
    ]:
        assert value in text, value


def test_not_supported_mentions_the_2025_retirement(kb: Knowledge) -> None:
    text = _flat(
        kb.causes["not_supported"].summary + " ".join(kb.resolutions["not_supported"].steps)
    )
    assert "May 2025" in text


def test_consumer_domains_are_the_articles(kb: Knowledge) -> None:
    assert set(kb.consumer_domains) == {"live.com", "outlook.com", "msn.com", "hotmail.com"}


# --- how the resolutions read on a card ----------------------------------------------------------


def test_every_card_line_is_a_sentence(kb: Knowledge) -> None:
    """Steps, notes and Teams-today items are full sentences (no bare list items on a card)."""
    for r in kb.resolutions.values():
        for kind in ("steps", "notes", "teams_today"):
            for line in getattr(r, kind):
                assert line[0].isupper() or line[0].isdigit(), (r.id, kind, line)
                assert line.endswith((".", ".)")), (r.id, kind, line)


def test_every_site_a_step_sends_you_to_is_a_link_on_the_card(kb: Knowledge) -> None:
    for r in kb.resolutions.values():
        for line in (*r.steps, *r.notes):
            for named in re.findall(r"go to the following [^:]*: (.+?)\.?$", line):
                assert any(link.title.split(":")[0] in named for link in r.links), (r.id, named)


def test_configure_external_communications_says_who_in_the_intro_and_what_in_the_steps(
    kb: Knowledge,
) -> None:
    r = kb.resolutions["configure_external_communications"]
    intro = _flat(r.intro).lower()
    for category in (
        "other organizations that are using skype for business online",
        "public instant messaging (im) contacts on skype or microsoft messenger",
        "office 365 professional and business customers",
    ):
        assert category in intro
        assert not any(category in _flat(step).lower() for step in r.steps)
    assert r.steps[0].startswith("Open ") and "Guided Walkthrough" in r.steps[0]
    assert any(
        step.startswith("Allow communication with the external organisation") for step in r.steps
    )
    assert any("public IM contacts" in step and "allow" in step for step in r.steps)
    assert r.teams_today[0].startswith("Skype for Business Online was retired on 31 July 2021.")


def test_the_obsolete_skype_client_advice_is_a_note_not_a_step(kb: Knowledge) -> None:
    r = kb.resolutions["contacts_permissions"]
    assert not any("Skype users" in step for step in r.steps)
    (note,) = [n for n in r.notes if "Skype users have upgraded" in n]
    assert "retired in May 2025" in note
