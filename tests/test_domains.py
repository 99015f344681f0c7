"""parse_domain / extract_address: what people paste becomes a domain, or a reason to act on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.domains import extract_address, parse_domain, parse_domains
from federation.model import InvalidDomain


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("contoso.com", "contoso.com"),
        ("  Contoso.COM.  ", "contoso.com"),
        ("joe@contoso.com", "contoso.com"),
        ("Joe.Bloggs@Fabrikam.co.uk", "fabrikam.co.uk"),
        ("sip:joe@contoso.com", "contoso.com"),
        ("sips:joe@contoso.com", "contoso.com"),
        ("<sip:joe@contoso.com;transport=tls>", "contoso.com"),
        ("sip:joe@contoso.com:5061", "contoso.com"),
        ("mailto:joe@contoso.com", "contoso.com"),
        ("https://www.contoso.com/path?q=1#x", "www.contoso.com"),
        ("http://contoso.com:8080", "contoso.com"),
        ("contoso.com/teams", "contoso.com"),
        ("(contoso.com),", "contoso.com"),
        ('"contoso.com"', "contoso.com"),
        ("_sipfederationtls._tcp.contoso.com", "contoso.com"),
        ("_sipfederationtls._tcp.contoso.com.", "contoso.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("joe@straße.de", "xn--strae-oqa.de"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("x" * 63 + ".example", "x" * 63 + ".example"),
    ],
)
def test_accepted(text: str, domain: str) -> None:
    assert parse_domain(text) == domain


@pytest.mark.parametrize(
    ("text", "code", "hint"),
    [
        ("", "empty", "contoso.com"),
        ("   ", "empty", "contoso.com"),
        ("<>", "empty", "contoso.com"),
        ("192.0.2.1", "ip_address", "IP address"),
        ("sip:joe@192.0.2.1", "ip_address", "IP address"),
        ("2001:db8::1", "ip_address", "IP address"),
        ("[2001:db8::1]:5061", "ip_address", "IP address"),
        ("http://[::1]/", "ip_address", "IP address"),
        ("contoso", "single_label", "full domain"),
        ("joe@localhost", "single_label", "full domain"),
        ("x" * 64 + ".example", "label_too_long", "63"),
        (".".join(["abcdefghi"] * 26) + ".example", "name_too_long", "253"),
        ("contoso..com", "empty_label", "empty part"),
        ("con_toso.com", "illegal_characters", "_"),
        ("contoso .com", "illegal_characters", "space"),
        ("con$oso.com", "illegal_characters", "$"),
        ("☃.example", "illegal_characters", "☃"),
        ("-contoso.com", "bad_hyphen", "hyphen"),
        ("contoso-.com", "bad_hyphen", "hyphen"),
        ("xn--zz.com", "bad_idn", "international"),
        ("host.123", "numeric_tld", "number"),
        ("x" * 5000, "input_too_long", "5000"),
    ],
)
def test_refused_with_reason(text: str, code: str, hint: str) -> None:
    result = parse_domain(text)
    assert isinstance(result, InvalidDomain), result
    assert result.extra["code"] == code
    assert hint in result.reason
    assert len(result.reason) < 300


@given(st.text(max_size=400))
@settings(max_examples=400, deadline=None)
def test_never_raises(text: str) -> None:
    result = parse_domain(text)
    if isinstance(result, str):
        assert 0 < len(result) <= 253 and result.isascii() and result == result.lower()
        assert "." in result and not result.endswith(".")
    else:
        assert result.reason


@given(st.from_regex(r"[A-Za-z0-9.@:<>\[\]_\-/ ]{0,80}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_never_raises_on_domainish_text(text: str) -> None:
    parse_domain(text)
    extract_address(text)


@given(st.text(max_size=400))
def test_extract_address_never_raises(text: str) -> None:
    address = extract_address(text)
    assert address is None or "@" in address


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "This message was not delivered to joe@contoso-federated.com because the address",
            "joe@contoso-federated.com",
        ),
        (  # the article's missing space
            "This message was not delivered to joe@contoso-federated.combecause the address",
            "joe@contoso-federated.com",
        ),
        ("From: <sip:Joe.Bloggs@Fabrikam.COM>;tag=1", "Joe.Bloggs@fabrikam.com"),
        ("ask mailto:ann@bücher.example please", "ann@xn--bcher-kva.example"),
        ("no address here", None),
        ("joe@localhost", None),
    ],
)
def test_extract_address(text: str, address: str | None) -> None:
    assert extract_address(text) == address


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://teams.microsoft.com/l/chat/0/0?users=joe@contoso.com", "contoso.com"),
        (
            "https://teams.microsoft.com/l/chat/0/0?users=joe%40contoso.com&message=hi",
            "contoso.com",
        ),
        ("msteams:/l/chat/0/0?users=joe@contoso.com", "contoso.com"),
        ("sip:joe@contoso.com;transport=tls", "contoso.com"),
        ("sip:joe@contoso.com;transport=tls;maddr=192.0.2.1", "contoso.com"),
        ("\u200bjoe@contoso.com\u200b", "contoso.com"),
        ("\ufeffcontoso.com", "contoso.com"),
        ("\u00a0contoso.com\u00a0", "contoso.com"),
        ("con\u200btoso.com", "contoso.com"),
        ("\u200fcontoso.com\u200e", "contoso.com"),
        ("\u202bjoe@contoso.com\u202c", "contoso.com"),
        ("joe@contoso.com, ann@contoso.com", "contoso.com"),
        ("Joe Smith <joe@contoso.com>", "contoso.com"),
        ("<mailto:joe@contoso.com|joe@contoso.com>", "contoso.com"),
        ("<https://contoso.com|contoso.com>", "contoso.com"),
        ("\u201ccontoso.com\u201d", "contoso.com"),
        ("contoso\u3002com", "contoso.com"),
        ("sip:joe@contoso.com;user=phone", "contoso.com"),
        ("<sip:joe@contoso.com>;tag=abc", "contoso.com"),
    ],
)
def test_pasted_forms(text: str, domain: str) -> None:
    assert parse_domain(text) == domain


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("joe@contoso.com ann@fabrikam.com", ["contoso.com", "fabrikam.com"]),
        ("joe@contoso.com;ann@fabrikam.com", ["contoso.com", "fabrikam.com"]),
        ("contoso.com, fabrikam.com", ["contoso.com", "fabrikam.com"]),
        ("contoso.com fabrikam.com", ["contoso.com", "fabrikam.com"]),
        (
            "https://teams.microsoft.com/l/chat/0/0?users=joe@contoso.com,ann@fabrikam.com",
            ["contoso.com", "fabrikam.com"],
        ),
    ],
)
def test_two_domains_in_one_text_are_refused_naming_both(text: str, domains: list[str]) -> None:
    refused = parse_domain(text)
    assert isinstance(refused, InvalidDomain)
    assert refused.extra["code"] == "several_domains"
    assert refused.extra["domains"] == ",".join(domains)
    assert all(d in refused.reason for d in domains)
    assert parse_domains(text) == domains


@pytest.mark.parametrize("text", ["*.contoso.com", "joe@*.contoso.com", " *.contoso.com. "])
def test_wildcard_is_said_so(text: str) -> None:
    refused = parse_domain(text)
    assert isinstance(refused, InvalidDomain)
    assert refused.extra["code"] == "wildcard"
    assert "wildcard" in refused.reason and "contoso.com" in refused.reason


@pytest.mark.parametrize(
    "text",
    [
        "https://teams.microsoft.com/l/chat/0/0?users=28:abc-123",
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%7d",
    ],
)
def test_teams_link_without_an_address_is_refused(text: str) -> None:
    refused = parse_domain(text)
    assert isinstance(refused, InvalidDomain)
    assert refused.extra["code"] == "teams_link" and "address" in refused.reason
