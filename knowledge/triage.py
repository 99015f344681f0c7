"""Recognise pasted error messages: which known signature, symptom, likely causes, addresses.

Matching works on *normalised* text (:func:`normalise`): zero-width characters removed,
Slack/HTML markup and markdown emphasis/backticks stripped, e-mail quoting (``>``) removed,
typographic quotes unified, all whitespace (line wraps included) collapsed to one space,
lower-cased. Signature patterns are compiled case-insensitively and applied to that text.

Choosing a signature: signatures are tried in descending ``priority`` (equal priorities in the
order of the knowledge files, organisation overrides after the shipped ones); the first one whose
patterns match wins (when it has ``context`` patterns, one of them must also match within
``context_window`` characters). Signatures are only tried when one of their ``keywords`` occurs in
the lower-cased text, which keeps ordinary chat cheap.

Bounded work: at most :data:`MAX_TRIAGE_CHARS` characters are examined, regex hits are capped, and
the shipped patterns avoid long gaps (``context`` instead) and backtracking (atomic groups), so a
40 KB adversarial paste stays in the millisecond range (``bench/bench_triage.py``).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from knowledge.model import Knowledge, Signature

MAX_TRIAGE_CHARS = 64 * 1024
MAX_ADDRESSES = 20
MAX_DOMAINS = 20
# Bounds on regex hits examined per pattern / per extraction pass (adversarial pastes).
MAX_HITS = 2000
MAX_CANDIDATES = 500

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_UNIFIED = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2011": "-",
}
_UNIFY = re.compile("[" + "".join(_UNIFIED) + "]")
# Slack wraps links as <mailto:a@b|a@b>, <https://x|label> or <https://x>.
_SLACK_LINK = re.compile(r"<(?:mailto:|sip:|https?://)([^<>|\s]{0,500})(?:\|([^<>]{0,500}))?>")
_HTML_TAG = re.compile(
    r"</?(?:p|br|div|span|at|b|i|u|em|strong|code|pre|blockquote|a|li|ul|ol)\b[^<>]{0,300}>"
)
_QUOTE_PREFIX = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+")
_WHITESPACE = re.compile(r"\s+")

# An address: local part (optionally the special "user(domain)" form) @ domain.
_ADDRESS = re.compile(
    r"(?<![\w.%+'-])([\w.%+'-]{1,64})(?:\(([\w.-]{1,253})\))?@([\w-]{1,63}(?:\.[\w-]{1,63}){1,8})"
)
# A bare domain name (labels may start with "_" for SRV owner names, stripped afterwards).
_DOMAIN = re.compile(
    r"(?<![\w.@/:%+-])((?:[\w-]{1,63}\.){1,8}[a-z][a-z0-9-]{1,62})(?![\w@(-]|\.\w)"
)
_URL = re.compile(r"\b(?:https?|ftp)://\S{0,2000}")
_TLD = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_GLUED_BECAUSE = "because"
# First labels of server host names: the organisation's domain is what is left.
_SERVER_LABELS = frozenset(
    {
        "sip",
        "sipfed",
        "sipexternal",
        "sipinternal",
        "sipdir",
        "lyncdiscover",
        "lyncdiscoverinternal",
        "webdir",
        "edge",
        "accessedge",
        "access",
        "sfbedge",
        "lyncedge",
        "webconf",
        "av",
        "meet",
        "dialin",
    }
)
# Two-label names that are file names in logs rather than domains.
_FILE_SUFFIXES = frozenset(
    {
        "log",
        "txt",
        "exe",
        "dll",
        "json",
        "xml",
        "yaml",
        "yml",
        "ps1",
        "bat",
        "cmd",
        "csv",
        "etl",
        "cab",
        "zip",
        "msi",
        "png",
        "jpg",
        "gif",
        "pdf",
        "htm",
        "html",
        "js",
        "py",
        "ini",
        "cfg",
        "conf",
        "config",
        "cer",
        "crt",
        "pem",
        "pfx",
    }
)


@dataclass(frozen=True)
class Triage:
    """What a pasted text was recognised as.

    ``addresses`` are the e-mail / SIP addresses found (lower-cased, in order); ``domains`` the
    parties' domains to check: those of the addresses, then domains named in the text (SRV owner
    names reduced to the domain, server host names to their organisation's domain), without
    Microsoft infrastructure and link hosts, the organisation's own ``home_domains`` last."""

    recognized: bool
    signature: Signature | None
    symptom: str | None
    likely_causes: tuple[str, ...]
    contact_type: str | None
    addresses: tuple[str, ...]
    domains: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape (ids, not wording)."""
        return {
            "recognized": self.recognized,
            "signature": self.signature.id if self.signature else None,
            "symptom": self.symptom,
            "likely_causes": list(self.likely_causes),
            "addresses": list(self.addresses),
            "domains": list(self.domains),
        }


def _cheap_lower(text: str) -> str:
    """The prefilter's view: bounded, zero-width characters and emphasis removed, lower case."""
    text = text[:MAX_TRIAGE_CHARS]
    if not text.isascii():
        text = _ZERO_WIDTH.sub("", text)
    return text.replace("*", "").replace("`", "").lower()


