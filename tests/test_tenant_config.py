"""The pasted tenant configuration on real-shaped output: Format-List (long and short padding,
wrapped and truncated values, several policies) and ConvertTo-Json (PowerShell 5 and 7), garbled
pastes, and the findings judged against a partner and a contact type."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.model import FINDING_CODES, TENANT_CONFIG_CODES
from federation.tenant_config import (
    AllowedDomains,
    ConfigUnreadable,
    DomainList,
    TenantConfig,
    TenantConfigDataError,
    config_commands,
    judge_tenant_config,
    looks_like_tenant_config,
    parse_config_data,
    parse_tenant_config,
)
from knowledge.loader import load_knowledge

HERE = Path(__file__).parent / "tenant_config"


def paste(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def parsed(text: str) -> TenantConfig:
    config = parse_tenant_config(text)
    assert isinstance(config, TenantConfig), config
    return config


def codes(text: str, partner: str | None, contact: str | None) -> list[str]:
    return [f.code for f in judge_tenant_config(parsed(text), partner=partner, contact=contact)]


# --- reading ------------------------------------------------------------------------------------


def test_long_padding_with_prompt_and_new_properties() -> None:
    config = parsed(paste("federation_long.txt"))
    assert config.form == "list" and not config.policies
    (fed,) = config.federation
    assert fed.identity == "Global"
    assert fed.allow_federated_users is True
    assert fed.allowed_domains == AllowedDomains("all_known")
    assert fed.blocked_domains == DomainList(("fabrikam.com", "contoso.net"))
    assert fed.allow_public_users is None  # printed blank since Skype's retirement
    assert (fed.allow_teams_consumer, fed.allow_teams_consumer_inbound) == (True, False)
    assert fed.block_all_subdomains is True
    assert fed.trial_tenants == "blocked"
    assert fed.allowed_trial_domains == DomainList()
    # newer module versions add properties: tolerated, named
    assert "DomainBlockingForMDOAdminsInTeams" in config.extra_properties


def test_short_padding() -> None:
    (fed,) = parsed(paste("federation_short.txt")).federation
    assert fed.allow_federated_users is False
    assert fed.allow_public_users is True
    assert fed.blocked_domains == DomainList()


def test_wrapped_list_is_joined() -> None:
    (fed,) = parsed(paste("federation_wrapped.txt")).federation
    assert fed.allowed_domains is not None and fed.allowed_domains.mode == "list"
    assert fed.allowed_domains.listed == DomainList(
        ("contoso.com", "northwind.com", "adatum.com", "treyresearch.net", "litware.com")
    )
    assert fed.trial_tenants == "allowed"


def test_wrapped_list_without_indentation_is_joined() -> None:
    text = paste("federation_wrapped.txt").replace("    ", "")
    (fed,) = parsed(text).federation
    assert fed.allowed_domains is not None
    assert "treyresearch.net" in fed.allowed_domains.listed.domains


def test_truncated_list_is_incomplete() -> None:
    (fed,) = parsed(paste("federation_truncated.txt")).federation
    assert fed.allowed_domains is not None
    listed = fed.allowed_domains.listed
    assert listed.domains[-1] == "litware.com" and not listed.complete


def test_type_name_instead_of_list() -> None:
    (fed,) = parsed(paste("federation_type_name.txt")).federation
    assert fed.allowed_domains == AllowedDomains("list", DomainList((), complete=False))


def test_several_policies_one_after_another() -> None:
    config = parsed(paste("policies.txt"))
    assert not config.federation
    assert [p.identity for p in config.policies] == [
        "Global",
        "Tag:FederationAndPICDefault",
        "Tag:FederationOnly",
        "Tag:NoFederationAndPIC",
    ]
    assert [p.enable_federation_access for p in config.policies] == [True, True, True, False]
    assert config.policies[2].enable_teams_consumer_access is False
    assert "FederatedBilateralChats" in config.extra_properties  # known to Teams, not to fedbot
    assert config.policies[0].communication == "organization_default"


def test_both_outputs_in_one_paste() -> None:
    config = parsed(paste("federation_short.txt") + "\n\n" + paste("policies.txt"))
    assert len(config.federation) == 1 and len(config.policies) == 4


def test_objects_without_blank_lines_between_them() -> None:
    text = "\n".join(line for line in paste("policies.txt").splitlines() if line.strip())
    assert len(parsed(text).policies) == 4


def test_chat_client_doubles_every_newline() -> None:
    text = paste("policies.txt").replace("\n", "\n\n")
    assert len(parsed(text).policies) == 4


@pytest.mark.parametrize(
    ("spelling", "value"),
    [
        ("True", True),
        ("true", True),
        ("$true", True),
        ("TRUE", True),
        ("$False", False),
        ("0", False),
    ],
)
def test_boolean_spellings(spelling: str, value: bool) -> None:
    (fed,) = parsed(f"Identity : Global\nAllowFederatedUsers : {spelling}\n").federation
    assert fed.allow_federated_users is value


def test_windows_line_endings_and_code_fence() -> None:
    text = "```\r\n" + paste("federation_short.txt").replace("\n", "\r\n") + "```\r\n"
    (fed,) = parsed(text).federation
    assert fed.allow_federated_users is False


def test_prose_around_the_output_is_skipped() -> None:
    text = "Here is our config, what is wrong?\n\n" + paste("federation_short.txt") + "\nthanks!"
    assert parsed(text).federation[0].allow_teams_consumer is False


def test_json_from_powershell_5() -> None:
    config = parsed(paste("federation_ps5.json"))
    (fed,) = config.federation
    assert config.form == "json"
    assert fed.allowed_domains == AllowedDomains("all_known")  # {} is AllowAllKnownDomains
    assert fed.blocked_domains == DomainList(("fabrikam.com",))
    assert fed.allow_public_users is None
    assert fed.trial_tenants is None  # the enum as a number: not guessed
    assert fed.unclear == (("ExternalAccessWithTrialTenants", "0"),)


def test_json_from_powershell_7() -> None:
    (fed,) = parsed(paste("federation_ps7.json")).federation
    assert fed.allowed_domains == AllowedDomains(
        "list", DomainList(("contoso.com", "northwind.com"))
    )
    assert fed.trial_tenants == "blocked"
    assert fed.allow_teams_consumer is False


def test_json_array_of_policies_and_two_documents() -> None:
    text = paste("federation_ps7.json") + "\nPS> Get-CsExternalAccessPolicy | ConvertTo-Json\n"
    config = parsed(text + paste("policies_ps7.json"))
    assert len(config.federation) == 1
    assert [p.identity for p in config.policies] == ["Global", "Tag:Partners"]


def test_json_powershell_5_value_wrapper() -> None:
    text = '{"value": [{"Identity": "Global", "EnableFederationAccess": "False"}], "Count": 1}'
    (policy,) = parsed(text).policies
    assert policy.enable_federation_access is False


def test_json_list_items_stringified_by_depth_limit() -> None:
    text = (
        '{"Identity": "Global", "AllowFederatedUsers": true, "AllowedDomains": {"AllowedDomain":'
        ' ["Domain=contoso.com", "@{Domain=northwind.com}"]}, "BlockedDomains": ["x.com"]}'
    )
    (fed,) = parsed(text).federation
    assert fed.allowed_domains is not None
    assert fed.allowed_domains.listed == DomainList(("contoso.com", "northwind.com"))
    assert fed.blocked_domains == DomainList(("x.com",))


# --- unreadable ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("Identity : Global\nAllowFederatedUsers : Maybe\n", "bad_value", 2),
        (
            "Identity : Global\nAllowFederatedUsers  True\nAllowTeamsConsumer : True",
            "garbled_line",
            2,
        ),
        (
            "Identity : Global\nAllowFederatedUsers : True\n#@!%^&\nAllowTeamsConsumer : True",
            "garbled_line",
            3,
        ),
        ('{\n  "Identity": "Global",\n  "AllowFederatedUsers": tru\n}', "bad_json", 3),
        ('{\n  "Identity": "Global",\n  "AllowFederatedUsers": "yes please"\n}', "bad_value", 3),
        ("our users can't chat with fabrikam, any idea?", "not_config", 1),
        ("", "not_config", 0),
    ],
)
def test_unreadable_names_the_line(text: str, reason: str, line: int) -> None:
    result = parse_tenant_config(text)
    assert isinstance(result, ConfigUnreadable), result
    assert (result.reason, result.line) == (reason, line)
    assert result.message.startswith("I couldn't read")
    if line:
        assert f"line {line}" in result.message or reason == "not_config"


def test_a_remark_after_the_listing_is_prose_not_a_garbled_line() -> None:
    """An admin's sentence after a blank line may start with a property's name."""
    text = (
        "Identity            : Global\nAllowFederatedUsers : True\nAllowedDomains      :\n"
        "BlockedDomains      : {}\n\nAllowedDomains is just empty, every external org we try "
        "fails.\n"
    )
    (fed,) = parsed(text).federation
    assert fed.allow_federated_users is True
    findings = judge_tenant_config(parsed(text), partner="fabrikam.com", contact="external_org")
    assert findings[0].code == "tenant_allow_list_empty"
    # right after the listing, without the blank line, it is still the admin's remark …
    remark = text.replace("\n\nAllowedDomains is", "\nAllowedDomains is")
    (fed,) = parsed(remark).federation
    assert fed.allow_federated_users is True
    # … but between two property lines of the listing it is a garbled line
    garbled = remark + "AllowTeamsConsumer  : True\n"
    result = parse_tenant_config(garbled)
    assert isinstance(result, ConfigUnreadable) and (result.reason, result.line) == (
        "garbled_line",
        5,
    )


def test_a_listing_inside_a_write_up_is_read() -> None:
    """An escalation note quotes the listing between prose lines: "Options:" or "Fix:" labels
    after it and a sentence on the next line are the write-up, not garbled properties."""
    text = (
        "What's left\nTheir tenant is four weeks old, every licence a trial. Our config:\n"
        "  ExternalAccessWithTrialTenants : Blocked\n"
        "which is the default. That fits the Unknown user in the old chats.\n"
        "Options: they buy a paid licence or we allow trial tenants.\n"
        "Fix: waiting on them.\n"
    )
    (fed,) = parsed(text).federation
    assert fed.trial_tenants == "blocked"
    findings = judge_tenant_config(parsed(text), partner="fabrikam.com", contact="external_org")
    assert "tenant_trial_tenants_blocked" in {f.code for f in findings}


def test_another_cmdlets_table_is_skipped_not_garbled() -> None:
    """``Get-CsAllowedDomain | ft Identity,ProxyFqdn`` beside the listing: not ours, not garbled."""
    text = (
        "AllowFederatedUsers    : True\nEnablePartnerDiscovery : False\n\n"
        "PS C:\\> Get-CsAllowedDomain | ft Identity,ProxyFqdn\n"
        "Identity             ProxyFqdn\n--------             ---------\n"
        "zuerich-logistik.ch\nbernmedtech.ch       sipfed.online.lync.com\n"
    )
    (fed,) = parsed(text).federation
    assert fed.allow_federated_users is True
    assert not looks_like_tenant_config(text.split("\n\n", 1)[1])


def test_several_settings_on_one_line_of_prose() -> None:
    """Prose: "… config shows AllowTeamsConsumer : False, AllowTeamsConsumerInbound : False."."""
    text = (
        "Our tenant federation config shows\n"
        "AllowTeamsConsumer : False, AllowTeamsConsumerInbound : False.\n"
    )
    (fed,) = parsed(text).federation
    assert (fed.allow_teams_consumer, fed.allow_teams_consumer_inbound) == (False, False)


def test_unreadable_quotes_the_offending_line() -> None:
    text = paste("federation_short.txt").replace(
        "AllowFederatedUsers : False", "AllowFederatedUsers = no"
    )
    result = parse_tenant_config(text)
    assert isinstance(result, ConfigUnreadable)
    assert (result.reason, result.line) == ("garbled_line", 4)
    assert result.text == "AllowFederatedUsers = no" and result.text in result.message


def test_too_long() -> None:
    result = parse_tenant_config("AllowFederatedUsers : True\n" * 30000)
    assert isinstance(result, ConfigUnreadable) and result.reason == "too_long"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parser_never_raises_on_any_text(text: str) -> None:
    result = parse_tenant_config(text)
    assert isinstance(result, TenantConfig | ConfigUnreadable)
    if isinstance(result, TenantConfig):
        for finding in judge_tenant_config(result, partner="fabrikam.com", contact=None):
            assert finding.code in TENANT_CONFIG_CODES


_LINES = st.sampled_from(
    [
        "Identity : Global",
        "AllowFederatedUsers : True",
        "AllowFederatedUsers : False",
        "AllowedDomains : AllowAllKnownDomains",
        "AllowedDomains : {Domain=a.com,",
        "  Domain=b.com}",
        "BlockedDomains : {Domain=fabrikam.com}",
        "EnableFederationAccess : False",
        '{"AllowFederatedUsers": true',
        "}",
        "",
        "garbage ::: ===",
        "Identity   EnableFederationAccess",
        "--------   ----------------------",
        "Global     False",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=20))
def test_parser_never_raises_on_shuffled_output(lines: list[str]) -> None:
    result = parse_tenant_config("\n".join(lines))
    assert isinstance(result, TenantConfig | ConfigUnreadable)


# --- recognising --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "federation_long.txt",
        "policies.txt",
        "federation_ps5.json",
        "policies_ps7.json",
        "tables.txt",
        "federation_compress.json",
        "policies_compress.json",
    ],
)
def test_looks_like_tenant_config(name: str) -> None:
    assert looks_like_tenant_config(paste(name))


@pytest.mark.parametrize(
    ("compact", "pretty"),
    [
        ("federation_compress.json", "federation_ps7.json"),
        ("policies_compress.json", "policies_ps7.json"),
    ],
)
def test_compressed_json_reads_like_the_pretty_output(compact: str, pretty: str) -> None:
    """``ConvertTo-Json -Compress`` prints the same objects on one line."""
    text = paste(compact)
    assert "\n" not in text.strip()
    expected = parsed(paste(pretty))
    for wrapped in (
        text,
        f"PS> Get-CsTenantFederationConfiguration | ConvertTo-Json -Compress\n{text}",
    ):
        assert looks_like_tenant_config(wrapped)
        config = parsed(wrapped)
        assert config.federation == expected.federation
        assert config.policies == expected.policies
        assert config.form == "json"


def test_a_json_key_in_prose_is_not_a_config() -> None:
    assert not looks_like_tenant_config('we set {"a": 1} and "AllowFederatedUsers" is odd to us')


@pytest.mark.parametrize(
    "text",
    [
        "AllowFederatedUsers is False in our tenant, is that the problem?",
        'ms-diagnostics: 1047;reason="Failed to complete TLS negotiation"',
        "Set-CsTenantFederationConfiguration -AllowFederatedUsers $true",
        "",
    ],
)
def test_prose_is_not_a_config(text: str) -> None:
    assert not looks_like_tenant_config(text)


def test_commands_to_ask_for() -> None:
    federation, policy = config_commands()
    assert federation.startswith("Get-CsTenantFederationConfiguration")
    assert policy.startswith("Get-CsExternalAccessPolicy")


# --- judging ------------------------------------------------------------------------------------


def test_codes_are_registered() -> None:
    assert TENANT_CONFIG_CODES <= FINDING_CODES


def test_federation_off() -> None:
    found = codes(paste("federation_short.txt"), "fabrikam.com", "external_org")
    assert found[0] == "tenant_federation_off"
    assert "tenant_consumer_off" not in found  # not the contact type asked about


def test_consumer_blocked() -> None:
    found = codes(paste("federation_short.txt"), None, "public_im")
    assert "tenant_consumer_off" in found and "tenant_federation_off" not in found
    assert "tenant_public_users_deprecated" in found


def test_consumer_inbound_only() -> None:
    found = codes(paste("federation_long.txt"), None, "public_im")
    assert found == ["tenant_consumer_inbound_off"]


def test_partner_blocked_and_subdomain() -> None:
    text = paste("federation_long.txt")
    assert codes(text, "fabrikam.com", "external_org")[0] == "tenant_partner_blocked"
    findings = judge_tenant_config(parsed(text), partner="eu.contoso.net", contact="external_org")
    assert (
        findings[0].code == "tenant_partner_blocked" and "BlockAllSubdomains" in findings[0].message
    )
    # without BlockAllSubdomains a subdomain is not blocked
    unblocked = text.replace(
        "BlockAllSubdomains                          : True", "BlockAllSubdomains : False"
    )
    assert "tenant_partner_blocked" not in codes(unblocked, "eu.contoso.net", "external_org")
    # a look-alike is not a subdomain
    assert "tenant_partner_blocked" not in codes(text, "notfabrikam.com", "external_org")


def test_partner_addressed_by_email_and_case() -> None:
    found = codes(paste("federation_long.txt"), "Joe@FABRIKAM.com.", "external_org")
    assert found[0] == "tenant_partner_blocked"


def test_allow_list_lacks_partner() -> None:
    text = paste("federation_wrapped.txt")
    findings = judge_tenant_config(parsed(text), partner="fabrikam.com", contact="external_org")
    assert findings[0].code == "tenant_partner_not_allowed" and findings[0].severity == "error"
    assert "treyresearch.net" in findings[0].message
    assert codes(text, "treyresearch.net", "external_org") == [
        "tenant_allow_list_only",
        "tenant_config_ok",
    ]


def test_blank_allow_list_blocks_everyone() -> None:
    found = codes(paste("federation_blank_allow_list.txt"), "fabrikam.com", "external_org")
    assert found == ["tenant_allow_list_empty"]


def test_truncated_or_hidden_list_is_no_verdict() -> None:
    for name in ("federation_truncated.txt", "federation_type_name.txt"):
        findings = judge_tenant_config(
            parsed(paste(name)), partner="fabrikam.com", contact="external_org"
        )
        assert [f.code for f in findings] == ["tenant_allow_list_hidden"], name
        assert findings[0].severity == "info"  # cannot tell: not a problem found
    # a visible entry still counts
    assert "tenant_allow_list_only" in codes(
        paste("federation_truncated.txt"), "contoso.com", "external_org"
    )


def test_blocked_list_ignored_in_allow_list_mode() -> None:
    text = paste("federation_wrapped.txt").replace(
        "BlockedDomains                              : {}", "BlockedDomains : {Domain=contoso.com}"
    )
    assert "tenant_partner_blocked" not in codes(text, "contoso.com", "external_org")


def test_trial_tenants() -> None:
    text = paste("federation_long.txt")
    assert "tenant_trial_tenants_blocked" in codes(text, "other.example", "external_org")
    allowed = text.replace(
        "AllowedTrialTenantDomains                   : {}",
        "AllowedTrialTenantDomains : {other.example}",
    )
    assert "tenant_trial_tenants_blocked" not in codes(allowed, "other.example", "external_org")
    assert "tenant_trial_tenants_blocked" not in codes(text, "other.example", "public_im")


def test_nothing_blocks_the_partner() -> None:
    text = paste("federation_ps7.json").replace(
        '"AllowTeamsConsumer": false', '"AllowTeamsConsumer": true'
    )
    found = codes(text, "contoso.com", "external_org")
    assert found[-1] == "tenant_config_ok"
    assert "tenant_trial_tenants_blocked" in found


def test_json_enum_number_is_unclear_not_a_verdict() -> None:
    findings = judge_tenant_config(
        parsed(paste("federation_ps5.json")), partner="northwind.com", contact="external_org"
    )
    assert [f.code for f in findings] == ["tenant_config_unclear", "tenant_config_ok"]
    assert "ExternalAccessWithTrialTenants" in findings[0].message
    # the number is named as a number, with the command that prints names instead
    assert "came through as the number 0" in findings[0].message
    assert "-EnumsAsStrings" in findings[0].message


def test_a_documented_enum_number_is_read_as_its_name() -> None:
    """A number listed among a value's spellings in the data (as Microsoft would document it)
    reads as that value; a number not listed stays unclear."""
    shipped = yaml.safe_load(
        (resources.files("knowledge") / "data" / "tenant_config.yaml").read_text()
    )
    shipped["values"]["choices"]["trial"]["blocked"].append("7")
    data = parse_config_data(shipped)
    text = (
        '{"Identity": "Global", "AllowFederatedUsers": true, "ExternalAccessWithTrialTenants": 7}'
    )
    config = parse_tenant_config(text, data)
    assert isinstance(config, TenantConfig)
    assert config.federation[0].trial_tenants == "blocked" and not config.federation[0].unclear
    found = judge_tenant_config(config, partner="fabrikam.com", contact="external_org")
    assert "tenant_trial_tenants_blocked" in [f.code for f in found]
    other = parse_tenant_config(text.replace(": 7}", ": 8}"), data)
    assert isinstance(other, TenantConfig)
    assert other.federation[0].unclear == (("ExternalAccessWithTrialTenants", "8"),)


def test_policies() -> None:
    config = parsed(paste("policies.txt"))
    org = judge_tenant_config(config, partner="fabrikam.com", contact="external_org")
    # a built-in policy exists in every tenant, assigned or not: information, not a problem
    assert [(f.code, f.severity) for f in org] == [("policy_federation_off", "info")]
    assert "Tag:NoFederationAndPIC" in org[0].message
    custom = parsed(paste("policies.txt").replace("Tag:NoFederationAndPIC", "Tag:Contractors"))
    found = judge_tenant_config(custom, partner="fabrikam.com", contact="external_org")
    assert [(f.code, f.severity) for f in found] == [("policy_federation_off", "warning")]
    consumer = [f.code for f in judge_tenant_config(config, partner=None, contact="public_im")]
    assert consumer.count("policy_consumer_off") == 2
    assert "policy_public_cloud_off" in consumer


def test_global_policy_is_an_error() -> None:
    findings = judge_tenant_config(
        parsed(paste("policies_ps7.json")), partner="fabrikam.com", contact="external_org"
    )
    assert (findings[0].code, findings[0].severity) == ("policy_federation_off", "error")
    assert "Global" in findings[0].message


def test_unknown_contact_judges_both() -> None:
    found = codes(paste("federation_short.txt"), "fabrikam.com", None)
    assert {"tenant_federation_off", "tenant_consumer_off"} <= set(found)


def test_settings_not_in_the_paste_are_not_judged() -> None:
    assert (
        codes("Identity : Global\nAllowTeamsConsumer : True\n", "fabrikam.com", "external_org")
        == []
    )


def test_findings_are_worded() -> None:
    for name in sorted(p.name for p in HERE.iterdir()):
        config = parsed(paste(name))
        for contact in ("external_org", "public_im", None):
            for partner in ("fabrikam.com", None):
                for finding in judge_tenant_config(config, partner=partner, contact=contact):
                    assert finding.message and "{" not in finding.message.replace("@{", "")


# --- the expanded allow list, and the data file --------------------------------------------------


def test_expanded_allow_list_is_read() -> None:
    text = (
        "PS> Get-CsTenantFederationConfiguration | Select-Object -ExpandProperty AllowedDomains\n\n"
    )
    text += "AllowedDomain : {Domain=contoso.com, Domain=northwind.com}\n"
    assert codes(text, "fabrikam.com", "external_org") == ["tenant_partner_not_allowed"]
    as_json = '{"AllowedDomain": [{"Domain": "contoso.com"}, {"Domain": "fabrikam.com"}]}'
    assert codes(as_json, "fabrikam.com", "external_org") == ["tenant_allow_list_only"]


def _data() -> dict[str, Any]:
    path = resources.files("knowledge") / "data" / "tenant_config.yaml"
    return cast(dict[str, Any], yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["federation"]["fields"].pop("consumer"), "federation.fields"),
        (
            lambda d: d["policy"]["fields"]["federation"].__setitem__("type", "int"),
            "policy.fields.federation",
        ),
        (lambda d: d["policy"]["known"].__setitem__("AllowFederatedUsers", "bool"), "policy"),
        (lambda d: d["values"].__setitem__("false", ["true"]), "values"),
        (
            lambda d: d["unreadable"].__setitem__("bad_value", "line {lineno}"),
            "unreadable.bad_value",
        ),
        (lambda d: d["unreadable"].pop("too_long"), "unreadable"),
        (lambda d: d.__setitem__("surprise", 1), "(top)"),
    ],
)
def test_data_validation_names_the_key(mutate: Callable[[Any], object], where: str) -> None:
    data = _data()
    mutate(data)
    with pytest.raises(TenantConfigDataError, match=r"tenant_config\.yaml: " + re.escape(where)):
        parse_config_data(data)


def test_data_cites_sources() -> None:
    sources = _data()["source"]
    assert sources and all(s.startswith("https://") for s in sources)


# --- as chat platforms deliver a paste ------------------------------------------------------------


def test_slack_links_and_entities() -> None:
    text = paste("federation_long.txt").replace(
        "Domain=fabrikam.com", "Domain=<http://fabrikam.com|fabrikam.com>"
    )
    text = text.replace("PS C:\\Users\\admin>", "PS C:\\Users\\admin&gt;")
    (fed,) = parsed(text).federation
    assert fed.blocked_domains == DomainList(("fabrikam.com", "contoso.net"))


def test_teams_html_message() -> None:
    lines = paste("federation_short.txt").splitlines()
    text = (
        "<div>" + "".join(f"<p>{line.replace(' ', '&nbsp;', 1)}</p>" for line in lines) + "</div>"
    )
    (fed,) = parsed(text).federation
    assert fed.allow_federated_users is False and fed.allow_teams_consumer is False


def test_invisible_characters_and_non_breaking_spaces() -> None:
    text = paste("federation_short.txt").replace(" : ", "\u00a0:\u200b ")
    assert parsed(text).federation[0].allow_federated_users is False


def test_wrapped_description_without_indentation() -> None:
    text = paste("policies.txt").replace(
        "Identity                                          : Tag:FederationOnly\n"
        "Description                                       :\n",
        "Identity : Tag:FederationOnly\nDescription : Users who may talk to partner\n"
        "organisations but not to personal accounts\n",
    )
    config = parsed(text)
    assert [p.enable_federation_access for p in config.policies] == [True, True, True, False]


# --- per-policy domain settings (CommunicationWithExternalOrgs, public preview) ------------------

CUSTOM_POLICIES = """Identity : Global
EnableFederationAccess : True
CommunicationWithExternalOrgs : OrganizationDefault

