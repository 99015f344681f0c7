"""Turn what people type or paste (domains, e-mail / SIP addresses, URLs, record names) into a
checkable DNS domain in ASCII (punycode) form, or an :class:`InvalidDomain` with a reason code.

Pure and total: never raises, whatever the text.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, unquote, urlsplit

import idna

from federation.model import InvalidDomain
from federation.texts import load_texts

MAX_INPUT = 1024
MAX_NAME = 253
MAX_LABEL = 63

_SCHEMES = ("sips:", "sip:", "mailto:", "im:", "pres:", "xmpp:")
# Record names people paste instead of the domain itself.
_RECORD_PREFIXES = ("_sipfederationtls._tcp.", "_sip._tls.", "_sip._tcp.", "lyncdiscover.")
_SURROUNDING = " \t\r\n\"'`<>(){},;!?*"
_BAD_CHARS = re.compile(r"[^a-z0-9.\-]")
# The article's message glues the address to the next word: "joe@contoso.combecause the ...".
_GLUED_BECAUSE = re.compile(r"^(.*\.[a-z]{2,})because$", re.IGNORECASE)
# Invisible characters that ride along with copied text: zero-width, BOM, soft hyphen, direction
# marks and isolates are dropped; no-break and narrow spaces become spaces.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF]
)
_SPACES = dict.fromkeys([0x00A0, 0x2007, 0x202F, 0x3000], " ")
# Full stops of other scripts (IDNA treats them as dots) and typographic quotes.
_LOOKALIKES = {0x3002: ".", 0xFF0E: ".", 0xFF61: ".", **dict.fromkeys(map(ord, "“”„‘’‚«»‹›"), '"')}
# Slack's link markup: <mailto:joe@contoso.com|joe@contoso.com>, <https://contoso.com|contoso.com>
_SLACK_LINK = re.compile(r"<([^<>|\s]+)\|[^<>]*>")
# Teams deep links name people in ``users=`` (comma separated), e.g.
# https://teams.microsoft.com/l/chat/0/0?users=joe@contoso.com or msteams:/l/chat/0/0?users=...
_DEEP_LINK = re.compile(
    r"^(?:https?://teams\.(?:microsoft|live|cloud\.microsoft)\.[a-z.]+|msteams:)/l/", re.I
)
_ADDRESS = re.compile(
    r"(?:sips?:|mailto:)?([^\s<>\"'(),;:\[\]@]{1,64})@([^\s<>\"'(),;:\[\]@/?#]{1,300})"
)


def _invalid(text: str, code: str, **values: str) -> InvalidDomain:
    reason = load_texts().invalid_reason(code, **values)
    return InvalidDomain(input=text, reason=reason, extra={"code": code, **values})


def clean_text(text: str) -> str:
    """``text`` without invisible characters, with no-break spaces as plain spaces."""
    cleaned = text.translate(_INVISIBLE).translate(_SPACES).translate(_LOOKALIKES)
    return _SLACK_LINK.sub(r"<\1>", cleaned)


def _deep_link_users(text: str) -> list[str] | None:
    """The people a Teams deep link names (``users=``), or None when ``text`` is no deep link."""
    value = text.strip().strip(_SURROUNDING)
    if not _DEEP_LINK.match(value):
        return None
    try:
        query = parse_qs(urlsplit(value).query)
    except ValueError:
        return []
    users = [u for v in query.get("users", []) for u in unquote(v).split(",")]
    return [u.strip() for u in users if "@" in u]


def _candidates(text: str) -> list[str]:
    """The separate things named in ``text``: a deep link's users, every address, or the words
    that look like domains (``a.com b.com``, ``a.com, b.com``, ``a@x.com; b@y.com``)."""
    users = _deep_link_users(text)
    if users is not None:
        return users
    addresses = [m.group(0) for m in _ADDRESS.finditer(text)]
    if addresses:
        return addresses
    words = [w for w in re.split(r"[\s,;]+", text) if w and "=" not in w]
    dotted = [w for w in words if "." in w.strip(_SURROUNDING + ".")]
    return dotted if len(dotted) > 1 else [text]


def _host_part(text: str) -> str:
    """Strip wrapping, schemes, user parts, paths and ports; return what should be a host name."""
    host = text.strip().strip(_SURROUNDING)
    lowered = host.lower()
    if "://" in host:
        try:
            host = urlsplit(host).netloc or host.split("://", 1)[1]
        except ValueError:
            host = host.split("://", 1)[1]
        lowered = host.lower()
    for scheme in _SCHEMES:
        if lowered.startswith(scheme):
            host = host[len(scheme) :]
            break
    host = re.split(r"[;>/?#]", host, maxsplit=1)[0]
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    host = host.strip(_SURROUNDING)
    if host.startswith("[") and "]" in host:  # [IPv6] or [IPv6]:port
        return host[1 : host.index("]")]
    if host.count(":") == 1:  # host:port
        name, _, port = host.partition(":")
        if port.isdigit() or port == "":
            host = name
    return host.strip(_SURROUNDING)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def parse_domains(text: str) -> list[str] | InvalidDomain:
    """Every distinct domain ``text`` names (two pasted addresses, a deep link to a group chat),
    in order; or why the text names none. Callers that take one domain use :func:`parse_domain`,
    which refuses several rather than silently picking one."""
    if not isinstance(text, str):
        return _invalid(repr(text), "empty")
    if len(text) > MAX_INPUT:
        return _invalid(text[:80] + "…", "input_too_long", length=str(len(text)))
    cleaned = clean_text(text)
    candidates = _candidates(cleaned)
    if not candidates:  # a deep link that names nobody (a meeting link carries a tenant ID)
        return _invalid(text, "teams_link")
    domains: list[str] = []
    for candidate in candidates:
        parsed = _parse_one(text if len(candidates) == 1 else candidate, candidate)
        if isinstance(parsed, InvalidDomain):
            return parsed
        if parsed not in domains:
            domains.append(parsed)
    return domains


def parse_domain(text: str) -> str | InvalidDomain:
    """The DNS domain in ``text`` (lower case, punycode, no trailing dot), or why there is none.
    Text naming several domains is refused (code ``several_domains``; ``extra["domains"]`` lists
    them, comma separated), never reduced to one of them."""
    parsed = parse_domains(text)
    if isinstance(parsed, InvalidDomain):
        return parsed
    if len(parsed) > 1:
        names = ", ".join(parsed)
        return InvalidDomain(
            input=text,
            reason=load_texts().invalid_reason("several_domains", names=names),
            extra={"code": "several_domains", "names": names, "domains": ",".join(parsed)},
        )
    return parsed[0]


def _parse_one(text: str, cleaned: str) -> str | InvalidDomain:
    """One candidate (``cleaned``) as a domain; refusals quote ``text``."""
    stripped = cleaned.strip().strip(_SURROUNDING.replace("*", ""))
    if "@" in stripped:
        stripped = stripped.rsplit("@", 1)[1]
    if stripped.startswith("*."):
        rest = parse_domain(stripped[2:])
        domain = rest if isinstance(rest, str) else stripped[2:]
        return InvalidDomain(
            input=text,
            reason=load_texts().invalid_reason("wildcard", host=stripped, domain=domain),
            extra={"code": "wildcard", "host": stripped, "domain": domain},
        )
    host = _host_part(cleaned)
    if not host:
        return _invalid(text, "empty")
    if _is_ip(host):
        return _invalid(text, "ip_address", host=host)
    host = host.lower()
    for prefix in _RECORD_PREFIXES:
        if host.startswith(prefix) and host.count(".") > prefix.count("."):
            host = host[len(prefix) :]
            break
    if host.endswith("."):
        host = host[:-1]
    if not host:
        return _invalid(text, "empty")
    labels = host.split(".")
    if len(labels) < 2:
        return _invalid(text, "single_label", host=host)
    problem = _label_problem(text, labels) if host.isascii() else None
    if problem is not None:
        return problem
    try:
        ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        bad = "".join(sorted({c for c in host if not (c.isalnum() or c in ".-")}))[:10]
        if bad:
            characters = bad.replace(" ", "space ").strip()
            return _invalid(text, "illegal_characters", host=host[:80], characters=characters)
        return _invalid(text, "bad_idn", host=host[:80])
    problem = _label_problem(text, ascii_host.split("."))
    if problem is not None:
        return problem
    return ascii_host


def _label_problem(text: str, labels: list[str]) -> InvalidDomain | None:
    """Why these (lower-case) labels are not a host name, checked in the order people fix them."""
    host = ".".join(labels)
    bad = "".join(sorted(set(_BAD_CHARS.findall(host)))).replace(" ", "space ")[:20]
    if bad and host.isascii():
        return _invalid(text, "illegal_characters", host=host[:80], characters=bad.strip())
    for label in labels:
        if not label:
            return _invalid(text, "empty_label", host=host[:80])
        if len(label) > MAX_LABEL:
            return _invalid(text, "label_too_long", label=label[:20] + "…", length=str(len(label)))
        if label.startswith("-") or label.endswith("-"):
            return _invalid(text, "bad_hyphen", host=host[:80], label=label[:63])
    if len(host) > MAX_NAME:
        return _invalid(text, "name_too_long", length=str(len(host)))
    if labels[-1].isdigit():
        return _invalid(text, "numeric_tld", host=host[:80])
    return None


def extract_address(text: str) -> str | None:
    """The first ``user@domain`` address in ``text``, normalised (domain as by parse_domain)."""
    if not isinstance(text, str):
        return None
    for match in _ADDRESS.finditer(clean_text(text[: MAX_INPUT * 64])):
        user, rest = match.group(1), _GLUED_BECAUSE.sub(r"\1", match.group(2))
        domain = parse_domain(rest)
        if isinstance(domain, str):
            return f"{user}@{domain}"
    return None