def normalise(text: str) -> str:
    """The text signature patterns are matched against (see the module docstring)."""
    text = text[:MAX_TRIAGE_CHARS]
    if not text.isascii():
        text = _ZERO_WIDTH.sub("", text)
    if "<" in text:
        text = _SLACK_LINK.sub(_slack_link_text, text)
        text = _HTML_TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = _UNIFY.sub(_unified, text)
    text = text.replace("`", "").replace("*", "")
    if ">" in text:
        text = _QUOTE_PREFIX.sub("", text)
    return _WHITESPACE.sub(" ", text).strip().lower()


def _unified(match: re.Match[str]) -> str:
    return _UNIFIED[match.group()]


def _slack_link_text(match: re.Match[str]) -> str:
    return match.group(2) or match.group(1)


def match_signature(normalised: str, signatures: Sequence[Signature]) -> Signature | None:
    """The first signature (in priority order) whose patterns match ``normalised`` text.

    ``signatures`` must already be in priority order (as :class:`Knowledge` holds them)."""
    for signature in signatures:
        if signature.keywords and not any(k in normalised for k in signature.keywords):
            continue
        if signature_matches(signature, normalised):
            return signature
    return None


def signature_matches(signature: Signature, normalised: str) -> bool:
    """Whether one of the signature's patterns matches (near a context match, if it has any)."""
    if not signature.context:
        return any(p.search(normalised) for p in signature.patterns)
    anchors = [
        m.span() for p in signature.patterns for m in islice(p.finditer(normalised), MAX_HITS)
    ]
    if not anchors:
        return False
    near = sorted(
        m.start() for p in signature.context for m in islice(p.finditer(normalised), MAX_HITS)
    )
    window = signature.context_window
    for start, end in anchors:
        i = bisect_left(near, start - window)
        if i < len(near) and near[i] <= end + window:
            return True
    return False


class _Prefilter:
    """Per-knowledge cache of one regex over all signatures' keywords (cheap test for chat)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[tuple[Signature, ...], re.Pattern[str] | None]] = {}

    def pattern(self, signatures: tuple[Signature, ...]) -> re.Pattern[str] | None:
        """The keyword alternation, or ``None`` when some signature has no keywords."""
        entry = self._cache.get(id(signatures))
        if entry is not None and entry[0] is signatures:
            return entry[1]
        pattern: re.Pattern[str] | None = None
        if all(s.keywords for s in signatures):
            words = sorted({k for s in signatures for k in s.keywords}, key=len, reverse=True)
            pattern = re.compile("|".join(map(re.escape, words)))
        if len(self._cache) > 32:
            self._cache.clear()
        self._cache[id(signatures)] = (signatures, pattern)
        return pattern


_PREFILTER = _Prefilter()
# Something that may be an address or a domain name: worth the extraction pass.
_PARTY_HINT = re.compile(r"@|[\w-]\.[^\W\d_]")


def recognise(text: str, signatures: tuple[Signature, ...]) -> Signature | None:
    """The signature :func:`triage` would pick for ``text`` (signatures in priority order)."""
    return _recognise(text, _cheap_lower(text), signatures)[0]


def _recognise(
    text: str, lowered: str, signatures: tuple[Signature, ...]
) -> tuple[Signature | None, str | None]:
    """Prefilter on the cheap lower-cased text, then match the normalised text."""
    keywords = _PREFILTER.pattern(signatures)
    if keywords is not None and not keywords.search(lowered):
        return None, None
    normalised = normalise(text)
    return match_signature(normalised, signatures), normalised


def triage(text: str, kb: Knowledge) -> Triage:
    """Recognise ``text`` (any string; never raises, bounded work)."""
    lowered = _cheap_lower(text)
    signature, normalised = _recognise(text, lowered, kb.signatures)
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    if _PARTY_HINT.search(lowered):
        if normalised is None:
            normalised = normalise(text)
        addresses, domains = extract_parties(normalised, kb)
    contact_type = signature.contact_type if signature else None
    if contact_type is None and addresses and _all_consumer(addresses, kb):
        contact_type = _public_im_id(kb)
    return Triage(
        recognized=signature is not None,
        signature=signature,
        symptom=signature.symptom if signature else None,
        likely_causes=signature.likely_causes if signature else (),
        contact_type=contact_type,
        addresses=addresses,
        domains=domains,
    )


def extract_parties(normalised: str, kb: Knowledge) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses and domains in already normalised text (see :class:`Triage`)."""
    addresses: dict[str, None] = {}
    from_addresses: list[str] = []
    hits = _ADDRESS.finditer(normalised) if "@" in normalised else iter(())
    for match in islice(hits, MAX_CANDIDATES):
        local, special, domain = match.group(1), match.group(2), _clean_domain(match.group(3))
        local = local.strip(".'")
        if not local or domain is None:
            continue
        address = f"{local}({special})@{domain}" if special else f"{local}@{domain}"
        addresses.setdefault(address, None)
        inner = _clean_domain(special) if special else None
        from_addresses.append(inner or domain)
        if len(addresses) >= MAX_ADDRESSES:
            break
    mentioned: list[str] = []
    if "." in normalised:
        without_links = _URL.sub(" ", normalised) if "://" in normalised else normalised
        for match in islice(_DOMAIN.finditer(without_links), MAX_CANDIDATES):
            domain = _party_domain(match.group(1))
            if domain is not None:
                mentioned.append(domain)
            if len(mentioned) >= 4 * MAX_DOMAINS:
                break
    return tuple(addresses), _order_domains([*from_addresses, *mentioned], kb)


