"""Triage: every signature's own examples and near-misses, plus unseen pastes and chatter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_knowledge
from knowledge.model import Knowledge
from knowledge.triage import normalise, triage

KB = load_knowledge("")

EXAMPLES = [(s.id, e) for s in KB.signatures for e in s.examples]
NEGATIVES = [(s.id, n) for s in KB.signatures for n in s.negatives]


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return KB


@pytest.mark.parametrize(("signature_id", "text"), EXAMPLES)
def test_every_example_is_recognised_as_its_signature(
    kb: Knowledge, signature_id: str, text: str
) -> None:
    found = triage(text, kb)
    assert found.recognized
    assert found.signature is not None and found.signature.id == signature_id
    assert found.symptom == found.signature.symptom
    assert found.likely_causes == found.signature.likely_causes


@pytest.mark.parametrize(("signature_id", "text"), NEGATIVES)
def test_no_near_miss_is_recognised(kb: Knowledge, signature_id: str, text: str) -> None:
    found = triage(text, kb)
    assert not found.recognized and found.signature is None
    assert found.symptom is None and found.likely_causes == ()


def test_every_signature_has_several_examples_and_near_misses(kb: Knowledge) -> None:
    for sig in kb.signatures:
        assert len(sig.examples) >= 2, sig.id
        assert sig.negatives, sig.id
        assert sig.keywords, sig.id  # ordinary chat stays on the cheap path


# Pastes written for this test, not copied from the knowledge file: other addresses, log
# formats, wraps and quoting the signatures were not written against.
UNSEEN_POSITIVES = [
    (
        "article_not_delivered",
        "Hi IT, when I IM ole.nordmann@partner.no I get:\n\n> This message was not delivered to "
        "ole.nordmann@partner.no because the address is outside your\n> organization and is not "
        "federated with your company, or the address is incorrect.\n\nCan you help?",
    ),
    (
        "article_not_delivered",
        "This message was not delivered to sip:Max.Mustermann@Beispiel.DE because the address is "
        "outside your organization and is not federated with your company",
    ),
    (
        "uccapi_403_not_authorized_federated",
        "Lync-UccApi-0.UccApilog:\n07/19/2011|09:01:12.345 2AB4:1F08 ERROR :: "
        "403 Forbidden: From URI not authorized to communicate with federated partners.",
    ),
    (
        "teams_cant_set_up_conversation",
        "```\nWe can't set up the conversation because your organizations are not set up to "
        "talk to each other.\n```\nthis happens with everyone at tailspintoys.com",
    ),
    (
        "teams_cant_set_up_conversation",
        "<p>We can&#39;t set up the conversation because your organizations are not set up to "
        "talk to each other.</p>",
    ),
    (
        "teams_meeting_different_account",
        "External guest (<mailto:li.wei@example.cn|li.wei@example.cn>) sees "
        "_Sign in with a different account to join this meeting_",
    ),
    (
        "ms_diag_1034_peer_no_diagnostics",
        'SIP/2.0 403 Forbidden\r\nms-diagnostics: 1034;reason="Previous hop federated peer did '
        'not report diagnostic information";Domain="litware.com";PeerServer="sip.litware.com";'
        'source="sipfed.online.lync.com"\r\nContent-Length: 0',
    ),
    (
        "ms_diag_1047_tls_failed",
        'ms-diagnostics-public: 1047;reason="Failed to complete TLS negotiation with a federated '
        'peer server";PeerServer="lyncedge.woodgrovebank.com"',
    ),
    (
        "ms_diag_1017_cannot_route",
        'ms-diagnostics:1017;reason="Cannot route From and To domains in this combination"',
    ),
    ("presence_unknown", "Everyone from relecloud.com shows as \u201cPresence Unknown\u201d"),
    (
        "dns_federation_srv_missing",
        "C:\\> nslookup -type=srv _sipfederationtls._tcp.wingtiptoys.com\nServer:  dc01.corp\n"
        "Address:  10.1.1.1\n\n*** dc01.corp can't find _sipfederationtls._tcp.wingtiptoys.com: "
        "Non-existent domain",
    ),
    (
        "dns_federation_srv_missing",
        "PS> Resolve-DnsName _sipfederationtls._tcp.fourthcoffee.com -Type SRV\n"
        "Resolve-DnsName : _sipfederationtls._tcp.fourthcoffee.com : DNS name does not exist",
    ),
    (
        "sip_504_federation",
        "2025-06-02T10:11:12Z [edge01] SIP/2.0 504 Server time-out to federated partner "
        "proseware.com",
    ),
    (
        "meeting_join_no_permission",
        "the person doesn't have permission to join the meeting and the connection fails",
    ),
]

UNSEEN_NEGATIVES = [
    "Skype for Business Online will be retired on July 31, 2021, move to Teams before then.",
    "We configured AD FS federation and our federated tenant sign-in works now.",
    "The Exchange organization relationship with fabrikam.com shares free/busy.",
    "_matrix._tcp.example.org. 3600 IN SRV 10 5 8448 matrix.example.org.",
    "Do we need the _sipfederationtls._tcp and _sip._tls records if we are Teams-only?",
    "Teams: Failed to send. You added more than 200 people to the group chat.",
    "_sipfederationtls._tcp.contoso.com. 3600 IN SRV 100 1 5061 sipfed.online.lync.com.",
    "Federation between our two Slack workspaces is on the roadmap.",
    "Can someone send me the DNS zone export for contoso.com?",
    "The meeting is at 3 pm; I have permission to join it late.",
    "Why is the presence of Teams so big in our company?",
    "Just got a 403 from the wiki, anyone else?",
    "ms-diagnostics headers are documented in the Lync SDK",
    "We can't set up the conversation tomorrow, let's do it next week.",
    "lol our org chart is not set up for this",
]


@pytest.mark.parametrize(("signature_id", "text"), UNSEEN_POSITIVES)
def test_unseen_pastes_are_recognised(kb: Knowledge, signature_id: str, text: str) -> None:
    found = triage(text, kb)
    assert found.signature is not None and found.signature.id == signature_id


@pytest.mark.parametrize("text", UNSEEN_NEGATIVES)
def test_ordinary_chatter_is_not_recognised(kb: Knowledge, text: str) -> None:
    assert not triage(text, kb).recognized


# --- addresses, domains, contact type ------------------------------------------------------------


ARTICLE_MESSAGE_WITH_TYPO = (
    "This message was not delivered to joe@contoso-federated.combecause the address is outside "
    "your organization and is not federated with your company, or the address is incorrect."
)


def test_article_typo_address_and_domain(kb: Knowledge) -> None:
    found = triage(ARTICLE_MESSAGE_WITH_TYPO, kb)
    assert found.addresses == ("joe@contoso-federated.com",)
    assert found.domains == ("contoso-federated.com",)


def test_addresses_are_lower_cased_and_deduplicated(kb: Knowledge) -> None:
    found = triage("From: <sip:Alice@Contoso.COM> To: <sip:BOB@Fabrikam.com> bob@fabrikam.com", kb)
    assert found.addresses == ("alice@contoso.com", "bob@fabrikam.com")
    assert found.domains == ("contoso.com", "fabrikam.com")


def test_srv_owner_names_and_server_hosts_reduce_to_the_organisations_domain(
    kb: Knowledge,
) -> None:
    found = triage(
        'ms-diagnostics: 1034;reason="Previous hop federated peer did not report diagnostic '
        'information";Domain="Litware.com";PeerServer="sip.litware.com";'
        'source="sipfed.online.lync.com"',
        kb,
    )
    assert found.domains == ("litware.com",)  # Microsoft's own federation host is left out
    found = triage("** server can't find _sipfederationtls._tcp.Tailspin.example: NXDOMAIN", kb)
    assert found.domains == ("tailspin.example",)


def test_links_file_names_and_infrastructure_are_not_domains(kb: Knowledge) -> None:
    found = triage(
        "Presence Unknown for kim@adatum.com, see https://aka.ms/TeamsFederationDiag and "
        "https://intranet.contoso.com/kb/42, logs in UccApi.log, e.g. node.js, "
        "target sipdir.online.lync.com, partner fabrikam.co.uk.",
        kb,
    )
    assert found.domains == ("adatum.com", "fabrikam.co.uk")


def test_home_domains_come_last(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump({"home_domains": ["contoso.com"]}))
    kb = load_knowledge(str(path))
    found = triage(
        "SIP/2.0 403 Forbidden From: alice@contoso.com To: bob@fabrikam.com federated", kb
    )
    assert found.domains == ("fabrikam.com", "contoso.com")
    assert found.addresses == ("alice@contoso.com", "bob@fabrikam.com")


def test_consumer_addresses_imply_a_public_im_contact(kb: Knowledge) -> None:
    assert triage("Presence Unknown for joe@outlook.com", kb).contact_type == "public_im"
    special = triage("Presence Unknown for joe(live-contoso.com)@msn.com", kb)
    assert special.contact_type == "public_im"
    assert special.addresses == ("joe(live-contoso.com)@msn.com",)
    assert special.domains == ("live-contoso.com",)
    assert triage("Presence Unknown for joe@fabrikam.com", kb).contact_type is None


def test_signature_contact_type_wins(kb: Knowledge) -> None:
    found = triage(
        "We can't set up the conversation because your organizations are not set "
        "up to talk to each other (joe@outlook.com)",
        kb,
    )
    assert found.contact_type == "external_org"


def test_most_specific_signature_wins(kb: Knowledge) -> None:
    text = (
        "Presence Unknown, and the log says SIP/2.0 403 Forbidden ms-diagnostics: 1047;"
        'reason="Failed to complete TLS negotiation with a federated peer server"'
    )
    found = triage(text, kb)
    assert found.signature is not None and found.signature.id == "ms_diag_1047_tls_failed"


def test_unrecognised_text_still_reports_addresses(kb: Knowledge) -> None:
    found = triage("can you check anna@fabrikam.com for me", kb)
    assert not found.recognized
    assert found.addresses == ("anna@fabrikam.com",)
    assert found.to_json() == {
        "recognized": False,
        "signature": None,
        "symptom": None,
        "likely_causes": [],
        "addresses": ["anna@fabrikam.com"],
        "domains": ["fabrikam.com"],
    }


def test_normalise_strips_markup_quoting_and_invisible_characters() -> None:
    text = "> **Presence\u200b** `Unknown`\r\n>  for <mailto:a@b.com|a@b.com> \u201cquoted\u201d"
    assert normalise(text) == 'presence unknown for a@b.com "quoted"'
