"""Triage of structure: ms-diagnostics headers in any wrapping, unknown codes, the user's words,
and the peer kept apart from the reporter's own infrastructure and from names that only look
like domains."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli.triage import check_command
from knowledge.loader import load_knowledge
from knowledge.triage import Diagnostic, normalise, parse_diagnostics, triage

KB = load_knowledge("")

HEADER = (
    'ms-diagnostics: 1008;reason="Unable to resolve DNS SRV record";'
    'source="sfbedge01.contoso.com";Domain="Fabrikam.com"'
)
WRAPPINGS = [
    HEADER,
    "SIP/2.0 504 Server time-out\r\n" + HEADER,
    "> " + HEADER.replace(";", ";\n> ", 2),
    "```\n" + HEADER.replace("DNS SRV", "DNS\nSRV") + "\n```",
    HEADER.replace("ms-diagnostics", "ms-diagnostics-public").replace('"', "\u201d"),
    "<pre>" + HEADER.upper() + "</pre>",
]


@pytest.mark.parametrize("text", WRAPPINGS)
def test_header_is_parsed_as_structure_in_any_wrapping(text: str) -> None:
    found = triage(text, KB)
    assert found.signature is not None and found.signature.id == "ms_diag_1008_srv_unresolved"
    assert found.diagnostic == Diagnostic(
        code=1008,
        reason="unable to resolve dns srv record",
        source="sfbedge01.contoso.com",
        domain="fabrikam.com",
    )
    assert found.likely_causes[0] == "federation_srv"
    assert found.peer_domains == ("fabrikam.com",)
    assert found.own_domains == ("contoso.com",)


def test_every_header_and_its_parameters_are_read() -> None:
    text = normalise(
        'ms-diagnostics: 1034;reason="x";PeerServer="sip.litware.com" '
        "ms-diagnostics-public: 1047.3 ; source=edge.contoso.com"
    )
    assert parse_diagnostics(text) == (
        Diagnostic(code=1034, reason="x", peer_server="sip.litware.com"),
        Diagnostic(code=1047, source="edge.contoso.com"),
    )


def test_a_code_row_without_a_reason_is_recognised_by_its_code() -> None:
    found = triage("SIP/2.0 403 Forbidden\nms-diagnostics: 1012;source=sip.contoso.com", KB)
    assert found.signature is not None and found.signature.id == "ms_diag_1012"
    assert found.likely_causes[0] == "external_access_disabled"


def test_unknown_code_in_a_federated_context_is_answered_and_quoted() -> None:
    found = triage(
        'SIP/2.0 488 Not Acceptable Here\nms-diagnostics: 1777;reason="Something new";'
        'source="sipfed.online.lync.com"\nTo: <sip:anna@fabrikam.com>',
        KB,
    )
    assert found.recognized and found.signature is not None
    assert found.signature.id == "ms_diag_federation_other"
    assert "1777" in found.signature.meaning and "something new" in found.signature.meaning
    assert found.peer_domains == ("fabrikam.com",)


@pytest.mark.parametrize(
    "text",
    [
        'ms-diagnostics: 1777;reason="Something new"',  # no federated context
        'ms-diagnostics: 12004;reason="No route found" from the SBC to the PSTN, federated',
    ],
)
def test_unknown_code_without_a_federated_context_stays_silent(text: str) -> None:
    assert not triage(text, KB).recognized


def test_the_users_words_win_over_the_codes_symptom() -> None:
    header = 'ms-diagnostics: 1034;reason="Previous hop federated peer did not report diagnostic'
    header += ' information"'
    assert triage(header, KB).symptom == "im_not_delivered"
    assert triage(header + " - their users show Presence Unknown", KB).symptom == (
        "presence_unknown"
    )
    assert triage(header + " and guests can't join the meeting", KB).symptom == (
        "meeting_join_denied"
    )


def test_type_names_permissions_and_files_are_not_domains() -> None:
    found = triage(
        "Presence Unknown for kim@adatum.com; Graph needs Presence.Read.All, the cmdlet returns "
        "Microsoft.Rtc.Management.WritableConfig.Policy.ExternalAccess.ExternalAccessPolicy, "
        "see Lync-UccApi-0.UccApilog and trace.etl",
        KB,
    )
    assert found.peer_domains == ("adatum.com",)
    assert found.own_domains == ()


def test_event_log_computer_and_edge_hosts_are_own_infrastructure() -> None:
    found = triage(
        "Source: LS Protocol Stack\nEvent ID: 14428\nComputer: LYNCEDGE01.corp.contoso.com\n"
        "TLS outgoing connection failures while trying to connect to sip.fabrikam.com",
        KB,
    )
    assert found.signature is not None and found.signature.id == "event_tls_outgoing_failures"
    assert found.peer_domains == ("fabrikam.com",)
    assert found.own_domains == ("corp.contoso.com",)


def test_a_cmdlets_identity_is_one_of_our_own_users() -> None:
    """``-Identity user@domain`` looks up our own user: cmdlets can't see another tenant's."""
    found = triage(
        "rk2291 can't chat with our collaborators at lakeshore.edu, the rest of the lab can.\n"
        "PS> Get-CsUserPolicyAssignment -Identity rk2291@midstate.edu -PolicyType "
        "ExternalAccessPolicy",
        KB,
    )
    assert found.peer_domains == ("lakeshore.edu",)
    assert found.own_domains == ("midstate.edu",)


def test_cli_suggests_the_peer_and_the_pair_never_the_own_domain_alone(tmp_path: Path) -> None:
    text = 'ms-diagnostics: 1014;reason="Unable to resolve DNS A record";source="edge.contoso.com"'
    assert check_command(triage(text, KB), KB) is None  # only our own side is named
    text += ';Domain="adatum.com"'
    assert check_command(triage(text, KB), KB) == "fedbot check adatum.com"
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump({"home_domains": ["contoso.com"]}))
    kb = load_knowledge(str(org))
    found = triage(text + " From: <sip:kim@contoso.com>", kb)
    assert found.own_domains == ("contoso.com",)
    assert check_command(found, kb) == "fedbot check adatum.com contoso.com"


def test_a_known_code_wins_over_a_later_generic_header_in_a_log_line() -> None:
    # Shaped like a real Mediation Server response (CR written as #015 by a log shipper): the
    # federation code comes first, a generic "proxy returned a failure" header after it.
    trace = (
        "SIP/2.0 404 Not Found#015 To: <sip:kim@adatum.example>;tag=b8#015 "
        "From: <sip:joe@contoso.com>;tag=7c#015 Server: RTCC/5.0.0.0 MediationServer#015 "
        'ms-diagnostics: 1034;reason="Previous hop federated peer did not report diagnostic '
        'information";Domain="adatum.example";PeerServer="sip.adatum.example";'
        'source="sipfed.online.lync.com"#015 ms-diagnostics: 10003;source="med01.contoso.com";'
        'reason="Proxy returned a SIP failure code";component="MediationServer";'
        'SipResponseCode="404"#015 Content-Length: 0'
    )
    found = triage(trace, KB)
    assert found.signature is not None and found.signature.id == "ms_diag_1034_peer_no_diagnostics"
    assert found.peer_domains == ("adatum.example",)


def test_a_test_cs_diagnosis_line_is_read_like_a_header() -> None:
    found = triage(
        "Result : Failure\nDiagnosis : ErrorCode=1047,Source=edge01.contoso.com,"
        "Reason=Failed to complete TLS negotiation with a federated peer server",
        KB,
    )
    assert found.signature is not None and found.signature.id == "ms_diag_1047_tls_failed"
    assert found.diagnostic is not None and found.diagnostic.code == 1047
    assert found.own_domains == ("contoso.com",) and not found.peer_domains
    # A code whose row has no phrases is recognised by the number alone.
    found = triage(
        "Test-CsFederatedPartner -TargetFqdn edge01.contoso.com -Domain fabrikam.com\n"
        "Diagnosis : ErrorCode=1005,Source=edge01.contoso.com,Reason=Cannot route to destination"
        " domain.",
        KB,
    )
    assert found.signature is not None and found.signature.id == "ms_diag_1005"
    assert found.peer_domains == ("fabrikam.com",)


def test_allowed_list_entries_come_after_the_partner_named_in_prose() -> None:
    # The Domain= entries of a pasted allowed list are the list, not the partner; the account a
    # PowerShell session signed in with is the reporter's own.
    found = triage(
        "PS C:\\> Connect-MicrosoftTeams\n"
        "Account                  Environment Tenant\n"
        "admin@stbrendans.example AzureCloud  xxxxxxxx-xxxx\n"
        "PS C:\\> Get-CsTenantFederationConfiguration\n"
        "AllowedDomains   : Domain=adatum.com\n"
        "                   Domain=fabrikam.com\n"
        "AllowFederatedUsers : True\n"
        "Chats to our new lab partner lamnahealthcare.com fail with 'We can't set up the "
        "conversation because your organizations are not set up to talk to each other'",
        KB,
    )
    assert found.peer_domains[0] == "lamnahealthcare.com"
    assert set(found.peer_domains[1:]) == {"adatum.com", "fabrikam.com"}
    assert "stbrendans.example" in found.own_domains


def test_a_forwarded_mails_correspondents_come_after_the_partner_named_in_it() -> None:
    # "From: Name <address>" in a forwarded thread names who wrote the mail (often a colleague);
    # the partner the failure is with comes first.
    found = triage(
        "See below from Dana.\n-----Original Message-----\n"
        "From: Dana Whitfield <dana.whitfield@northbridge-components.com>\n"
        "To: Rob Kessler <rob.kessler@northbridge-components.com>\n"
        "When I type tom.ames@harbourline-logistics.co.uk into a new chat in Teams I get: We can't "
        "set up the conversation because your organizations are not set up to talk to each other.",
        KB,
    )
    assert found.peer_domains[0] == "harbourline-logistics.co.uk"
    # … and when nothing else names a party, the correspondent is still the peer
    found = triage(
        "From: Karen Walsh [mailto:karen.walsh@cohovineyard.com]\nSubject: Lync\n"
        "Our Lync IMs to you never arrive, the message was not delivered",
        KB,
    )
    assert found.peer_domains == ("cohovineyard.com",)


@pytest.mark.parametrize(
    "said",
    ["I'm at contoso.com", "our domain is contoso.com", "(contoso.com is us)"],
)
def test_a_domain_the_writer_calls_their_own_is_no_peer(said: str) -> None:
    found = triage(
        f"Presence unknown in Teams for everyone at fabrikam.com. {said}, nothing changed here",
        KB,
    )
    assert "contoso.com" in found.own_domains
    assert found.peer_domains == ("fabrikam.com",)


def test_a_mistyped_domain_in_a_header_leads_with_the_address() -> None:
    found = triage(
        'ms-diagnostics: 1014;reason="Unable to resolve DNS A record";domain="northwind.cmo";'
        'source="sip.contoso.com"',
        KB,
    )
    assert found.likely_causes[0] == "check_address"


def test_in_a_meeting_join_the_domain_lists_are_the_meetings_external_access() -> None:
    # The same fact about the allowed domains leads with domain permissions in a chat and with
    # the meeting's external access when people can't join (article.yaml stands_for).
    fact = "Our Edge has EnablePartnerDiscovery : False"
    chat = triage(f"Our Lync users cannot IM anyone at fabrikam.com, messages fail. {fact}", KB)
    meeting = triage(
        "Our Lync users cannot join meetings hosted by fabrikam.com, the client says An error"
        f" occurred during the Lync meeting. {fact}",
        KB,
    )
    assert chat.likely_causes[0] == "domain_permissions"
    assert meeting.symptom == "meeting_join_denied"
    assert meeting.likely_causes[0] == "meeting_external_access"


def test_every_code_row_says_how_it_is_known_and_where_from() -> None:
    rows = yaml.safe_load((Path(__file__).parent.parent / "knowledge/data/diagnostics.yaml").open())
    for row in rows["codes"]:
        assert row["source"], row
        assert (row["code"] is None) == (row["known_from"] == "wording"), row
        if row["known_from"] == "spec":
            assert "ms-ocer" in str(row["source"]), row


def test_a_pasted_setting_keeps_its_lead_whatever_scope_is_stated() -> None:
    # "the bank, the law firm and the auditors" is several contacts, whose table cell leads with
    # the domain lists; AllowFederatedUsers False in the paste decides it (keeps_lead).
    found = triage(
        "Since this morning nobody in Finance can chat with the bank, the law firm or the "
        "auditors in Teams. PowerShell: AllowFederatedUsers : False",
        KB,
    )
    assert found.signature is not None and found.signature.keeps_lead
    assert found.scope == "multiple"
    assert found.likely_causes[0] == "external_access_disabled"


def test_a_question_is_a_report_when_it_names_the_partner_or_when_it_broke() -> None:
    # described.yaml's "asked" words: a how-to naming no one stays silent; the same question
    # about a named partner, or about something that stopped ("anymore"), gets an answer.
    question = "does anyone know why external chats in Teams fail?"
    assert not triage(question, KB).recognized
    assert triage(question.replace("external chats", "chats to fabrikam.com"), KB).recognized
    assert triage(question.replace("fail?", "don't work anymore?"), KB).recognized