Identity : Tag:SuppliersOnly
EnableFederationAccess : True
CommunicationWithExternalOrgs : AllowSpecificExternalDomains
AllowedExternalDomains : {contoso.com, northwind.com}

Identity : Tag:NoPartners
EnableFederationAccess : True
CommunicationWithExternalOrgs : BlockAllExternalDomains

Identity : Tag:NotFabrikam
EnableFederationAccess : True
CommunicationWithExternalOrgs : BlockSpecificExternalDomains
BlockedExternalDomains : {fabrikam.com}
"""


def test_policy_domain_settings() -> None:
    findings = judge_tenant_config(
        parsed(CUSTOM_POLICIES), partner="fabrikam.com", contact="external_org"
    )
    assert [f.code for f in findings] == ["policy_partner_blocked"] * 3
    assert "Tag:SuppliersOnly" in findings[0].message and "Tag:NoPartners" in findings[1].message
    assert "Tag:NotFabrikam" in findings[2].message
    allowed = judge_tenant_config(parsed(CUSTOM_POLICIES), partner="contoso.com", contact=None)
    assert [f.code for f in allowed] == ["policy_partner_blocked"]  # only the block-all policy


def test_policy_domain_settings_off_without_customize_federation() -> None:
    text = paste("federation_ps7.json").replace(
        '"BlockAllSubdomains": false', '"BlockAllSubdomains": false, "CustomizeFederation": false'
    )
    config = parsed(text + "\n" + CUSTOM_POLICIES)
    found = [
        f.code for f in judge_tenant_config(config, partner="contoso.com", contact="external_org")
    ]
    assert "policy_partner_blocked" not in found


def test_unknown_enum_value_in_a_policy_is_unclear() -> None:
    text = "Identity : Tag:X\nEnableFederationAccess : True\nCommunicationWithExternalOrgs : 3\n"
    findings = judge_tenant_config(parsed(text), partner="fabrikam.com", contact="external_org")
    assert findings[0].code == "tenant_config_unclear"
    assert "CommunicationWithExternalOrgs" in findings[0].message
    assert "the number 3" in findings[0].message
    word = text.replace(": 3\n", ": SomethingNew\n")
    findings = judge_tenant_config(parsed(word), partner="fabrikam.com", contact="external_org")
    assert findings[0].code == "tenant_config_unclear"
    assert "Get-CsExternalAccessPolicy | Select-Object Identity, CommunicationWithExternalOrgs" in (
        findings[0].message
    )


# --- Format-Table (Select-Object of a few properties prints a table) ------------------------------


def test_tables() -> None:
    config = parsed(paste("tables.txt"))
    assert [(p.identity, p.enable_federation_access) for p in config.policies] == [
        ("Global", True),
        ("Tag:FederationAndPICDefault", True),
        ("Tag:NoFederationAndPIC", False),
    ]
    assert config.federation[0].trial_tenants == "blocked"
    found = [f.code for f in judge_tenant_config(config, partner="x.com", contact="external_org")]
    assert sorted(found) == ["policy_federation_off", "tenant_trial_tenants_blocked"]


def test_table_with_a_bad_value_names_the_line() -> None:
    text = "AllowFederatedUsers AllowTeamsConsumer\n------------------- ------------------\n"
    text += "              Fasle               True\n"
    result = parse_tenant_config(text)
    assert isinstance(result, ConfigUnreadable)
    assert (result.reason, result.line) == ("bad_value", 3) and "Fasle" in result.message


def test_table_of_other_things_is_not_a_config() -> None:
    text = "Name    Status\n----    ------\nTeams   Running\n"
    assert not looks_like_tenant_config(text)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "Identity",
        "AllowFederatedUsers",
        "AllowedDomains",
        "AllowedDomain",
        "BlockedDomains",
        "BlockAllSubdomains",
        "ExternalAccessWithTrialTenants",
        "EnableFederationAccess",
        "CommunicationWithExternalOrgs",
        "AllowedExternalDomains",
        "Domain",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _JSON, max_size=6), min_size=1, max_size=3))
def test_parser_and_judge_never_raise_on_any_json(objects: list[dict[str, Any]]) -> None:
    result = parse_tenant_config(json.dumps(objects))
    assert isinstance(result, TenantConfig | ConfigUnreadable)
    if isinstance(result, TenantConfig):
        for contact in ("external_org", "public_im", None):
            for finding in judge_tenant_config(result, partner="a.example", contact=contact):
                assert finding.message and finding.code in TENANT_CONFIG_CODES
    else:
        assert result.message.startswith("I couldn't read")


def test_cut_off_blocked_list_is_no_verdict() -> None:
    text = paste("federation_long.txt").replace(
        "{Domain=fabrikam.com, Domain=contoso.net}",
        "{Domain=fabrikam.com, Domain=contoso.net, Domain=a.com, Domain=b.com...}",
    )
    assert codes(text, "fabrikam.com", "external_org")[0] == "tenant_partner_blocked"
    found = judge_tenant_config(parsed(text), partner="other.com", contact="external_org")
    assert "tenant_config_ok" not in [f.code for f in found]
    unclear = [f for f in found if f.code == "tenant_config_unclear"]
    assert len(unclear) == 1 and "cut off" in unclear[0].message


def test_property_names_in_any_case() -> None:
    text = "identity : Global\nALLOWFEDERATEDUSERS : false\nallowteamsconsumer : TRUE\n"
    (fed,) = parsed(text).federation
    assert (fed.allow_federated_users, fed.allow_teams_consumer) == (False, True)


# --- which of the article's causes each problem finding confirms (article.yaml owns it) ---------


# Every finding that says something is blocked tenant-wide, and the one cause it confirms (a
# clean configuration rules that cause out; tenant_user_blocked confirms a contact's block but a
# clean list can't rule out a block in the contact's own client, so it confirms no cause here).
PROBLEM_FINDINGS = {
    "tenant_federation_off": "external_access_disabled",
    "policy_federation_off": "external_access_disabled",
    # a blank allow list is allow-list mode with no partner on it (issue 8 §2): domain permissions
    "tenant_allow_list_empty": "domain_permissions",
    "tenant_partner_not_allowed": "domain_permissions",
    "tenant_partner_blocked": "domain_permissions",
    "policy_partner_blocked": "domain_permissions",
    "tenant_consumer_off": "public_im_disabled",
    "tenant_consumer_inbound_off": "public_im_disabled",
    "policy_consumer_off": "public_im_disabled",
}


@pytest.mark.parametrize(("code", "cause"), PROBLEM_FINDINGS.items())
def test_each_problem_finding_confirms_one_article_cause(code: str, cause: str) -> None:

    causes = load_knowledge("").causes
    chat_causes = [c for c in causes.values() if code in c.config_findings and not c.symptoms]
    assert [c.id for c in chat_causes] == [cause]


def test_indented_code_block() -> None:
    text = "Here it is:\n\n" + textwrap.indent(paste("federation_wrapped.txt"), " " * 8)
    (fed,) = parsed(text).federation
    assert fed.allowed_domains is not None
    assert "treyresearch.net" in fed.allowed_domains.listed.domains
    assert fed.trial_tenants == "allowed"


def test_quoted_paste() -> None:
    text = "".join(f"> {line}\n" for line in paste("policies.txt").splitlines())
    assert len(parsed(text).policies) == 4


# --- BlockedUsers (Get-CsTeamsExternalAccessConfiguration) -------------------------------------


@pytest.mark.parametrize(
    "name", ["external_access_blocked_users.txt", "external_access_blocked_users.json"]
)
def test_blocked_users_are_read_and_judged_against_the_contact(name: str) -> None:
    text = paste(name)
    assert looks_like_tenant_config(text)
    config = parsed(text)
    (fed,) = config.federation
    assert fed.blocked_users is not None
    assert fed.blocked_users.users == (
        "eve@tailspintoys.com",
        "8:orgid:0f1e2d3c-aaaa-bbbb-cccc-111122223333",
    )
    assert fed.block_user_access is True

    def codes(partner: str | None) -> list[tuple[str, str]]:
        found = judge_tenant_config(config, partner=partner, contact="external_org")
        return [(f.code, f.severity) for f in found]

    # The contact's own address on the list: that is the cause, named with the fix.
    blocked = judge_tenant_config(config, partner="Eve@TailspinToys.com", contact="external_org")
    assert [(f.code, f.severity) for f in blocked] == [("tenant_user_blocked", "error")]
    assert "eve@tailspintoys.com" in blocked[0].message
    assert "-BlockedUsers" in blocked[0].message
    assert blocked[0].severity == "error"
    # Someone else at the same organisation is not blocked by it.
    assert codes("bob@tailspintoys.com") == []
    # Only the domain known: the people blocked there are mentioned, as information.
    assert codes("tailspintoys.com") == [("tenant_blocked_users", "info")]
    assert codes("fabrikam.com") == []
    assert codes(None) == [("tenant_blocked_users", "info")]


def test_blocked_users_off_or_empty_blocks_nobody() -> None:
    off = parsed(
        "Identity                      : Global\n"
        "BlockedUsers                  : {eve@tailspintoys.com}\n"
        "BlockExternalAccessUserAccess : False\n"
    )
    empty = parsed('{"Identity":"Global","BlockedUsers":[],"BlockExternalAccessUserAccess":true}')
    for config in (off, empty):
        assert judge_tenant_config(config, partner="eve@tailspintoys.com", contact=None) == ()


def test_a_cut_blocked_users_list_says_it_cannot_tell() -> None:
    config = parsed(
        "Identity                      : Global\n"
        "BlockedUsers                  : {ann@litware.example, bo@litware.example, cy@lit...\n"
        "BlockExternalAccessUserAccess : True\n"
    )
    (fed,) = config.federation
    assert fed.blocked_users is not None and not fed.blocked_users.complete
    found = judge_tenant_config(config, partner="dee@litware.example", contact=None)
    assert [(f.code, f.severity) for f in found] == [("tenant_blocked_users", "info")]
    assert "can't tell" in found[0].message


def test_false_read_from_a_screenshot_is_false() -> None:
    # OCR turns the l of False into 1 or I (knowledge/data/tenant_config.yaml, values.false)
    text = "AllowFederatedUsers : Fa1se\nAllowedDomains      : AllowAllKnownDomains\n"
    assert codes(text, "fabrikam.com", "external_org") == ["tenant_federation_off"]
    assert codes(text.replace("Fa1se", "FaIse"), None, None) == ["tenant_federation_off"]
