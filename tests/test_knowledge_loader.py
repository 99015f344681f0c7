"""The knowledge loader: every validation rule fails with the file and key path; overrides work."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge, load_knowledge_dir
from knowledge.triage import triage

ORG_SIGNATURE: dict[str, Any] = {
    "id": "contoso_gateway_refused",
    "title": "Contoso gateway refused the chat",
    "meaning": "Our partner gateway refused the chat.",
    "patterns": [r"cgw-\d{3} partner gateway refused"],
    "keywords": ["cgw-"],
    "symptom": "im_not_delivered",
    "likely_causes": ["domain_permissions"],
    "contact_type": "external_org",
    "examples": ["ERROR CGW-417 partner gateway refused joe@fabrikam.com"],
    "negatives": ["the partner gateway is up again"],
    "source": "Contoso gateway runbook, error CGW-417",
}


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEDBOT_KNOWLEDGE", raising=False)


def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True))
    return path


def org_error(tmp_path: Path, data: object, name: str = "org.yaml") -> str:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(str(write(tmp_path / name, data)))
    return str(info.value)


def signature(**changes: Any) -> dict[str, Any]:
    return {**ORG_SIGNATURE, **changes}


# --- the shipped files --------------------------------------------------------------------------


def test_shipped_knowledge_loads_once_per_process() -> None:
    kb = load_knowledge()
    assert kb is load_knowledge("")
    assert kb.signatures and kb.messages


def test_env_variable_names_the_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    org = write(tmp_path / "org.yaml", {"escalation": {"contact": "Service desk, ext. 4711"}})
    monkeypatch.setenv("FEDBOT_KNOWLEDGE", str(org))
    assert load_knowledge().escalation.contact == "Service desk, ext. 4711"
    assert load_knowledge("").escalation.contact == ""  # explicit "" means: no override


# --- validation of an organisation override -----------------------------------------------------

CASES: list[tuple[str, object, str]] = [
    ("unknown top-level key", {"colour": "blue"}, r"org\.yaml: colour: unknown key"),
    ("top level not a mapping", ["a", "b"], r"org\.yaml: \(top level\): expected a mapping"),
    (
        "unknown signature key",
        {"signatures": [signature(colour="blue")]},
        r"org\.yaml: signatures\[0\]\.colour: unknown key",
    ),
    (
        "missing required key",
        {"signatures": [{k: v for k, v in ORG_SIGNATURE.items() if k != "patterns"}]},
        r"org\.yaml: signatures\[0\]\.patterns: missing required key",
    ),
    (
        "wrong type",
        {"signatures": [signature(patterns="cgw-417")]},
        r"org\.yaml: signatures\[0\]\.patterns: expected a list, got str",
    ),
    (
        "wrong type of priority",
        {"signatures": [signature(priority="high")]},
        r"org\.yaml: signatures\[0\]\.priority: expected an integer",
    ),
    (
        "regex does not compile",
        {"signatures": [ORG_SIGNATURE, signature(id="second", patterns=["ok", "(unclosed"])]},
        r"org\.yaml: signatures\[1\]\.patterns\[1\]: regex does not compile",
    ),
    (
        "context regex does not compile",
        {"signatures": [signature(context=["[z-a]"])]},
        r"org\.yaml: signatures\[0\]\.context\[0\]: regex does not compile",
    ),
    (
        "lookbehinds before a word boundary",
        {"signatures": [signature(patterns=["cgw-417|(?<!no )\\bgateway refused"])]},
        r"org\.yaml: signatures\[0\]\.patterns\[0\]: write \\b before the lookbehinds",
    ),
    (
        "neither patterns nor phrases",
        {"signatures": [{k: v for k, v in ORG_SIGNATURE.items() if k != "patterns"}]},
        r"org\.yaml: signatures\[0\]\.patterns: missing required key \(or give phrases\)",
    ),
    (
        "empty patterns and phrases",
        {"signatures": [signature(patterns=[], phrases=[])]},
        r"org\.yaml: signatures\[0\]\.patterns: must list at least one pattern or phrase",
    ),
    (
        "phrase of two words",
        {"signatures": [signature(phrases=["partner gateway refused", "gateway refused"])]},
        r"org\.yaml: signatures\[0\]\.phrases\[1\]: a phrase needs at least 3 words",
    ),
    (
        "phrase that is not text",
        {"signatures": [signature(phrases=[417])]},
        r"org\.yaml: signatures\[0\]\.phrases\[0\]: expected a string, got int",
    ),
    (
        "phrase alternative of two words",
        {"signatures": [signature(phrases=["partner gateway refused|turned/away chat"])]},
        r"org\.yaml: signatures\[0\]\.phrases\[0\]: each alternative .* must be one word",
    ),
    (
        "phrase that swallows a shipped near-miss",
        {
            "signatures": [
                signature(phrases=["because the mailbox is full"], keywords=["cgw-", "mailbox"])
            ]
        },
        r"org\.yaml: signatures\[0\]\.phrases: near-miss is recognised as "
        r"'contoso_gateway_refused'.*\(signatures\.yaml: signatures\[\d+\]\.negatives\[\d+\]\)",
    ),
    (
        "duplicate signature ids",
        {"signatures": [ORG_SIGNATURE, ORG_SIGNATURE]},
        r"org\.yaml: signatures\[1\]\.id: duplicate id 'contoso_gateway_refused'",
    ),
    (
        "dangling cause",
        {"signatures": [signature(likely_causes=["domain_permissions", "bad_karma"])]},
        r"org\.yaml: signatures\[0\]\.likely_causes\[1\]: unknown cause 'bad_karma'",
    ),
    (
        "dangling symptom",
        {"signatures": [signature(symptom="printer_on_fire")]},
        r"org\.yaml: signatures\[0\]\.symptom: unknown symptom 'printer_on_fire'",
    ),
    (
        "dangling contact type",
        {"signatures": [signature(contact_type="carrier_pigeon")]},
        r"org\.yaml: signatures\[0\]\.contact_type: unknown contact type 'carrier_pigeon'",
    ),
    (
        "example that does not match",
        {"signatures": [signature(examples=[ORG_SIGNATURE["examples"][0], "CGW-417 all good"])]},
        r"org\.yaml: signatures\[0\]\.examples\[1\]: no pattern or phrase matches",
    ),
    (
        "example without a keyword",
        {"signatures": [signature(keywords=["gateway-x"])]},
        r"org\.yaml: signatures\[0\]\.examples\[0\]: contains none of the keywords",
    ),
    (
        "negative that matches",
        {"signatures": [signature(negatives=["CGW-500 partner gateway refused, retrying"])]},
        r"org\.yaml: signatures\[0\]\.negatives\[0\]: near-miss is recognised as "
        r"'contoso_gateway_refused'",
    ),
    (
        "signature that swallows a shipped near-miss",
        {
            "signatures": [
                signature(
                    patterns=["cgw-", "skype for business online will be retired"],
                    keywords=["cgw-", "retired"],
                )
            ]
        },
        r"org\.yaml: signatures\[0\]\.patterns: near-miss is recognised as "
        r"'contoso_gateway_refused'.*\(signatures\.yaml: signatures\[\d+\]\.negatives\[\d+\]\)",
    ),
    (
        "signature that shadows a shipped example",
        {
            "signatures": [
                signature(
                    patterns=["cgw-", "presence unknown"],
                    keywords=["cgw-", "presence"],
                    priority=99,
                )
            ]
        },
        r"org\.yaml: signatures\[0\]\.patterns: example is recognised as "
        r"'contoso_gateway_refused'.*instead of 'presence_unknown'",
    ),
    (
        "signature without a source",
        {"signatures": [{k: v for k, v in ORG_SIGNATURE.items() if k != "source"}]},
        r"org\.yaml: signatures\[0\]\.source: missing required key",
    ),
    (
        "signature with an empty source",
        {"signatures": [ORG_SIGNATURE, signature(id="second", source="  ")]},
        r"org\.yaml: signatures\[1\]\.source: must not be empty",
    ),
    (
        "signature with an empty source list",
        {"signatures": [signature(source=[])]},
        r"org\.yaml: signatures\[0\]\.source: must not be empty",
    ),
    (
        "exclude regex that does not compile",
        {"signatures": [signature(exclude=["ok", "(?<=a+)b"])]},
        r"org\.yaml: signatures\[0\]\.exclude\[1\]: regex does not compile",
    ),
    (
        "context window out of range",
        {"signatures": [signature(context=["refused"], context_window=99999)]},
        r"org\.yaml: signatures\[0\]\.context_window: Input should be less than or equal",
    ),
    (
        "quote with an unknown placeholder",
        {"signatures": [signature(quote="code {code} from {host}")]},
        r"org\.yaml: signatures\[0\]\.quote: only \{code\} and \{reason\} may be filled in",
    ),
    (
        "unknown_codes not a boolean",
        {"signatures": [signature(unknown_codes="yes")]},
        r"org\.yaml: signatures\[0\]\.unknown_codes: expected true or false, got str",
    ),
    (
        "bad keyword",
        {"signatures": [signature(keywords=["Has Space"])]},
        r"org\.yaml: signatures\[0\]\.keywords\[0\]: keyword 'Has Space' must be lower case",
    ),
    (
        "unknown cause override",
        {"causes": [{"id": "gremlins", "title": "Gremlins"}]},
        r"org\.yaml: causes\[0\]\.id: unknown id 'gremlins'",
    ),
    (
        "unknown key in a cause override",
        {"causes": [{"id": "federation_srv", "resolution": "contact_format"}]},
        r"org\.yaml: causes\[0\]\.resolution: unknown key",
    ),
    (
        "check meaning for a cause without a check",
        {"causes": [{"id": "contacts_permissions", "check_meaning": {"ok": "fine"}}]},
        r"org\.yaml: causes\[0\]\.check_meaning: cause 'contacts_permissions' has no live check",
    ),
    (
        "unknown resolution override",
        {"resolutions": [{"id": "reboot", "title": "Reboot"}]},
        r"org\.yaml: resolutions\[0\]\.id: unknown id 'reboot'",
    ),
    (
        "resolution steps of the wrong type",
        {"resolutions": [{"id": "federation_srv", "steps": [1, 2]}]},
        r"org\.yaml: resolutions\[0\]\.steps\[0\]: expected a string, got int",
    ),
    (
        "message that is not a string",
        {"messages": {"welcome": ["not", "text"]}},
        r"org\.yaml: messages\.welcome: expected a string, got list",
    ),
    (
        "misspelt message key",
        {"messages": {"welcom": "Hello"}},
        r"org\.yaml: messages\.welcom: unknown message key",
    ),
    (
        "message placeholder the code does not fill",
        {"messages": {"welcome": "Hi {name}"}},
        r"org\.yaml: messages\.welcome: placeholder \{name\} is not filled in .*allowed here: none",
    ),
    (
        "message placeholder of another message",
        {"messages": {"fedcheck.title": "Check of {domain} for {input}"}},
        r"org\.yaml: messages\.fedcheck\.title: placeholder \{input\} .*allowed here: \{domain\}",
    ),
    (
        "message with broken placeholder syntax",
        {"messages": {"fedcheck.title": "Check of {domain"}},
        r"org\.yaml: messages\.fedcheck\.title: bad placeholder syntax",
    ),
    (
        "message with an attribute placeholder",
        {"messages": {"fedcheck.title": "Check of {domain.upper}"}},
        r"org\.yaml: messages\.fedcheck\.title: bad placeholder \{domain\.upper\}",
    ),
    (
        "finding code the check does not have",
        {"findings": {"dns_timeot": {"message": "Slow DNS"}}},
        r"org\.yaml: findings\.dns_timeot: unknown finding code",
    ),
    (
        "finding placeholder the judge does not fill",
        {"findings": {"dns_timeout": {"message": "Slow DNS for {user}"}}},
        r"org\.yaml: findings\.dns_timeout\.message: placeholder \{user\} is not filled",
    ),
    (
        "finding variant the judge does not use",
        {"findings": {"federation_srv_missing": {"variants": {"typo": "x"}}}},
        r"org\.yaml: findings\.federation_srv_missing\.variants\.typo: unknown variant",
    ),
    (
        "finding severity in an override",
        {"findings": {"dns_timeout": {"severity": "info"}}},
        r"org\.yaml: findings\.dns_timeout\.severity: unknown key",
    ),
    (
        "unknown cloud",
        {"clouds": {"mars": "Mars cloud"}},
        r"org\.yaml: clouds\.mars: unknown cloud",
    ),
    (
        "empty cloud name",
        {"clouds": {"dod": " "}},
        r"org\.yaml: clouds\.dod: must not be empty",
    ),
    (
        "invalid-domain reason with a placeholder of another reason",
        {"invalid_domain": {"empty": "{label} is empty"}},
        r"org\.yaml: invalid_domain\.empty: placeholder \{label\} is not filled",
    ),
    (
        "messages not a mapping",
        {"messages": ["welcome"]},
        r"org\.yaml: messages: expected a mapping",
    ),
    (
        "home domain that is not a domain",
        {"home_domains": ["contoso.com", "not a domain"]},
        r"org\.yaml: home_domains\[1\]: not a domain name: 'not a domain'",
    ),
    (
        "escalation ticket url that is not a URL",
        {"escalation": {"ticket_url": "javascript:alert(1)"}},
        r"org\.yaml: escalation\.ticket_url: not an http\(s\) URL",
    ),
    (
        "cause check meaning for a status the check does not have",
        {"causes": [{"id": "federation_srv", "check_meaning": {"maybe": "Perhaps."}}]},
        r"org\.yaml: causes\[0\]\.check_meaning\.maybe: unknown key \(allowed: 'ok', 'problem'",
    ),
    (
        "resolution without steps",
        {"resolutions": [{"id": "federation_srv", "steps": []}]},
        r"org\.yaml: resolutions\[0\]\.steps: must list at least one entry",
    ),
    (
        "cause id that is not an id",
        {"causes": [{"id": "Federation SRV", "title": "x"}]},
        r"org\.yaml: causes\[0\]\.id: invalid id 'Federation SRV'",
    ),
    (
        "escalation with an unknown key",
        {"escalation": {"phone": "4711"}},
        r"org\.yaml: escalation\.phone: unknown key",
    ),
    (
        "escalation links not a list",
        {"escalation": {"links": "https://wiki.contoso.com"}},
        r"org\.yaml: escalation\.links: expected a list, got str",
    ),
    (
        "escalation contact that is not text",
        {"escalation": {"contact": 4711}},
        r"org\.yaml: escalation\.contact: expected a string, got int",
    ),
    (
        "escalation link without url",
        {"escalation": {"links": [{"title": "Wiki"}]}},
        r"org\.yaml: escalation\.links\[0\]\.url: missing required key",
    ),
    ("invalid YAML", "signatures: [\n  - id: x\n  title: [", r"org\.yaml: line \d+, column \d+: "),
    (
        "a key written twice (YAML would keep the last silently)",
        "escalation:\n  contact: Desk\n  contact: Other desk\n",
        r"org\.yaml: line 3, column 3: invalid YAML: key 'contact' appears twice",
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_override_errors_name_file_and_key(tmp_path: Path, data: object, expected: str) -> None:
    message = org_error(tmp_path, data)
    assert re.match(expected, message), message


def test_missing_override_file_is_a_knowledge_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"nothere\.yaml: \(file\): no such file"):
        load_knowledge(str(tmp_path / "nothere.yaml"))


def test_binary_override_is_a_knowledge_error(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(KnowledgeError, match=r"org\.yaml: \(file\): not UTF-8"):
        load_knowledge(str(path))


def test_error_in_second_file_of_a_directory_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "10-escalation.yaml", {"escalation": {"contact": "Desk"}})
    write(tmp_path / "20-signatures.yaml", {"signatures": [signature(symptom="nope")]})
    with pytest.raises(KnowledgeError, match=r"^20-signatures\.yaml: signatures\[0\]\.symptom"):
        load_knowledge(str(tmp_path))


# --- validation of the base files (edited copies of the shipped data) ----------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Callable[[str, Callable[[Any], None]], str]:
    """Copy the shipped data, let the test edit one file, load it and return the error."""

    def edit_and_load(file: str, change: Callable[[Any], None]) -> str:
        target = tmp_path / "data"
        shutil.copytree(DATA_DIR, target)
        doc = yaml.safe_load((target / file).read_text())
        change(doc)
        write(target / file, doc)
        with pytest.raises(KnowledgeError) as info:
            load_knowledge_dir(target)
        return str(info.value)

    return edit_and_load


def _cause(doc: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(c for c in doc["causes"] if c["id"] == ident)


BASE_CASES: list[tuple[str, str, Callable[[Any], None], str]] = [
    (
        "missing table cell",
        "article.yaml",
        lambda d: d["table"].pop(),
        r"article\.yaml: table: missing cell public_im/all",
    ),
    (
        "duplicate table cell",
        "article.yaml",
        lambda d: d["table"].append(dict(d["table"][0])),
        r"article\.yaml: table\[6\]: duplicate cell external_org/one",
    ),
    (
        "cell naming an unknown cause",
        "article.yaml",
        lambda d: d["table"][2]["causes"].append("solar_flare"),
        r"article\.yaml: table\[2\]\.causes\[2\]: unknown cause 'solar_flare'",
    ),
    (
        "cell naming an unknown scope",
        "article.yaml",
        lambda d: d["table"][1].update(scope="some"),
        r"article\.yaml: table\[1\]\.scope: unknown scope 'some'",
    ),
    (
        "cause naming an unknown resolution",
        "article.yaml",
        lambda d: _cause(d, "federation_srv").update(resolution="pray"),
        r"article\.yaml: causes\[\d+\]\.resolution: unknown resolution 'pray'",
    ),
    (
        "cause limited to an unknown contact type",
        "article.yaml",
        lambda d: _cause(d, "not_supported").update(contact_types=["pigeon_post"]),
        r"article\.yaml: causes\[\d+\]\.contact_types\[0\]: unknown contact type 'pigeon_post'",
    ),
    (
        "cause standing for an unknown cause",
        "article.yaml",
        lambda d: _cause(d, "meeting_external_access").update(stands_for=["sunspots"]),
        r"article\.yaml: causes\[\d+\]\.stands_for\[0\]: unknown cause 'sunspots'",
    ),
    (
        "example domain that is not a domain",
        "article.yaml",
        lambda d: d.update(example_domains=["contoso.com", "fabrikam"]),
        r"article\.yaml: example_domains\[1\]: not a domain name: 'fabrikam'",
    ),
    (
        "duplicate cause id",
        "article.yaml",
        lambda d: d["causes"].append(dict(d["causes"][0])),
        r"article\.yaml: causes\[\d+\]\.id: duplicate id 'contacts_permissions'",
    ),
    (
        "duplicate symptom id",
        "article.yaml",
        lambda d: d["symptoms"].append(dict(d["symptoms"][1])),
        r"article\.yaml: symptoms\[3\]\.id: duplicate id 'presence_unknown'",
    ),
    (
        "unknown follow-up cause",
        "article.yaml",
        lambda d: d.update(follow_up_causes=["edge_connectivity", "moon_phase"]),
        r"article\.yaml: follow_up_causes\[1\]: unknown cause 'moon_phase'",
    ),
    (
        "unknown check kind",
        "article.yaml",
        lambda d: _cause(d, "federation_srv").update(check="ping"),
        r"article\.yaml: causes\[\d+\]\.check: unknown check 'ping'",
    ),
    (
        "check meaning incomplete",
        "article.yaml",
        lambda d: _cause(d, "federation_srv")["check_meaning"].pop("dns_error"),
        r"article\.yaml: causes\[\d+\]\.check_meaning\.dns_error: missing required key",
    ),
    (
        "missing escalation",
        "article.yaml",
        lambda d: d.pop("escalation"),
        r"article\.yaml: escalation: missing required key",
    ),
    (
        "resolution link that is not a URL",
        "article.yaml",
        lambda d: d["resolutions"][0]["links"][0].update(url="support.microsoft.com/help"),
        r"article\.yaml: resolutions\[0\]\.links\[0\]\.url: not an http\(s\) URL",
    ),
    (
        "duplicate shipped signature id",
        "signatures.yaml",
        lambda d: d["signatures"].append(dict(d["signatures"][0])),
        r"signatures\.yaml: signatures\[\d+\]\.id: duplicate id",
    ),
    (
        "shipped signature pattern that does not compile",
        "signatures.yaml",
        lambda d: d["signatures"][3]["patterns"].append("a{2,1}"),
        r"signatures\.yaml: signatures\[3\]\.patterns\[\d+\]: regex does not compile",
    ),
    (
        "shipped signature without a source",
        "signatures.yaml",
        lambda d: d["signatures"][2].pop("source"),
        r"signatures\.yaml: signatures\[2\]\.source: missing required key",
    ),
    (
        "shipped signature with an unknown key",
        "signatures.yaml",
        lambda d: d["signatures"][1].update(severity="high"),
        r"signatures\.yaml: signatures\[1\]\.severity: unknown key",
    ),
    (
        "shipped exclude regex that does not compile",
        "signatures.yaml",
        lambda d: d["signatures"][0]["exclude"].append("[z-a]"),
        r"signatures\.yaml: signatures\[0\]\.exclude\[1\]: regex does not compile",
    ),
    (
        "stated symptom phrase too short",
        "signatures.yaml",
        lambda d: d["stated_symptoms"][2]["phrases"].append("status unknown"),
        r"signatures\.yaml: stated_symptoms\[2\]\.phrases\[\d+\]: a phrase needs at least 3",
    ),
    (
        "code table row without a source",
        "diagnostics.yaml",
        lambda d: d["codes"][1].pop("source"),
        r"diagnostics\.yaml: codes\[1\]\.source: missing required key",
    ),
    (
        "code table row with an unknown key",
        "diagnostics.yaml",
        lambda d: d["codes"][0].update(severity="high"),
        r"diagnostics\.yaml: codes\[0\]\.severity: unknown key",
    ),
    (
        "code table phrase with a bad alternative",
        "diagnostics.yaml",
        lambda d: d["codes"][0]["phrases"].append("partner refused|turned/away the chat"),
        r"diagnostics\.yaml: codes\[0\]\.phrases\[1\]: each alternative",
    ),
    (
        "code table row without code or id",
        "diagnostics.yaml",
        lambda d: d["codes"][0].update(code=None),
        r"diagnostics\.yaml: codes\[0\]: a row without a code needs an id",
    ),
    (
        "code table row known by wording that has a code",
        "diagnostics.yaml",
        lambda d: d["codes"][0].update(known_from="wording"),
        r"diagnostics\.yaml: codes\[0\]: known_from is 'wording' exactly for a row without a code",
    ),
    (
        "code table row with an unknown confirmation",
        "diagnostics.yaml",
        lambda d: d["codes"][0].update(known_from="rumour"),
        r"diagnostics\.yaml: codes\[0\]\.known_from: unknown known_from 'rumour'",
    ),
    (
        "code table code that is not a number",
        "diagnostics.yaml",
        lambda d: d["codes"][0].update(code="1001a"),
        r"diagnostics\.yaml: codes\[0\]\.code: expected an integer, got str",
    ),
    (
        "finding with an unknown severity",
        "findings.yaml",
        lambda d: d["findings"]["dns_timeout"].update(severity="fatal"),
        r"findings\.yaml: findings\.dns_timeout\.severity: unknown severity 'fatal' \(one of 'ok'",
    ),
    (
        "finding without a message",
        "findings.yaml",
        lambda d: d["findings"]["dns_timeout"].pop("message"),
        r"findings\.yaml: findings\.dns_timeout\.message: missing required key",
    ),
    (
        "finding message that is not text",
        "findings.yaml",
        lambda d: d["findings"]["dns_timeout"].update(message=["x"]),
        r"findings\.yaml: findings\.dns_timeout\.message: expected a string, got list",
    ),
    (
        "finding with broken placeholder syntax",
        "findings.yaml",
        lambda d: d["findings"]["dns_timeout"].update(message="DNS for {domain timed out"),
        r"findings\.yaml: findings\.dns_timeout\.message: bad placeholder syntax",
    ),
    (
        "cloud edge that is not a host name",
        "clouds.yaml",
        lambda d: d["clouds"]["dod"].update(federation_edge="sipfed online"),
        r"clouds\.yaml: clouds\.dod\.federation_edge: String should match pattern",
    ),
    (
        "suffix claimed by two clouds",
        "clouds.yaml",
        lambda d: d["clouds"]["dod"]["suffixes"].append("lync.com"),
        r"clouds\.yaml: clouds\.dod\.suffixes\[1\]: suffix 'lync\.com' already belongs to "
        r"cloud 'commercial'",
    ),
    (
        "cloud without a display name",
        "clouds.yaml",
        lambda d: d["clouds"].update(mars=dict(d["clouds"]["dod"], suffixes=["mars.example"])),
        r"clouds\.yaml: clouds\.mars: cloud has no display name",
    ),
    (
        "cloud with an unknown key",
        "clouds.yaml",
        lambda d: d["clouds"]["dod"].update(port=443),
        r"clouds\.yaml: clouds\.dod\.port: unknown key",
    ),
    (
        "federation port out of range",
        "clouds.yaml",
        lambda d: d.update(federation_port=70000),
        r"clouds\.yaml: federation_port: Input should be less than or equal to 65535",
    ),
    (
        "described lexicon word not a regex",
        "described.yaml",
        lambda d: d["lexicons"]["failure"]["words"]["de"].append("kann (nicht"),
        r"described\.yaml: lexicons\.failure\.words\.de\[\d+\]: .*regex does not compile",
    ),
    (
        "described lexicon missing",
        "described.yaml",
        lambda d: d["lexicons"].pop("silence"),
        r"described\.yaml: .*lexicons missing: \['silence'\]",
    ),
    (
        "described lexicon without a source",
        "described.yaml",
        lambda d: d["lexicons"]["external"].pop("source"),
        r"described\.yaml: lexicons\.external\.source: ",
    ),
    (
        "described symptom names an unknown signature",
        "described.yaml",
        lambda d: d["signatures"].update(presence_unknown="no_such_signature"),
        r"described\.yaml: signatures\.presence_unknown: unknown signature 'no_such_signature'",
    ),
    (
        "messages not a mapping",
        "messages.yaml",
        lambda d: d.clear() or d.update({"0": 1}),
        r"messages\.yaml: 0: expected a string, got int",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "expected"), [c[1:] for c in BASE_CASES], ids=[c[0] for c in BASE_CASES]
)
def test_base_file_errors_name_file_and_key(
    data_copy: Callable[[str, Callable[[Any], None]], str],
    file: str,
    change: Callable[[Any], None],
    expected: str,
) -> None:
    message = data_copy(file, change)
    assert re.match(expected, message), message


def test_unmodified_copy_of_the_data_loads(tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    copy = load_knowledge_dir(tmp_path / "data")
    assert copy == load_knowledge_dir(DATA_DIR)
    assert [s.id for s in copy.signatures] == [s.id for s in load_knowledge().signatures]


# --- what an override does --------------------------------------------------------------------


def test_escalation_override_keeps_what_it_does_not_set(tmp_path: Path) -> None:
    shipped = load_knowledge().escalation
    org = write(
        tmp_path / "org.yaml",
        {
            "escalation": {
                "contact": "IT service desk, +1 555 0100",
                "ticket_url": "https://tickets.contoso.com/new?queue=uc",
            }
        },
    )
    escalation = load_knowledge(str(org)).escalation
    assert escalation.contact == "IT service desk, +1 555 0100"
    assert escalation.ticket_url == "https://tickets.contoso.com/new?queue=uc"
    assert escalation.text == shipped.text and escalation.links == shipped.links
    assert load_knowledge().escalation == shipped  # the shipped knowledge is untouched


def test_override_adds_a_signature_that_triage_then_recognises(tmp_path: Path) -> None:
    kb = load_knowledge(str(write(tmp_path / "org.yaml", {"signatures": [ORG_SIGNATURE]})))
    found = triage("12:00 ERROR CGW-503 Partner gateway refused anna@fabrikam.com", kb)
    assert found.signature is not None and found.signature.id == "contoso_gateway_refused"
    assert found.domains == ("fabrikam.com",)
    assert not triage("CGW-503 Partner gateway refused", load_knowledge()).recognized


def test_override_signature_with_phrases_recognises_variants(tmp_path: Path) -> None:
    phrased = signature(
        id="contoso_gateway_phrase",
        patterns=[],
        phrases=["partner gateway refused the request"],
        keywords=["gateway"],
        examples=["Partner gateway refused the request from anna@fabrikam.com"],
        negatives=["the partner gateway is up again"],
    )
    kb = load_knowledge(str(write(tmp_path / "org.yaml", {"signatures": [phrased]})))
    variant = "> our partner gateway has\n> refused the  requests, again (2x)"
    found = triage(variant, kb)
    assert found.signature is not None and found.signature.id == "contoso_gateway_phrase"
    assert not triage("the gateway refused the partner request", kb).recognized  # in order


def test_override_replaces_a_shipped_signature_by_id(tmp_path: Path) -> None:
    german = {
        "id": "presence_unknown",
        "title": "Anwesenheit unbekannt",
        "meaning": "Der Status des externen Kontakts ist unbekannt.",
        "patterns": [r"\banwesenheit unbekannt\b", r"\bpresence unknown\b"],
        "keywords": ["anwesenheit", "presence"],
        "symptom": "presence_unknown",
        "likely_causes": ["contacts_permissions"],
        "examples": ["Status: Anwesenheit unbekannt", "Presence Unknown"],
        "source": "German Teams client, contact card",
    }
    kb = load_knowledge(str(write(tmp_path / "org.yaml", {"signatures": [german]})))
    ids = [s.id for s in kb.signatures]
    assert ids == [s.id for s in load_knowledge().signatures]  # replaced in place, not added
    found = triage("Bei allen Kontakten steht ANWESENHEIT UNBEKANNT", kb)
    assert found.signature is not None and found.signature.title == "Anwesenheit unbekannt"


def test_override_texts_home_domains_and_messages(tmp_path: Path) -> None:
    shipped = load_knowledge()
    org = write(
        tmp_path / "org.yaml",
        {
            "home_domains": ["Contoso.com", "contoso.co.uk."],
            "messages": {"welcome": "Hello from Contoso IT."},
            "causes": [
                {
                    "id": "federation_srv",
                    "title": "Our SRV record (ask DNS team)",
                    "check_meaning": {"problem": "Open a DNS ticket."},
                }
            ],
            "resolutions": [{"id": "federation_srv", "notes": ["DNS is run by the NOC."]}],
        },
    )
    kb = load_knowledge(str(org))
    assert kb.home_domains == ("contoso.com", "contoso.co.uk")
    assert kb.messages["welcome"] == "Hello from Contoso IT."
    assert {k for k in kb.messages if kb.messages[k] != shipped.messages[k]} == {"welcome"}
    cause = kb.causes["federation_srv"]
    assert cause.title == "Our SRV record (ask DNS team)"
    assert cause.check_meaning["problem"] == "Open a DNS ticket."
    assert cause.check_meaning["ok"] == shipped.causes["federation_srv"].check_meaning["ok"]
    resolution = kb.resolutions["federation_srv"]
    assert resolution.notes == ("DNS is run by the NOC.",)
    assert resolution.steps == shipped.resolutions["federation_srv"].steps


def test_directory_override_applies_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path / "20-later.yaml", {"escalation": {"contact": "Second"}})
    write(
        tmp_path / "10-first.yaml",
        {"escalation": {"contact": "First", "ticket_url": ""}, "signatures": [ORG_SIGNATURE]},
    )
    (tmp_path / "notes.txt").write_text("not yaml: [")
    kb = load_knowledge(str(tmp_path))
    assert kb.escalation.contact == "Second"
    assert "contoso_gateway_refused" in {s.id for s in kb.signatures}


def test_empty_override_file_changes_nothing(tmp_path: Path) -> None:
    assert load_knowledge(str(write(tmp_path / "org.yaml", ""))) == load_knowledge()


def test_priority_orders_signatures_and_ties_keep_file_order(tmp_path: Path) -> None:
    low = signature(id="org_low", priority=-5)
    kb = load_knowledge(str(write(tmp_path / "org.yaml", {"signatures": [low]})))
    priorities = [s.priority for s in kb.signatures]
    assert priorities == sorted(priorities, reverse=True)
    assert kb.signatures[-1].id == "org_low"


def test_override_rewords_the_check_and_federation_uses_it(tmp_path: Path) -> None:
    from federation.texts import load_texts, texts_of

    org = {
        "clouds": {"gcc_high": "US Government (GCC High)"},
        "findings": {"dns_timeout": {"message": "DNS for {name} is slow; call the NOC."}},
        "invalid_domain": {"empty": "Please type a domain."},
    }
    texts = texts_of(load_knowledge(str(write(tmp_path / "org.yaml", org))))
    assert texts.cloud_label("gcc_high") == "US Government (GCC High)"
    assert texts.cloud_label("dod") == load_texts().cloud_label("dod")
    finding = texts.finding("dns_timeout", name="contoso.com", detail="")
    assert finding.message == "DNS for contoso.com is slow; call the NOC."
    assert finding.severity == load_texts().finding("dns_timeout", name="x", detail="").severity
    assert texts.invalid_reason("empty") == "Please type a domain."
    assert load_texts().cloud_label("gcc_high") != "US Government (GCC High)"  # shipped untouched


def test_cloud_suffixes_most_specific_first() -> None:
    suffixes = [suffix for suffix, _ in load_knowledge().clouds.suffixes]
    assert suffixes.index("gov.skypeforbusiness.us") < suffixes.index("skypeforbusiness.us")
    assert suffixes.index("messenger.msn.com") < suffixes.index("msn.com")
    assert dict(load_knowledge().clouds.suffixes)["dod.skypeforbusiness.us"] == "dod"
