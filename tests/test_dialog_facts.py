"""Facts in the dialog state decide the causes: a pasted configuration's findings (as helper
tenant's judge returns them) confirm a cause or rule it out; facts survive storage."""

from __future__ import annotations

from dialogs.events import UserText
from dialogs.machine import step
from dialogs.replies import Message, Question, ResolutionCard
from dialogs.state import CheckRun, DialogState
from dialogs.tenant_facts import confirming, rules_out
from federation.model import CheckReport, CheckResult, Finding
from knowledge.loader import load_knowledge

KB = load_knowledge("")
OK = CheckReport(
    (
        CheckResult(
            "contoso.example",
            "contoso.example",
            "ok",
            "commercial",
            (Finding("federation_srv_ok", "ok", "fine"),),
        ),
    )
)
FEDERATION_OFF = Finding("tenant_federation_off", "error", "AllowFederatedUsers is False: on it.")
CLEAN = Finding("tenant_config_ok", "ok", "Nothing in this configuration blocks fabrikam.")
SCOPED = DialogState(
    phase="active",
    symptom="im_not_delivered",
    contact_type="external_org",
    scope="all",
    home_domain="contoso.example",
    checks=(CheckRun(("contoso.example",), OK),),
)


def test_confirming_and_ruling_out() -> None:
    codes = KB.causes["external_access_disabled"].config_findings
    assert confirming((FEDERATION_OFF, CLEAN), codes) == (FEDERATION_OFF,)
    assert not rules_out((FEDERATION_OFF, CLEAN), codes)
    assert rules_out((CLEAN,), codes)
    info = Finding("tenant_trial_tenants_blocked", "info", "trial")
    assert not rules_out((info,), codes)  # no verdict on the whole configuration: not ruled out


def test_a_confirming_finding_backs_the_card_as_its_evidence() -> None:
    state = DialogState(**{**SCOPED.__dict__, "config": (FEDERATION_OFF,)})
    t = step(KB, state, UserText("go on", 10.0))
    (card,) = [r for r in t.replies if isinstance(r, ResolutionCard)]
    assert card.cause_id == "external_access_disabled"
    assert card.check is not None and card.check.meaning == FEDERATION_OFF.message
    assert card.summary.startswith(FEDERATION_OFF.message)  # the conclusion leads
    assert t.state.pending == "fixed"


def test_a_clean_configuration_rules_the_configuration_cause_out_in_one_line() -> None:
    state = DialogState(**{**SCOPED.__dict__, "config": (CLEAN,)})
    t = step(KB, state, UserText("go on", 10.0))
    lines = [r.text for r in t.replies if isinstance(r, Message)]
    assert any("rules out **External communications disabled**" in x for x in lines)
    assert any("Checked, fine" in x and "contoso.example" in x for x in lines)  # the SRV too
    assert not [r for r in t.replies if isinstance(r, ResolutionCard)]
    assert isinstance(t.replies[-1], Question) and t.state.pending == "external_domain"
    assert "external_access_disabled" in t.state.tried and "federation_srv" in t.state.tried


def test_a_partner_blocked_in_the_configuration_leads_even_outside_the_cell() -> None:
    blocked = Finding("tenant_partner_blocked", "error", "fabrikam.example is blocked.")
    state = DialogState(
        **{
            **SCOPED.__dict__,
            "config": (blocked,),
            "external_domain": "fabrikam.example",
            "checks": (*SCOPED.checks, CheckRun(("fabrikam.example",), OK)),
        }
    )
    t = step(KB, state, UserText("go on", 10.0))
    (card,) = [r for r in t.replies if isinstance(r, ResolutionCard)]
    assert card.cause_id == "domain_permissions"
    assert card.check is not None and card.check.meaning == blocked.message


def test_facts_survive_storage_and_old_rows_still_load() -> None:
    state = DialogState(
        **{
            **SCOPED.__dict__,
            "config": (FEDERATION_OFF,),
            "facts": ("consumer_skype",),
            "checking": ("contoso.example",),
        }
    )
    again = DialogState.from_dict(state.to_dict())
    assert again == state
    old = state.to_dict()
    for key in ("config", "facts", "checking"):
        del old[key]
    loaded = DialogState.from_dict(old)
    assert loaded.config is None and loaded.facts == () and loaded.symptom == "im_not_delivered"


def test_the_pasted_configuration_is_kept_and_judged_again_after_a_restart() -> None:
    pasted = "Identity : Global\nAllowedDomains : AllowAllKnownDomains\n"
    pasted += "BlockedDomains : {Domain=fabrikam.example}\nAllowFederatedUsers : True\n"
    first = step(KB, DialogState(), UserText(pasted, now=1.0)).state
    assert first.config_text == pasted and first.config_partner is None
    assert not confirming(first.config or (), KB.causes["domain_permissions"].config_findings)
    stored = DialogState.from_dict(first.to_dict())  # a restart between the turns
    assert stored.config_text == pasted
    later = step(KB, stored, UserText("my messages to joe@fabrikam.example fail", now=2.0)).state
    # judged against the address at the contact's domain (BlockedUsers names people)
    assert later.config_partner == "joe@fabrikam.example"
    codes = KB.causes["domain_permissions"].config_findings
    assert [f.code for f in confirming(later.config or (), codes)] == ["tenant_partner_blocked"]


def test_a_scope_the_first_paste_states_is_not_asked_again() -> None:
    """'only for joe, everyone else at fabrikam is fine' settles the scope with the paste."""
    paste = (
        "This message was not delivered to joe@fabrikam.example because the address is outside "
        "your organization and is not federated with your company.\nOnly joe, everyone else at "
        "fabrikam works fine."
    )
    t = step(KB, DialogState(), UserText(paste, 1.0))
    assert t.state.scope == "one"
    assert t.state.contact_type is None or t.state.contact_type == "external_org"
    assert t.state.pending != "scope"


def test_a_blocked_users_list_is_judged_against_the_contacts_address() -> None:
    pasted = "Identity                      : Global\n"
    pasted += "BlockedUsers                  : {eve@tailspin.example}\n"
    pasted += "BlockExternalAccessUserAccess : True\n"
    first = step(KB, DialogState(), UserText(pasted, now=1.0)).state
    assert [(f.code, f.severity) for f in first.config or ()] == [("tenant_blocked_users", "info")]
    later = step(KB, first, UserText("my messages to eve@tailspin.example fail", now=2.0)).state
    assert later.config_partner == "eve@tailspin.example"
    assert [(f.code, f.severity) for f in later.config or ()] == [("tenant_user_blocked", "error")]
    other = step(KB, first, UserText("my messages to bob@tailspin.example fail", now=2.0)).state
    assert other.config == ()
