"""Triage reasons from what a paste states: the scope, the symptom, the contact type and cause
hints order the likely causes (knowledge.triage.ordered_causes). Pastes written for this test in
wordings no signature example uses (sibling wordings of the independent set's classes)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_knowledge
from knowledge.triage import triage

KB = load_knowledge("")

CASES = yaml.safe_load((Path(__file__).parent / "triage_reasoning.yaml").read_text("utf-8"))
STATED = [(c["text"], c["symptom"], c["cause"]) for c in CASES["stated"]]
SILENT = list(CASES["silent"])


@pytest.mark.parametrize(("text", "symptom", "cause"), STATED, ids=lambda v: str(v)[:40])
def test_stated_facts_order_the_causes(text: str, symptom: str, cause: str | None) -> None:
    found = triage(text, KB)
    assert found.recognized
    assert found.symptom == symptom
    if cause is not None:
        assert found.likely_causes[0] == cause, found.likely_causes


@pytest.mark.parametrize("text", SILENT, ids=lambda v: v[:40])
def test_look_alikes_stay_silent(text: str) -> None:
    assert not triage(text, KB).recognized


def test_scope_is_reported_and_orders_only_scoped_signatures() -> None:
    one = triage(
        "Presence Unknown, only for joe@fabrikam.com; everyone else at fabrikam is fine", KB
    )
    assert one.scope == "one" and one.likely_causes[0] == "contacts_permissions"
    every = triage("Presence Unknown for everyone at fabrikam.com", KB)
    assert every.scope == "multiple" and every.likely_causes[0] == "domain_permissions"
    # a code decides its own cause: the scope doesn't reorder it
    coded = triage(
        'everyone at fabrikam.com fails: ms-diagnostics: 1008;reason="Unable to resolve DNS SRV '
        'record";Domain="fabrikam.com"',
        KB,
    )
    assert coded.scope == "multiple" and coded.likely_causes[0] == "federation_srv"


def test_consumer_contacts_never_get_edge_or_hybrid_causes() -> None:
    found = triage("Presence Unknown for my personal Skype contact live:.cid.12ab34cd", KB)
    assert found.contact_type == "public_im"
    assert found.likely_causes[0] == "not_supported"
    assert not {"edge_connectivity", "hybrid_split"} & set(found.likely_causes)


def test_code_names_are_never_domains() -> None:
    found = triage(
        "Teams chats to fabrikam.com fail, the log says Error identifier: NotifySingle.Notify", KB
    )
    assert found.recognized and found.peer_domains == ("fabrikam.com",)
    assert "notifysingle.notify" not in found.domains


def test_described_failure_reports_symptom_scope_and_contact_type() -> None:
    found = triage("Seit heute können wir in Teams keine Nachrichten an externe Partner senden", KB)
    assert found.recognized and found.symptom == "im_not_delivered"
    assert found.contact_type == "external_org"
    presence = triage("Les contacts de fabrikam.com ont une présence inconnue dans Teams", KB)
    assert presence.symptom == "presence_unknown" and presence.scope == "multiple"
    assert presence.likely_causes[0] == "domain_permissions"