def _clean_domain(raw: str) -> str | None:
    """A plausible domain name from a matched token, or ``None``."""
    domain = raw.strip(".-").lower()
    last = domain.rsplit(".", 1)[-1]
    # The article's own typo glues the next word on: "joe@contoso-federated.combecause".
    if last.endswith(_GLUED_BECAUSE) and len(last) > len(_GLUED_BECAUSE) + 1:
        domain = domain[: -len(_GLUED_BECAUSE)]
        last = domain.rsplit(".", 1)[-1]
    if "." not in domain or not _TLD.fullmatch(last):
        return None
    labels = domain.split(".")
    if any(not label or len(label) > 63 for label in labels) or len(domain) > 253:
        return None
    return domain


def _party_domain(raw: str) -> str | None:
    """Reduce a mentioned name to the organisation's domain: drop SRV ``_service._proto``
    labels and a leading server label (``sip.``, ``lyncdiscover.`` …), skip file names."""
    labels = raw.lower().split(".")
    while labels and labels[0].startswith("_"):
        labels = labels[1:]
    if any(label.startswith("_") for label in labels):
        return None
    if len(labels) >= 3 and labels[0] in _SERVER_LABELS:
        labels = labels[1:]
    if len(labels) == 2 and labels[1] in _FILE_SUFFIXES:
        return None
    return _clean_domain(".".join(labels)) if len(labels) >= 2 else None


def _is_under(domain: str, suffixes: Iterable[str]) -> bool:
    return any(domain == s or domain.endswith("." + s) for s in suffixes)


def _order_domains(candidates: list[str], kb: Knowledge) -> tuple[str, ...]:
    """Deduplicate, drop ignored (infrastructure) domains, move home domains last."""
    unique = [d for d in dict.fromkeys(candidates) if not _is_under(d, kb.ignored_domains)]
    others = [d for d in unique if not _is_under(d, kb.home_domains)]
    home = [d for d in unique if _is_under(d, kb.home_domains)]
    return tuple([*others, *home][:MAX_DOMAINS])


def _all_consumer(addresses: tuple[str, ...], kb: Knowledge) -> bool:
    """Every address is a consumer (Microsoft account) contact: on a standard consumer domain
    or already in the special ``user(domain)@msn.com`` form."""
    if not kb.consumer_domains:
        return False
    return all("(" in a or a.rsplit("@", 1)[-1] in kb.consumer_domains for a in addresses)


def _public_im_id(kb: Knowledge) -> str | None:
    """The contact type meant for consumer contacts (the second row of the article's table)."""
    ids = [c.id for c in kb.contact_types]
    return "public_im" if "public_im" in ids else None
