"""Recognise pasted error messages: which known signature, symptom, likely causes, addresses.

Two views of a paste are matched:

- The *normalised* text (:func:`normalise`): zero-width characters removed, Slack/HTML markup and
  markdown emphasis/backticks stripped, e-mail quoting (``>``) removed, typographic quotes
  unified, all whitespace (line wraps included) collapsed to one space, lower-cased, and words put
  in one canonical form (:func:`canonical_words`): contractions expanded ("isn't" → "is not",
  "can't"/"cannot"/"can not" → "cannot", "won't" → "will not", also without the apostrophe:
  "dont", "isnt" …), British spellings unified ("organis…" → "organiz…", "authoris…",
  "recognis…"), "setup"/"set-up" → "set up", "signin"/"sign-in" → "sign in", chat shorthand
  written out ("ext", "mtg", "addr" …) — never inside an address or domain name. Punctuation
  stays, so structured ``patterns`` (ms-diagnostics headers, SIP status lines, DNS tool output)
  keep their ``;``, ``=``, ``"`` and ``:``. Addresses and
  domains are extracted from this view.
- The *phrase view* (:func:`phrase_view`) of the normalised text: words only, one space apart,
  the text padded with a space at both ends. Punctuation that separates or hugs words (quotes,
  brackets, ``;``, ``=``, ``:``, a sentence's full stop) becomes a space; characters inside
  addresses and domain names (``@ . - _ ' % +``) stay.

A signature's ``phrases`` (plain text, see :func:`compile_phrase`) run on the phrase view: the
phrase's words in order, with at most :data:`PHRASE_GAP` other words between consecutive ones,
each slot matched as a whole word (a word of five or more letters with or without a plural "s").
Its regex ``patterns`` run on the normalised text, case-insensitively.

Choosing a signature: signatures are tried in descending ``priority`` (equal priorities in the
order of the knowledge files, organisation overrides after the shipped ones); the first one whose
patterns or phrases match wins (when it has ``context`` patterns, a *pattern* match only counts if
one of them also matches within ``context_window`` characters; phrases count on their own).
Signatures are only tried when one of their ``keywords`` occurs in the lower-cased text, which keeps
ordinary chat cheap (each keyword is looked for once per paste).

Bounded work: at most :data:`MAX_TRIAGE_CHARS` characters are examined, regex hits are capped, the
shipped patterns avoid long gaps (``context`` instead) and backtracking (atomic groups), and each
phrase word is an atomic group with a bounded gap (the nearest next word within the gap is
taken, never retried), so a 40 KB adversarial paste stays in the millisecond range
(``bench/bench_triage.py``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from typing import Any, Generic, TypeVar

from rapidfuzz.distance import Levenshtein

from knowledge.keywords import KeywordFinder
from knowledge.model import (
    CauseHint,
    Described,
    Knowledge,
    Signature,
    StatedContactType,
    StatedScope,
    StatedSymptom,
)
from knowledge.prefilter import PatternIndex
from knowledge.public_suffixes import public_suffixes

MAX_TRIAGE_CHARS = 64 * 1024
MAX_ADDRESSES = 20
MAX_DOMAINS = 20
# Bounds on regex hits examined per pattern / per extraction pass (adversarial pastes).
MAX_HITS = 2000
# The cause that leads when a peer domain cannot exist (a mistyped address).
MISTYPED_ADDRESS = "check_address"
MAX_CANDIDATES = 500
# The cause that leads when the contact's address is likely not their sign-in (SIP) address: at a
# subdomain of a domain the text names (a.lindqvist@bio.brightwater.edu beside brightwater.edu),
# or one person written under two names at one domain (maria.lopez@ searched, mlopez@ works).
ADDRESS_FORMAT = "contact_format"
# The symptom whose stated words outrank the others' (a refused meeting join, whatever else the
# text says about messages or presence).
MEETING_JOIN = "meeting_join_denied"

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
_QUOTE_PREFIX = re.compile(r"(?m)^[^\S\n]*(?:>[^\S\n]?)+")

# --- canonical word forms (see canonical_words) ---
# Words that end in "n't" / "nt" when negated ("ca" for "cant"; "won't" and "shan't" below).
_NEGATED = (
    *("ca", "do", "does", "did", "is", "are", "was", "were", "could", "would", "should"),
    *("has", "have", "had", "need", "must"),
)
# "n't", "'re", "'ve", "'ll", "'m", and the apostrophe-less "dont", "isnt" … (the literal "nt"
# first keeps the scan cheap; the look-behinds name the words, so "want" or "different" stay).
_CONTRACTION = re.compile(
    r"n't\b|'(?:re|ve|ll|m)\b|nt\b(?:" + "|".join(f"(?<=\\b{w}nt)" for w in _NEGATED) + ")"
)
_CONTRACTED = {"'re": " are", "'ve": " have", "'ll": " will", "'m": " am"}
# Rare irregular forms, each rewritten only when its substring occurs ("can't" and "cant" are
# handled with the regular ones).
_IRREGULAR = {
    "won't": (re.compile(r"\bwon't\b"), "will not"),
    "shan't": (re.compile(r"\bshan't\b"), "shall not"),
}
_CAN_NOT = re.compile(r"\bcan not\b")
_BRITISH = re.compile(r"s(?<=organis|uthoris|ecognis)(?=[aei])")
_BRITISH_STEMS = ("organis", "authoris", "recognis")
_COMPOUND_FORMS = {"setup": "set up", "set-up": "set up", "signin": "sign in", "sign-in": "sign in"}
# Chat shorthand typed on phones ("my mtgs block ext ppl"), written out. Single letters ("u",
# "w", "r") stay: they are words in Dutch and Polish; "ppl" and "msg" stay too: the described
# lexicons know them, and as "people" a count ("~200 ppl") would read like a meeting's size.
_SHORTHAND_FORMS = {
    "ext": "external",
    "mtg": "meeting",
    "mtgs": "meetings",
    "addr": "address",
    "acct": "account",
    "accts": "accounts",
    "grp": "group",
    "yday": "yesterday",
    "diff": "different",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "convo": "conversation",
    "convos": "conversations",
    "pres": "presence",
    "fed": "federated",
    "every1": "everyone",
    "some1": "someone",
    "no1": "no one",
    "any1": "anyone",
    "wk": "week",
    "overnite": "overnight",
}
_SHORTHAND = re.compile(r"\b(?:" + "|".join(_SHORTHAND_FORMS) + r")\b")
_COMPOUND_FORMS |= _SHORTHAND_FORMS
_COMPOUND = re.compile(r"\b(?:" + "|".join(_COMPOUND_FORMS) + r")\b")
# What each rewrite needs in the text: the apostrophe or a negated "…nt" for contractions.
_CONTRACTION_CUES = frozenset({"'", *(f"{w}nt" for w in _NEGATED)})
_REWRITES = KeywordFinder(
    [*_IRREGULAR, *_CONTRACTION_CUES, "can not", *_BRITISH_STEMS, *_COMPOUND_FORMS]
)
# Characters that make a word part of an address or a domain name: never rewritten.
_NAME_BEFORE = frozenset(".@-_/\\:")
_NAME_AFTER = frozenset("@-_/\\(")

# An address: local part (optionally the special "user(domain)" form) @ domain.
_ADDRESS = re.compile(
    r"(?<![\w.%+'-])([\w.%+'-]{1,64})(?:\(([\w.-]{1,253})\))?@([\w-]{1,63}(?:\.[\w-]{1,63}){1,8})"
)
# A bare domain name (labels may start with "_" for SRV owner names, stripped afterwards), also
# written "@domain" for everyone there ("can't msg anyone @tailspintoys.com").
_DOMAIN = re.compile(
    r"(?:(?<=^@)|(?<=[\s(\[<\"']@)|(?<![\w.@/:%+-]))((?:[\w-]{1,63}\.){1,8}[a-z][a-z0-9-]{1,62})(?![\w@(-]|\.\w)"
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
        "uccapilog",
        "evtx",
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
class Diagnostic:
    """One pasted ``ms-diagnostics(-public)`` header as structure (values lower-cased).

    ``code`` is ``None`` when the header carries only parameters; ``domain`` and ``peer_server``
    name the other side, ``source`` the server that reported it (usually the reporter's own)."""

    code: int | None
    reason: str = ""
    source: str = ""
    domain: str = ""
    peer_server: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "reason": self.reason,
            "source": self.source,
            "domain": self.domain,
            "peer_server": self.peer_server,
        }


@dataclass(frozen=True)
class Parties:
    """Who a text names, and what kind of contact that makes (see :class:`Triage`)."""

    addresses: tuple[str, ...] = ()
    peer_domains: tuple[str, ...] = ()
    own_domains: tuple[str, ...] = ()
    contact_type: str | None = None
    contact_type_guessed: bool = False


class _Deferred:
    """The parties of a text nothing was recognised in, classified when first asked: a channel's
    chatter is only asked whether it was recognised, a conversation's answer for its address."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], Parties]) -> None:
        self._make: Callable[[], Parties] | None = make
        self._value = Parties()

    def get(self) -> Parties:
        if self._make is not None:
            self._value, self._make = self._make(), None
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Deferred) and self.get() == other.get()

    def __hash__(self) -> int:
        return hash(self.get())

    def __repr__(self) -> str:
        return repr(self.get())


@dataclass(frozen=True)
class Triage:
    """What a pasted text was recognised as.

    ``addresses`` are the e-mail / SIP addresses found (lower-cased, in order). ``peer_domains``
    are the other party's domains to check (``To:``, ``Domain=``, ``PeerServer=``, the addresses
    and domains named in the text); ``own_domains`` the reporter's own infrastructure (``From:``,
    ``source=``, ``Computer:``, ``TargetFqdn``, Edge/pool host names) and ``home_domains``.
    ``domains`` is both, peers first. SRV owner names are reduced to the domain, server host
    names to their organisation's domain; Microsoft infrastructure, link hosts, file names and
    names that only look like domains (``Microsoft.Rtc.Management…``, ``Presence.Read.All``) are
    left out. ``symptom`` is what the user says they see when they say it, else the signature's;
    ``diagnostic`` the ms-diagnostics header the recognition rests on, if any. ``contact_type``
    comes from the signature, the user's words or consumer addresses; when it is only guessed
    from the kind of peer domain (another organisation's), ``contact_type_guessed`` says so, and
    the dialog still asks. ``scope`` is how many contacts the user says are affected (``one``,
    ``multiple``, ``all``), if they say it. ``likely_causes`` start from the signature's and
    follow what the text states (see :func:`ordered_causes`). The parties of an unrecognised
    text are classified when first asked for."""

    recognized: bool
    signature: Signature | None
    symptom: str | None
    likely_causes: tuple[str, ...]
    parties: Parties | _Deferred = Parties()
    diagnostic: Diagnostic | None = None
    scope: str | None = None

    def _found(self) -> Parties:
        parties = self.parties
        return parties.get() if isinstance(parties, _Deferred) else parties

    @property
    def addresses(self) -> tuple[str, ...]:
        return self._found().addresses

    @property
    def peer_domains(self) -> tuple[str, ...]:
        return self._found().peer_domains

    @property
    def own_domains(self) -> tuple[str, ...]:
        return self._found().own_domains

    @property
    def domains(self) -> tuple[str, ...]:
        found = self._found()
        return (*found.peer_domains, *found.own_domains)[:MAX_DOMAINS]

    @property
    def contact_type(self) -> str | None:
        return self._found().contact_type

    @property
    def contact_type_guessed(self) -> bool:
        return self._found().contact_type_guessed

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape (ids, not wording)."""
        return {
            "recognized": self.recognized,
            "signature": self.signature.id if self.signature else None,
            "symptom": self.symptom,
            "likely_causes": list(self.likely_causes),
            "contact_type": self.contact_type,
            "contact_type_guessed": self.contact_type_guessed,
            "addresses": list(self.addresses),
            "domains": list(self.domains),
            "peer_domains": list(self.peer_domains),
            "own_domains": list(self.own_domains),
            "diagnostic": self.diagnostic.to_json() if self.diagnostic else None,
            "scope": self.scope,
        }


# What ordinary chat is recognised as (shared: Triage is immutable).
_NOTHING = Triage(recognized=False, signature=None, symptom=None, likely_causes=())


# A line that writes down someone's guess: "1st line guess: …", "L1's guess - …", "My guess: …".
_GUESS_LINE = re.compile(
    r"(?im)^[ \t>*•-]*(?:(?:1st|first|l1|tier[ -]?1|first-line|initial|my|our)[ -]?(?:line)?"
    r"(?:'s|’s)?[ \t]+)?(?:guess|hypothesis|theory|assumption)(?:es|s)?[ \t]*[:=–-][^\n]{0,2000}$"
)


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
    return canonical_words(" ".join(text.split()).lower())  # split() is re's \s, faster


def canonical_words(text: str) -> str:
    """One form per word in lower-cased text: contractions expanded, British spellings and
    compounds unified (see the module docstring); words inside addresses and domain names kept.

    Each rewrite runs only when the substrings it needs occur (one scan finds them all; only
    a contraction's expansion can make another's, "can not")."""
    found = _REWRITES.found_in(text)
    if not found:
        return text
    for form, (pattern, replacement) in _IRREGULAR.items():
        if form in found:
            text = pattern.sub(partial(_unless_in_name, replacement), text)
    expanded = not found.isdisjoint(_CONTRACTION_CUES)
    if expanded:
        text = _CONTRACTION.sub(_expanded, text)
    # an expansion can make "can not" ("can n't"): the one rewrite that feeds another
    if "can not" in found or (expanded and "can not" in text):
        text = _CAN_NOT.sub(partial(_unless_in_name, "cannot"), text)
    if not found.isdisjoint(_BRITISH_STEMS):
        text = _BRITISH.sub(_american, text)
    if not found.isdisjoint(_COMPOUND_FORMS):
        text = _COMPOUND.sub(_compound, text)
    return text


def _in_name(match: re.Match[str]) -> bool:
    """Whether the matched word is part of an address, a domain or a path (left alone)."""
    text, start, end = match.string, match.start(), match.end()
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before in _NAME_BEFORE or after in _NAME_AFTER:
        return True
    return after == "." and end + 1 < len(text) and text[end + 1].isalnum()


def _unless_in_name(replacement: str, match: re.Match[str]) -> str:
    return match.group() if _in_name(match) else replacement


def _expanded(match: re.Match[str]) -> str:
    found, text, before = match.group(), match.string, match.start()
    if _in_name(match):
        return found
    if found[0] == "'":
        expanded = _CONTRACTED[found]
    elif text.endswith("ca", 0, before) and not text[max(before - 3, 0) : before - 2].isalnum():
        return "nnot"  # "can't" / "cant" is "cannot"
    else:
        expanded = " not"  # "isn't", "dont" …
    # No double space where the contraction stood apart ("is n't"), none at the start.
    return expanded[1:] if before == 0 or text[before - 1] == " " else expanded


def _american(match: re.Match[str]) -> str:
    return "s" if _in_name(match) else "z"


def _compound(match: re.Match[str]) -> str:
    return match.group() if _in_name(match) else _COMPOUND_FORMS[match.group()]


# --- the phrase view and phrases ---
# Between consecutive phrase words: at most this many other words.
PHRASE_GAP = 2
MIN_PHRASE_WORDS = 3
MAX_PHRASE_WORDS = 30
# A "word" skipped in a gap is at most this long (an address is one word).
_MAX_GAP_WORD = 320
# Characters that stay inside a word of the phrase view (addresses, domains, "o'neil") unless
# they hug it; every other non-word character separates words.
_INNER = "._'%+-"
_SEPARATOR = re.compile(r"[^\w@._'%+-]+")
# The same for ASCII text as a byte table (str.translate on bytes is ~20x faster than a regex).
_ASCII_SEPARATORS = bytes(
    32 if not (chr(i).isalnum() or chr(i) in "_@" + _INNER) else i for i in range(256)
)


def phrase_view(normalised: str) -> str:
    """The words of already normalised text, one space apart, padded with a space at both ends
    (see the module docstring). The last text's view is kept: one triage asks for the view of
    the same text object several times (signatures, stated facts, cause hints)."""
    about = _about(normalised)
    if about.view is None:
        about.view = _phrase_view(normalised)
    return about.view


class _LastText:
    """What one triage already worked out about its normalised text (the same object is asked
    about by signatures, stated facts and cause hints): its phrase view and which keywords occur.
    Only the last text is kept."""

    __slots__ = ("found", "possible", "text", "view")

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.view: str | None = None
        self.found: dict[KeywordFinder, frozenset[str]] = {}
        self.possible: dict[tuple[PatternIndex, bool], frozenset[re.Pattern[str]]] = {}


_last_text = _LastText(None)


def _about(normalised: str) -> _LastText:
    """The memo for ``normalised``, a fresh one when it is another text than the last."""
    global _last_text
    last = _last_text
    if last.text is not normalised:
        last = _last_text = _LastText(normalised)
    return last


def _phrase_view(normalised: str) -> str:
    if normalised.isascii():
        spaced = normalised.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii")
    else:
        spaced = _SEPARATOR.sub(" ", normalised)
    words = " ".join([bare for word in spaced.split() if (bare := word.strip(_INNER))])
    return f" {words} " if words else " "


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """A bounded regex for ``phrase`` that runs on the phrase view.

    ``phrase`` is plain text, normalised like a paste (case, punctuation, contractions and
    spellings don't matter; "…" may mark where other words usually stand). Its words must occur
    in order with at most :data:`PHRASE_GAP` other words between consecutive ones; ``a|b`` offers
    alternative single words for one slot; a word of five or more letters also matches with or
    without a plural "s". Raises :class:`ValueError` for fewer than :data:`MIN_PHRASE_WORDS`
    or more than :data:`MAX_PHRASE_WORDS` slots, or an empty alternative."""
    slots: list[str] = []
    for part in normalise(phrase).split(" "):
        if "|" not in part:
            slots += [_word(w) for w in phrase_view(part).split()]
            continue
        alternatives = [phrase_view(a).split() for a in part.split("|")]
        if any(len(words) != 1 for words in alternatives):
            raise ValueError(f"each alternative in {part!r} must be one word")
        unique = dict.fromkeys(_word(words[0]) for words in alternatives)
        slots.append("(?:" + "|".join(unique) + ")")
    if len(slots) < MIN_PHRASE_WORDS:
        raise ValueError(
            f"a phrase needs at least {MIN_PHRASE_WORDS} words (fewer match too much): {phrase!r}"
        )
    if len(slots) > MAX_PHRASE_WORDS:
        raise ValueError(f"a phrase has at most {MAX_PHRASE_WORDS} words: {phrase!r}")
    gap = f"(?: [^ ]{{1,{_MAX_GAP_WORD}}}+){{0,{PHRASE_GAP}}}?"
    rest = "".join(f"(?>{gap} {slot}(?= ))" for slot in slots[1:])
    return re.compile(f" {slots[0]}{rest}")


def _word(word: str) -> str:
    """One phrase word as a regex: literal, a plural "s" optional on words of 5+ letters."""
    if len(word) >= 5 and word.isalpha() and not word.endswith("ss"):
        return re.escape(word.removesuffix("s")) + "s?"
    return re.escape(word)


def _unified(match: re.Match[str]) -> str:
    return _UNIFIED[match.group()]


def _slack_link_text(match: re.Match[str]) -> str:
    return match.group(2) or match.group(1)


# --- ms-diagnostics headers as structure ---
MAX_HEADERS = 50
MAX_PARAMETERS = 16
# The header name and its code (a sub-code ".N" is allowed and ignored), on normalised text.
# Also the code named in prose without the colon ("ms-diagnostics 1017 on every INVITE").
_MS_DIAG = re.compile(
    r"ms-diagnostics(?:-public)?"
    r"(?: ?: ?(?:(\d{1,6})(?:\.\d{1,6})?\b)?| (?:code |error |id )?(\d{4,6})\b) ?;? ?"
)
# One parameter: name = "quoted value" or a bare value, then an optional ";".
_PARAMETER = re.compile(r'([a-z][a-z0-9_-]{0,40}) ?= ?(?:"([^"]{0,500})"?|([^;" ]{1,300})) ?(;)? ?')


# A Test-Cs* cmdlet's Diagnosis line: "ErrorCode=1008,Source=edge.contoso.com,Reason=…".
_ERROR_CODE = re.compile(r"\berrorcode ?= ?(\d{1,6})\b")
_CS_PARAMETER = re.compile(r' ?, ?(source|reason|domain|peerserver) ?= ?"?([^,;"]{1,300})')


def parse_diagnostics(normalised: str) -> tuple[Diagnostic, ...]:
    """Every ``ms-diagnostics(-public): CODE;reason="…";source="…";Domain="…"`` header in already
    normalised text (line wraps, quoting and fences are gone by then), in order, bounded; then
    every ``ErrorCode=CODE,Source=…,Reason=…`` diagnosis of a Test-Cs* cmdlet."""
    found: list[Diagnostic] = []
    if "ms-diagnostics" in normalised:
        found += _headers(normalised)
    if "errorcode" in normalised:
        found += _cmdlet_diagnoses(normalised)
    return tuple(found[:MAX_HEADERS])


def _cmdlet_diagnoses(normalised: str) -> list[Diagnostic]:
    found = []
    for match in islice(_ERROR_CODE.finditer(normalised), MAX_HEADERS):
        values: dict[str, str] = {}
        position = match.end()
        for _ in range(MAX_PARAMETERS):
            parameter = _CS_PARAMETER.match(normalised, position)
            if parameter is None:
                break
            values.setdefault(parameter.group(1), parameter.group(2).strip().rstrip("."))
            position = parameter.end()
        found.append(
            Diagnostic(
                code=int(match.group(1)),
                reason=values.get("reason", ""),
                source=values.get("source", ""),
                domain=values.get("domain", ""),
                peer_server=values.get("peerserver", ""),
            )
        )
    return found


# A code named in prose counts when the sentence says it was seen or received.
_SEEN_CUE = re.compile(
    r"\b(?:log|logs|snooper|trace|traces|shows?|showing|showed|got|get|gets|getting|returns?|"
    r"returned|receive[ds]?|receiving|see|sees|seeing|saw|every|each|fails?|failed|failing|"
    r"errors?|response|responds|responded|rejected|refused)\b"
)
_PROSE_WINDOW = 80


def _seen_in_prose(normalised: str, match: re.Match[str]) -> bool:
    start, end = match.span()
    around = normalised[max(0, start - _PROSE_WINDOW) : end + _PROSE_WINDOW]
    return _SEEN_CUE.search(around) is not None


def _headers(normalised: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for match in islice(_MS_DIAG.finditer(normalised), MAX_HEADERS):
        if match.group(2) and not _seen_in_prose(normalised, match):
            continue  # a code talked about ("ms-diagnostics 1034 means …"), not one received
        number = match.group(1) or match.group(2)
        code = int(number) if number else None
        values: dict[str, str] = {}
        position = match.end()
        for _ in range(MAX_PARAMETERS):
            parameter = _PARAMETER.match(normalised, position)
            if parameter is None:
                break
            name = parameter.group(1).replace("-", "").replace("_", "")
            values.setdefault(name, (parameter.group(2) or parameter.group(3) or "").strip())
            position = parameter.end()
            if parameter.group(4) is None:
                break
        if code is None and not values:
            continue
        found.append(
            Diagnostic(
                code=code,
                reason=values.get("reason", ""),
                source=values.get("source", ""),
                domain=values.get("domain", ""),
                peer_server=values.get("peerserver", ""),
            )
        )
    return found


def reason_key(reason: str) -> str:
    """A reason text reduced to its words, for looking it up whatever its case and punctuation."""
    return phrase_view(normalise(reason)).strip()


@dataclass(frozen=True)
class _Index:
    """Per-knowledge lookup tables built from the signatures (in priority order)."""

    finder: KeywordFinder
    complete: bool
    # For the regular pass: each keyword's signatures (positions in priority order), and the
    # signatures without keywords; signatures without patterns or phrases are in neither.
    by_keyword: dict[str, frozenset[int]]
    always: frozenset[int]
    codes: dict[int, Signature]
    reasons: dict[str, Signature]
    unknown_codes: tuple[Signature, ...]
    # Which patterns (on the normalised text) and phrases (on its phrase view) may match (each
    # signature's own sets, ``Signature.pattern_set``, are intersected with them).
    patterns: PatternIndex
    phrases: PatternIndex


_Key = TypeVar("_Key")
_Built = TypeVar("_Built")


class _PerObject(Generic[_Key, _Built]):
    """What ``build`` makes of an immutable object (a signatures tuple, cause hints), kept per
    object; a few dozen at most (tests build many knowledge variants)."""

    def __init__(self, build: Callable[[_Key], _Built]) -> None:
        self._build = build
        self._cache: dict[int, tuple[_Key, _Built]] = {}

    def of(self, key: _Key) -> _Built:
        entry = self._cache.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        built = self._build(key)
        if len(self._cache) > 32:
            self._cache.clear()
        self._cache[id(key)] = (key, built)
        return built


def _index(signatures: Sequence[Signature]) -> _Index:
    codes: dict[int, Signature] = {}
    reasons: dict[str, Signature] = {}
    for sig in signatures:
        for code in sig.diagnostic_codes:
            codes.setdefault(code, sig)
        for reason in sig.diagnostic_reasons:
            reasons.setdefault(reason, sig)
    by_keyword: dict[str, set[int]] = {}
    always: set[int] = set()
    for position, sig in enumerate(signatures):
        if not (sig.patterns or sig.phrases):
            continue
        for keyword in sig.keywords:
            by_keyword.setdefault(keyword, set()).add(position)
        if not sig.keywords:
            always.add(position)
    return _Index(
        finder=KeywordFinder(k for s in signatures for k in s.keywords),
        complete=all(s.keywords for s in signatures),
        by_keyword={k: frozenset(v) for k, v in by_keyword.items()},
        always=frozenset(always),
        codes=codes,
        reasons=reasons,
        unknown_codes=tuple(s for s in signatures if s.unknown_codes),
        patterns=PatternIndex(p for s in signatures for p in s.patterns),
        phrases=PatternIndex(p for s in signatures for p in s.phrases),
    )


_INDEX: _PerObject[Sequence[Signature], _Index] = _PerObject(_index)


def _excluded(signature: Signature, normalised: str) -> bool:
    return any(p.search(normalised) for p in signature.exclude)


def _by_header(
    index: _Index, headers: tuple[Diagnostic, ...], normalised: str
) -> tuple[Signature, Diagnostic] | None:
    """The signature a pasted header stands for: its code, else its reason text."""
    for header in headers:
        sig = index.codes.get(header.code) if header.code is not None else None
        if sig is None and header.reason:
            sig = index.reasons.get(reason_key(header.reason))
        if sig is not None and not _excluded(sig, normalised):
            return sig, header
    return None


def _unknown_code(
    index: _Index, headers: tuple[Diagnostic, ...], normalised: str
) -> tuple[Signature, Diagnostic] | None:
    """The fallback for a header no signature knows, when the text is clearly federated."""
    coded = [h for h in headers if h.code is not None]
    for sig in index.unknown_codes:
        if not coded or _excluded(sig, normalised):
            continue
        if any(p.search(normalised) for p in sig.context):
            header = coded[0]
            quote = sig.quote.format(
                code=header.code, reason=f' ("{header.reason}")' if header.reason else ""
            )
            return replace(sig, meaning=f"{quote} {sig.meaning}".strip()), header
    return None


def match_signature(normalised: str, signatures: Sequence[Signature]) -> Signature | None:
    """The signature for ``normalised`` text: an ms-diagnostics header's code or reason first,
    then the first signature (in priority order) whose patterns or phrases match, then the
    fallback for an unknown code in a federated context. ``signatures`` must already be in
    priority order (as :class:`Knowledge` holds them)."""
    return _match(normalised, signatures)[0]


def _match(
    normalised: str, signatures: Sequence[Signature]
) -> tuple[Signature | None, Diagnostic | None]:
    index = _INDEX.of(signatures)
    headers = parse_diagnostics(normalised)
    by_header = _by_header(index, headers, normalised) if headers else None
    if by_header is not None:
        return by_header
    candidates = set(index.always)
    for keyword in index.finder.found_in(normalised):
        candidates |= index.by_keyword.get(keyword, frozenset())
    # each pattern and phrase runs only when its required literals occur (one scan each)
    possible: frozenset[re.Pattern[str]] | None = None
    words: str | None = None
    in_words: frozenset[re.Pattern[str]] = frozenset()
    for position in sorted(candidates):
        signature = signatures[position]
        hit = False
        if signature.patterns:
            if possible is None:
                possible = index.patterns.possible(normalised)
            hit = _patterns_match(signature, normalised, signature.pattern_set & possible)
        if not hit and signature.phrases:
            if words is None:
                words = phrase_view(normalised)
                in_words = index.phrases.possible(words)
            hit = any(p.search(words) for p in signature.phrase_set & in_words)
        if hit and not _excluded(signature, normalised):
            return signature, headers[0] if headers else None
    if headers:
        fallback = _unknown_code(index, headers, normalised)
        if fallback is not None:
            return fallback
    return None, None


def signature_matches(signature: Signature, normalised: str, words: str | None = None) -> bool:
    """Whether ``normalised`` text recognises this signature on its own: a pasted header with
    one of its codes or reasons, one of its patterns (near a context match, if it has any), or
    one of its phrases on the phrase view ``words`` (computed when not given)."""
    if signature.diagnostic_codes or signature.diagnostic_reasons:
        for header in parse_diagnostics(normalised):
            if header.code in signature.diagnostic_codes:
                return True
            if header.reason and reason_key(header.reason) in signature.diagnostic_reasons:
                return True
    return _plain_match(signature, normalised, words)


def _plain_match(signature: Signature, normalised: str, words: str | None) -> bool:
    if signature.patterns and _patterns_match(signature, normalised):
        return True
    if not signature.phrases:
        return False
    view = phrase_view(normalised) if words is None else words
    return any(p.search(view) for p in signature.phrases)


def _patterns_match(
    signature: Signature, normalised: str, patterns: Iterable[re.Pattern[str]] | None = None
) -> bool:
    """Whether one of ``patterns`` (by default the signature's) matches, near a context match
    if the signature has any."""
    if patterns is None:
        patterns = signature.patterns
    if not signature.context:
        return any(p.search(normalised) for p in patterns)
    anchors = [m.span() for p in patterns for m in islice(p.finditer(normalised), MAX_HITS)]
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


# Something that may be an address or a domain name: worth the extraction pass (the literal
# first lets the regex engine skip to each "@" or ".").
_PARTY_HINT = re.compile(r"@|\.(?<=[\w-]\.)[^\W\d_]")


def recognise(text: str, signatures: tuple[Signature, ...]) -> Signature | None:
    """The signature :func:`triage` would pick for ``text`` (signatures in priority order)."""
    return _recognise(text, _cheap_lower(text), signatures)[0]


def _recognise(
    text: str, lowered: str, signatures: tuple[Signature, ...]
) -> tuple[Signature | None, str | None, Diagnostic | None]:
    """Prefilter on the cheap lower-cased text, then match the normalised text."""
    index = _INDEX.of(signatures)
    if index.complete and not index.finder.any_in(lowered):
        return None, None, None
    normalised = normalise(text)
    signature, header = _match(normalised, signatures)
    return signature, normalised, header


def stated_symptom(normalised: str, stated: Sequence[StatedSymptom]) -> str | None:
    """The symptom the user states in their own words, or the paste shows, if any: a meeting
    refusal first (the first in knowledge order); otherwise, when the text names both messages
    and presence, the one it names first ("messages never arrive, and their status is unknown")."""
    meeting = [
        (e.symptom, e.phrase_set, e.pattern_set) for e in stated if e.symptom == MEETING_JOIN
    ]
    found = _stated(normalised, stated, meeting) if meeting else None
    if found is not None:
        return found
    rows = [(e.symptom, e.phrase_set, e.pattern_set) for e in stated if e.symptom != MEETING_JOIN]
    first = _stated(normalised, stated, rows)
    if first is None:
        return None
    others = [row for row in rows if row[0] != first]
    second = _stated(normalised, stated, others) if others else None
    if second is None:
        return first
    return min((first, second), key=lambda symptom: _first_mention(normalised, stated, symptom))


def _first_mention(normalised: str, stated: Sequence[StatedSymptom], symptom: str) -> float:
    """Where in the text (0 to 1, as a share of its length) the symptom's stated words first
    occur: patterns on the normalised text, phrases on the phrase view."""
    words = phrase_view(normalised)
    starts = [
        match.start() / max(len(text), 1)
        for entry in stated
        if entry.symptom == symptom
        for text, regexes in ((normalised, entry.patterns), (words, entry.phrases))
        for regex in regexes
        if (match := regex.search(text)) is not None
    ]
    return min(starts, default=1.0)


def stated_contact_type(normalised: str, stated: Sequence[StatedContactType]) -> str | None:
    """The contact type the user states in their own words (the first in knowledge order)."""
    return _stated(
        normalised, stated, [(e.contact_type, e.phrase_set, e.pattern_set) for e in stated]
    )


def stated_scope(normalised: str, stated: Sequence[StatedScope]) -> str | None:
    """How many contacts the user says are affected (the first in knowledge order), if they say."""
    found = _keywords_in(normalised, _FINDERS.of(stated))
    return _stated(
        normalised,
        stated,
        [
            (e.scope, e.phrase_set, e.pattern_set)
            for e in stated
            if _worth_trying(e.keywords, found)
        ],
    )


def _worth_trying(keywords: tuple[str, ...], found: frozenset[str]) -> bool:
    """The cheap prefilter of a stated entry or a hint: no keywords, or one of them is among
    ``found`` (the keywords that occur in the text, see :func:`_keywords_in`)."""
    return not keywords or not found.isdisjoint(keywords)


def _keywords_in(normalised: str, finder: KeywordFinder) -> frozenset[str]:
    """The keywords of ``finder`` that occur in ``normalised``, found once per text and finder
    (one triage asks about the same text for every cause hint)."""
    about = _about(normalised)
    found = about.found.get(finder)
    if found is None:
        found = about.found[finder] = finder.found_in(normalised)
    return found


def _finder_of(entries: Sequence[StatedScope] | Sequence[CauseHint]) -> KeywordFinder:
    return KeywordFinder(k for e in entries for k in e.keywords)


_FINDERS: _PerObject[Sequence[StatedScope] | Sequence[CauseHint], KeywordFinder] = _PerObject(
    _finder_of
)

_Entries = (
    Sequence[StatedSymptom]
    | Sequence[StatedContactType]
    | Sequence[StatedScope]
    | Sequence[CauseHint]
)


def _pattern_index(entries: _Entries) -> PatternIndex:
    return PatternIndex(
        p
        for e in entries
        for group in (e.patterns, e.phrases, getattr(e, "unless", ()))
        for p in group
    )


_PATTERNS: _PerObject[_Entries, PatternIndex] = _PerObject(_pattern_index)


def _may_match(normalised: str, text: str, entries: _Entries) -> frozenset[re.Pattern[str]]:
    """The patterns of ``entries`` that may match ``text`` (``normalised`` or its phrase view):
    their required literals occur in it (see :mod:`knowledge.prefilter`). Found once per text."""
    about = _about(normalised)
    index = _PATTERNS.of(entries)
    key = (index, text is normalised)
    possible = about.possible.get(key)
    if possible is None:
        possible = about.possible[key] = index.possible(text)
    return possible


def _stated(
    normalised: str,
    entries: _Entries,
    rows: Sequence[tuple[str, frozenset[re.Pattern[str]], frozenset[re.Pattern[str]]]],
) -> str | None:
    """The value of the first row whose patterns match ``normalised`` or phrases its phrase
    view (only those :func:`_may_match` lets through; set operations, see
    :class:`knowledge.model._PatternSets`)."""
    possible = _may_match(normalised, normalised, entries)
    words: str | None = None
    in_words: frozenset[re.Pattern[str]] = frozenset()
    for value, phrases, patterns in rows:
        # isdisjoint first: most rows have no pattern that may match (one C-level test)
        if not possible.isdisjoint(patterns) and any(
            p.search(normalised) for p in patterns & possible
        ):
            return value
        if phrases and words is None:
            words = phrase_view(normalised)
            in_words = _may_match(normalised, words, entries)
        if (
            words is not None
            and not in_words.isdisjoint(phrases)
            and any(p.search(words) for p in phrases & in_words)
        ):
            return value
    return None


def triage(text: str, kb: Knowledge) -> Triage:
    """Recognise ``text`` (any string; never raises, bounded work)."""
    lowered = _cheap_lower(text)
    if "guess" in lowered:
        # a guess written down as one ("1st line guess: …") is no fact: the rest decides
        text = _GUESS_LINE.sub("", text[:MAX_TRIAGE_CHARS])
        lowered = _cheap_lower(text)
    signature, normalised, header = _recognise(text, lowered, kb.signatures)
    asked = False
    if signature is not None and header is None and _silenceable(signature, kb):
        normalised = normalised or normalise(text)
        if kb.described is not None and kb.described.silence.search(normalised):
            signature = None  # a described failure's own wording, in a text the lexicons silence
        else:
            asked = _how_to(normalised, kb)  # silent too unless the text names the other party
    if signature is not None:
        normalised = normalised or normalise(text)
        if _not_live(normalised, kb):
            signature = None  # quoted in a note that no failure is live
    named = _PARTY_HINT.search(lowered) is not None
    # A failure described in the user's own words: the product and failure lexicons on the cheap
    # lower-cased text are the prefilter (a contraction may become a failure word once expanded).
    may_describe = signature is None and _may_describe(lowered, kb)
    if signature is None and not may_describe:
        if not named:
            return _NOTHING
        return Triage(False, None, None, (), _Deferred(partial(_unrecognised, text, kb)))
    described = False
    addresses: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    own: tuple[str, ...] = ()
    if named:
        if normalised is None:
            normalised = normalise(text)
        addresses, peers, own = classify_parties(normalised, kb, method_names(text))
    if asked and not (addresses or peers):
        signature = None  # a question that names no partner nor when it broke: a how-to
    if may_describe:
        if normalised is None:
            normalised = normalise(text)
        # an address at one of our own domains (a From: header, our user) is no outside party
        party = bool(peers) or any(a.rpartition("@")[2] not in own for a in addresses)
        signature = described_failure(normalised, party, kb)
        described = signature is not None
    if signature is None and not addresses and not peers and not own:
        return _NOTHING
    contact_type = signature.contact_type if signature else None
    symptom = signature.symptom if signature else None
    stated: str | None = None
    if signature is not None:
        if normalised is None:
            normalised = normalise(text)
        symptom = (
            stated_symptom(normalised, kb.stated_symptoms)
            or symptom
            or _described_symptom(normalised, kb)
        )
        stated = stated_contact_type(normalised, kb.stated_contact_types)
        if described and symptom != signature.symptom:
            # the user's words chose another symptom than the lexicons: take its causes
            signature = _described_signature(kb, symptom) or signature
    # What the user states wins, then consumer parties (a Microsoft account or a personal mail
    # address are what the contact is, whatever a signature usually means), then the signature's.
    contact_type, guessed = _contact_of(
        stated or _consumer_contact(addresses, peers, kb) or contact_type,
        bool(peers or described),
        normalised,
        kb,
    )
    scope: str | None = None
    causes: tuple[str, ...] = ()
    if signature is not None and normalised is not None:
        scope = stated_scope(normalised, kb.stated_scopes)
        known = None if guessed else contact_type
        causes = ordered_causes(signature, normalised, kb, symptom, known, scope)
        if _pasted_as_nonexistent(peers, normalised) or (
            # a DNS answer outranks words; the words' own signs can be ruled out ("since the
            # merger": an old domain that still forwards)
            _looks_mistyped(addresses, peers, own, header, normalised, kb)
            and not _ruled_out(kb, MISTYPED_ADDRESS, normalised)
        ):
            causes = _led_by(kb, causes, MISTYPED_ADDRESS, symptom, known)
        elif (
            # an ms-diagnostics header's subdomain is a SIP domain of its own
            (header is None and _under_a_named_domain(addresses, peers, own))
            # a meeting's own causes (the lobby) explain a join under another name
            or (_one_person_two_names(addresses) and not _has_own_causes(kb, symptom))
        ) and not _ruled_out(kb, ADDRESS_FORMAT, normalised):
            causes = _led_by(kb, causes, ADDRESS_FORMAT, symptom, known)
    return Triage(
        recognized=signature is not None,
        signature=signature,
        symptom=symptom,
        likely_causes=causes,
        parties=Parties(addresses, peers, own, contact_type, guessed),
        diagnostic=header,
        scope=scope,
    )


def _looks_mistyped(
    addresses: tuple[str, ...],
    peers: tuple[str, ...],
    own: tuple[str, ...],
    header: Diagnostic | None,
    normalised: str,
    kb: Knowledge,
) -> bool:
    """Whether the contact's address (or the domain an ms-diagnostics header names, as it was
    typed) is likely mistyped."""
    if header is not None and header.domain and _mistyped((f"@{header.domain}",), kb):
        return True
    apart = _listed_apart(peers, normalised)
    if not addresses:
        # no address: two spellings of one domain in the text ("contosso.com" … "contoso.com")
        return _misspelt_domain(tuple(f"@{d}" for d in apart), apart, kb.example_domains)
    return (
        _mistyped(addresses, kb)
        or _one_person_two_domains(addresses, kb)
        or _one_person_two_spellings(addresses)
        or _misspelt_domain(
            addresses, (*apart, *own, *_well_known(kb, addresses)), kb.example_domains
        )
        or _misnamed_organisation(addresses, normalised, kb)
        or _slipped_domain_word(addresses, kb)
        or _swapped_consumer_domain(addresses, kb)
    )


def _pasted_as_nonexistent(peers: tuple[str, ...], normalised: str) -> bool:
    """Whether a DNS tool's pasted answer says a peer's domain itself (not its SRV record) does
    not exist: nslookup's "can't find fineartschool.net: Non-existent domain", Resolve-DnsName's
    "fineartschool.net : DNS name does not exist"."""
    if "non-existent domain" not in normalised and "does not exist" not in normalised:
        return False
    return any(
        f"find {peer}: non-existent domain" in normalised
        or f"resolve-dnsname : {peer} : dns name does not exist" in normalised
        for peer in peers
    )


def _under_a_named_domain(
    addresses: tuple[str, ...], peers: tuple[str, ...], own: tuple[str, ...]
) -> bool:
    """Whether a peer's address is at a subdomain of another peer domain the text names (not
    one of our own, which a hybrid deployment splits)."""
    return any(
        (domain := address.rpartition("@")[2]) != peer
        and domain.endswith(f".{peer}")
        and domain not in own
        for address in addresses
        for peer in peers
    )


def _unrecognised(text: str, kb: Knowledge) -> Parties:
    """The parties of a text that names some but was not recognised, and the kind of contact
    they make (consumer addresses, else another organisation's domain, guessed)."""
    normalised = normalise(text)
    addresses, peers, own = classify_parties(normalised, kb, method_names(text))
    if not (addresses or peers or own):
        return Parties()  # what ordinary chat is
    contact_type, guessed = _contact_of(
        _consumer_contact(addresses, peers, kb), bool(peers), normalised, kb
    )
    return Parties(addresses, peers, own, contact_type, guessed)


def _contact_of(
    known: str | None, other_side: bool, normalised: str | None, kb: Knowledge
) -> tuple[str | None, bool]:
    """The contact type and whether it is only guessed: ``known`` when there is one, else
    another organisation when the text names the other side (a peer's domain, a described
    failure) or says the contact is external."""
    if (
        known is None
        and (other_side or _says_external(normalised, kb))
        and any(c.id == "external_org" for c in kb.contact_types)
    ):
        return "external_org", True
    return known, False


# When a failure began, in the words of someone reporting it ("anymore", "since Friday", "last
# week"): a question with one is a report, whatever it asks.
_LIVE_SINCE = re.compile(
    r"\b(?:anymore|any more|no longer|since (?:yesterday|this morning|last|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|the (?:update|migration|change|weekend|move))|"
    r"(?:yesterday|last (?:week|month|night))\b|this morning)\b"
)


def _how_to(normalised: str, kb: Knowledge) -> bool:
    """Whether the text asks a question in the ``asked`` lexicon's words and says nothing of
    when a failure began: silent unless it also names the other party."""
    asked = kb.described.asked if kb.described else None
    return (
        asked is not None and bool(asked.search(normalised)) and not _LIVE_SINCE.search(normalised)
    )


def _not_live(normalised: str, kb: Knowledge) -> bool:
    """Whether the text says no failure is live: over or not begun (the ``not_live`` lexicon)."""
    not_live = kb.described.not_live if kb.described else None
    return not_live is not None and bool(not_live.search(normalised))


def _silenceable(signature: Signature, kb: Knowledge) -> bool:
    """Whether the described lexicons' silencing words (a question, an announcement, another
    product) also hold for this signature: one for failures described in words whose causes are
    the symptom's guesses (``scoped``), not a quoted client message's."""
    described = kb.described
    return (
        described is not None and signature.scoped and signature.id in described.signatures.values()
    )


def _described_signature(kb: Knowledge, symptom: str | None) -> Signature | None:
    """The signature whose causes a failure described in the user's words takes for ``symptom``."""
    wanted = kb.described.signatures.get(symptom or "") if kb.described else None
    return kb.signature(wanted) if wanted else None


def _says_external(normalised: str | None, kb: Knowledge) -> bool:
    """Whether the text calls the other party external in words ("external guests", "ospiti
    esterni"), as the described lexicon knows them."""
    return (
        normalised is not None
        and kb.described is not None
        and bool(kb.described.external.search(normalised))
    )


def _may_describe(lowered: str, kb: Knowledge) -> bool:
    described = kb.described
    if described is None or not described.product.search(lowered):
        return False
    if "n't" in lowered or "n\u2019t" in lowered or described.failure.search(lowered):
        return True
    if _SHORTHAND.search(lowered):
        return True  # shorthand may hide a failure ("block ext ppl") until written out
    # the lexicons' words are one space apart: a failure wrapped across lines counts too
    if "\n" not in lowered and "  " not in lowered and "\t" not in lowered:
        return False
    return bool(described.failure.search(" ".join(lowered.split())))


def described_failure(normalised: str, party: bool, kb: Knowledge) -> Signature | None:
    """The signature of a failure described in the user's own words (``described.yaml``): a
    product word, an external party (``party``: a peer's domain or address, or an external word)
    and a failure word, and no silencing word (questions, announcements, other products). The
    symptom is a meeting's, else presence's, else instant messages'."""
    described = kb.described
    if described is None or not described.product.search(normalised):
        return None
    fields = _EMPTY_FIELD.sub("", normalised) if " : " in normalised else normalised
    if not described.failure.search(fields):
        return None  # a failure word only as an empty field's name ("Error      :") is none
    if not party and not described.external.search(normalised):
        return None
    if described.silence.search(normalised) or _not_live(normalised, kb):
        return None
    if not party and _how_to(normalised, kb):
        return None  # a question that names no partner nor when it broke: a how-to
    if _elsewhere(normalised, described):
        return None  # another tool's failure ("Slack Connect invites stay pending")
    symptom = _described_symptom(normalised, kb) or "im_not_delivered"
    return _described_signature(kb, symptom) or _described_signature(kb, "im_not_delivered")


# A list-form field with no value (PowerShell's Format-List "Error      :" before the next
# field's name or the end, once normalising has joined the lines).
_EMPTY_FIELD = re.compile(r"\b[a-z][\w-]{0,40} : ?(?=[a-z][\w-]{0,40} :(?!/)|$)")


def _elsewhere(normalised: str, described: Described) -> bool:
    """Whether the failure told is another tool's: the text names one (``elsewhere``) and no
    sentence with a failure word names one of our products (``ours``) without naming another
    tool ("we use Zoom with customers. Since Monday Teams chats with fabrikam.com fail" is ours;
    "our Teams Rooms can't join a customer's Webex meeting" is not) — or else the other tool is
    named only in passing, in no failing sentence, while ours is named on its own ("their Teams
    meeting policy since we moved off Zoom")."""
    if described.elsewhere is None or not described.elsewhere.search(normalised):
        return False
    ours = described.ours
    if ours is None:
        return True
    failure, theirs = described.failure, described.elsewhere
    start = 0
    named_ours = theirs_failing = False
    for end in (*(m.end() for m in _SENTENCE_END.finditer(normalised)), len(normalised)):
        sentence = normalised[start:end]
        start = end
        if _OURS_FINE.search(sentence):
            # "with Teams we never have this problem", "the Teams meetings are fine"; one that
            # sets ours aside for the other tool it names is about that tool ("organised on
            # Google Meet, not our Teams")
            theirs_failing = theirs_failing or bool(theirs.search(sentence))
            continue
        failing, is_ours, is_theirs = (
            failure.search(sentence),
            ours.search(sentence),
            theirs.search(sentence),
        )
        if failing and is_ours and not is_theirs:
            return False
        named_ours = named_ours or (is_ours and not is_theirs)
        theirs_failing = theirs_failing or (failing and is_theirs)
    # the other tool only in passing ("since we moved off Zoom"), never where something fails
    return not named_ours or theirs_failing


# A sentence that says our product is fine or not the one in question: the problem never
# happens with it, it works, or it has nothing to do with it ("not Teams", "non è Teams").
_OURS_FINE = re.compile(
    r"\b(?:jamais|never|nunca|nie|nooit|mai) (?:\w+ ){0,3}?(?:ce|this|that|este|esse|dieses|dit|"
    r"questo|tego) (?:problème|problem|problema|probleem|issue|problemu)\b|"
    r"\b(?:teams|lync|skype)\b[^.;\n]{0,60}?\b(?:are|is|work|works|worked) (?:fine|ok|normally)\b|"
    r"\b(?:nothing to do with|not|non è|no es|não é|pas|nicht|kein|geen) "
    r"(?:our |the )?(?:ms |microsoft )?(?:teams|lync|skype)\b"
)


# Where a sentence ends (a full stop before a space, not the dot of a domain; a line break).
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)|\n")


# Words DNS tools print, not the user: nslookup's unnamed server and its failed look-up.
_TOOL_WORDS = re.compile(
    r"\bserver: ?unknown\b|\b(?:unknown )?(?:cannot|can not) find _[\w.-]{1,300}|"
    r"\bunknown (?:cannot|can not) find [\w.-]{1,300}|"
    r"\bnon-existent domain\b|\bserver failed\b"
)


def _described_symptom(normalised: str, kb: Knowledge) -> str | None:
    """What the text describes when neither the signature nor a stated symptom says (a pasted
    DNS answer or cmdlet output beside the user's words): a meeting's, presence's, or instant
    messages' when the text speaks of a failure at all."""
    described = kb.described
    if described is None:
        return None
    normalised = _TOOL_WORDS.sub(" ", normalised)  # nslookup's own "UnKnown can't find"
    if described.meeting is not None and described.meeting.search(normalised):
        return MEETING_JOIN
    if described.presence is not None and described.presence.search(normalised):
        return "presence_unknown"
    if described.failure.search(normalised):
        return "im_not_delivered"
    return None


def ordered_causes(
    signature: Signature,
    normalised: str,
    kb: Knowledge,
    symptom: str | None,
    contact_type: str | None,
    scope: str | None,
) -> tuple[str, ...]:
    """The signature's likely causes, ordered and pruned by what the text states.

    1. A *scoped* signature (causes that are only the symptom's guesses) with a stated scope:
       the article's table cell for the contact type (another organisation when unknown) and
       that scope leads.
    2. A symptom with causes of its own (a meeting join): those lead (the signature's, else the
       knowledge's), and causes of other symptoms go.
    3. A known contact type drops the causes that don't apply to it (consumer contacts never get
       Edge TLS or hybrid routing).
    4. ``cause_hints`` whose words occur: a ``ruled_out`` cause goes; a ``lead`` cause goes
       first (when it fits the symptom and the contact type), a ``prefer`` cause only when the
       signature lists it. The first ``lead`` hint that applies leads, then the ``prefer`` ones
       (none for a ``keeps_lead`` signature: a pasted setting decides, a word only favours).
    The signature's own list is kept when the rules would leave nothing."""
    causes = list(signature.likely_causes)
    if signature.scoped and scope is not None:
        cell = _cell_causes(kb, contact_type or "external_org", scope)
        # A stated contact type and scope settle the table's part: its cell, then only the
        # article's follow-up causes (Edge, hybrid, not supported); hints may still add.
        rest = [c for c in causes if not contact_type or c in kb.follow_up_causes]
        causes = [*cell, *(c for c in rest if c not in cell)]
    elif scope is not None and causes and _in_table(kb, causes[0]) and not signature.keeps_lead:
        # A signature with causes of its own that leads with one of the article's table causes:
        # the stated scope's cell reorders them (a signature that leads with what its error
        # means, a time-out's connection or hybrid routing, keeps its lead; so does a pasted
        # setting that decides the cause, ``keeps_lead``).
        cell = _cell_causes(kb, contact_type or "external_org", scope)
        causes = [*(c for c in cell if c in causes), *(c for c in causes if c not in cell)]
    elif contact_type is not None and contact_type == _public_im_id(kb):
        causes = _public_im_first(kb, causes, contact_type)
    if symptom is not None:
        causes = _for_symptom(kb, causes, symptom, contact_type)
    if contact_type is not None:
        causes = [c for c in causes if _applies(kb, c, contact_type)] or causes
    if kb.cause_hints:
        causes = _hinted(kb, causes, normalised, symptom, contact_type, signature.keeps_lead)
    return tuple(dict.fromkeys(causes)) or signature.likely_causes


def _in_table(kb: Knowledge, cause_id: str) -> bool:
    """Whether a cause is one of the article's table cells' causes."""
    return any(cause_id in cell.causes for cell in kb.table)


def _mistyped(addresses: tuple[str, ...], kb: Knowledge) -> bool:
    """Whether an address's domain can't be reached: an in-network top-level name
    (``j.ruiz@corp.adatum.local``), or one neither on the public suffix list nor reserved for
    examples (``nikhil@northwindtraders.con``). Bare names
    in prose ("….because") are not addresses, so only addresses count."""
    for address in addresses:
        domain = address.rsplit("@", 1)[-1]
        top = domain.rsplit(".", 1)[-1]
        if top in kb.internal_tlds:
            return True
        if top in kb.reserved_tlds:
            continue
        if public_suffixes().publicsuffix(domain, accept_unknown=False) is None:
            return True
        if _mistyped_second_level(domain):
            return True
    return False


# The second-level names countries register companies under (com.mx, co.uk, org.br …).
_SECOND_LEVELS = ("com", "org", "net", "gov", "edu")


def _mistyped_second_level(domain: str) -> bool:
    """Whether the label before a country's name is one keystroke from a second-level name the
    country uses, and not one itself (``grupoalvear.con.mx`` for ``.com.mx``)."""
    labels = domain.split(".")
    if len(labels) < 3 or len(labels[-1]) != 2 or len(labels[-2]) != 3:
        return False
    second, top = labels[-2], labels[-1]
    suffixes = public_suffixes()
    if suffixes.publicsuffix(f"x.{second}.{top}", accept_unknown=False) == f"{second}.{top}":
        return False  # a second level of its own
    return any(
        second != known
        and sum(a != b for a, b in zip(second, known, strict=True)) == 1
        and suffixes.publicsuffix(f"x.{known}.{top}", accept_unknown=False) == f"{known}.{top}"
        for known in _SECOND_LEVELS
    )


# Shared mailboxes every organisation has: the same name at two domains is two mailboxes.
_ROLE_MAILBOXES = frozenset(
    {"admin", "administrator", "support", "info", "helpdesk", "servicedesk", "postmaster"}
    | {"noreply", "no-reply", "it", "sales", "contact", "office", "test", "user", "sip"}
)


def _one_person_two_domains(addresses: tuple[str, ...], kb: Knowledge) -> bool:
    """Whether one person appears at two organisations' domains (``maria.lopez@fabrikam-corp.com``
    added as a contact, ``maria.lopez@fabrikam.com`` on her mail): one address is likely wrong.
    Consumer and personal-mail addresses are a person's other accounts, not a mistake."""
    personal = {*kb.consumer_domains, *kb.personal_mail_domains}
    seen: dict[str, str] = {}
    for address in addresses:
        local, _, domain = address.rpartition("@")
        if "(" in address or domain in personal or len(local) < 3 or local in _ROLE_MAILBOXES:
            continue
        if any(domain.endswith(f".{parent}") for parent in kb.tenant_initial_parents):
            continue  # the organisation's own initial domain: its sign-in name, not a mistake
        site = public_suffixes().privatesuffix(domain) or domain
        if seen.setdefault(local, site) != site:
            return True
    return False


def _one_person_two_spellings(addresses: tuple[str, ...]) -> bool:
    """Whether one person appears twice at one domain, the names a keystroke or two apart
    (``jonathon.reeve@`` typed, ``jonathan.reeve@`` on his mail; ``jmrash@`` in the directory,
    ``jmarsh@`` typed): one of the two is mistyped. Short names and role mailboxes don't count;
    names of different lengths are a naming scheme (``jm.ross@`` on mail, ``jross@`` as SIP
    address), not a slip."""
    by_domain: dict[str, list[str]] = {}
    for address in addresses:
        local, _, domain = address.rpartition("@")
        if "(" in address or len(local) < MIN_TYPO_LOCAL or local in _ROLE_MAILBOXES:
            continue
        by_domain.setdefault(domain, []).append(local)
    return any(
        a != b and len(a) == len(b) and _within_two_edits(a, b)
        for locals_ in by_domain.values()
        for i, a in enumerate(locals_)
        for b in locals_[i + 1 : i + 4]
    )


MIN_TYPO_LOCAL = 5


def _one_person_two_names(addresses: tuple[str, ...]) -> bool:
    """Whether one person appears at one domain under two naming schemes: the same letters but
    for dots, hyphens and underscores (``j.smith@`` and ``jsmith@``), or the first name cut to its
    initial (``maria.lopez@`` and ``mlopez@``). One of the two is likely not the sign-in address."""
    by_domain: dict[str, set[str]] = {}
    for address in addresses:
        local, _, domain = address.rpartition("@")
        if "(" not in address and local not in _ROLE_MAILBOXES:
            by_domain.setdefault(domain, set()).add(local)
    return any(
        _same_person(a, b)
        for locals_ in by_domain.values()
        if 1 < len(locals_) <= 4
        for a in locals_
        for b in locals_
        if a < b
    )


def _same_person(a: str, b: str) -> bool:
    """``a`` and ``b`` name one person in two schemes (see :func:`_one_person_two_names`)."""
    bare_a, bare_b = _NAME_SEPARATORS.sub("", a), _NAME_SEPARATORS.sub("", b)
    if bare_a == bare_b:
        return len(bare_a) >= MIN_TYPO_LOCAL - 1
    for full, short in ((a, bare_b), (b, bare_a)):
        first, _, last = full.partition(".")
        if len(first) > 1 and len(last) >= 3 and short == first[0] + _NAME_SEPARATORS.sub("", last):
            return True
    return False


_NAME_SEPARATORS = re.compile(r"[._-]")


def _misspelt_domain(
    addresses: tuple[str, ...], domains: tuple[str, ...], examples: tuple[str, ...] = ()
) -> bool:
    """Whether an address's domain is one or two keystrokes from another domain under the same
    top-level name, one the text names or a well-known one in ``domains`` (``j.marsh@hollowbrook-
    advisroy.com`` next to the website ``hollowbrook-advisory.com``, ``hotmial.com`` for the
    consumer ``hotmail.com``) or a documentation example in ``examples`` other than by a hyphen
    (``coho-winery.com`` is another name, ``cohowinrey.com`` a slip): the address is likely
    mistyped."""
    named = {d.lower() for d in domains} | {a.rpartition("@")[2] for a in addresses}
    candidates = named | set(examples)
    for address in addresses:
        domain = address.rpartition("@")[2]
        top = domain.rpartition(".")[2]
        for other in candidates:
            # the cheap tests first: one keystroke in the top-level name, or the same top-level
            # name (fabrikam.de/.at) and a length two keystrokes can reach
            if not (
                _top_cut_short(domain, other)
                or (
                    other.rpartition(".")[2] == top
                    and abs(len(domain) - len(other)) <= 2
                    and min(len(domain), len(other)) >= MIN_TYPO_DOMAIN
                    and other != domain
                    and _within_two_edits(domain, other)
                )
            ):
                continue
            if (
                # an example's name written with a hyphen more or less is another name
                (other in named or other.replace("-", "") != domain.replace("-", ""))
                and not _look_alike(domain, other)
            ):
                return True
    return False


def _look_alike(domain: str, other: str) -> bool:
    """Whether two domains of one length differ where one has a digit for a letter
    (``wawe1soft.pl`` for ``wawelsoft.pl``): a phishing look-alike, not a typing slip."""
    return len(domain) == len(other) and any(
        a != b and (a.isdigit() or b.isdigit()) for a, b in zip(domain, other, strict=True)
    )


def _top_cut_short(domain: str, other: str) -> bool:
    """Whether ``domain`` is ``other`` with one letter of its top-level name left out
    (``litware-holdings.co`` next to ``litware-holdings.com``, ``wingtiptoys.cm`` for the example
    ``wingtiptoys.com``)."""
    name, _, top = domain.rpartition(".")
    other_name, _, other_top = other.rpartition(".")
    return (
        name == other_name
        and len(top) >= 2
        and len(other_top) == len(top) + 1
        and any(other_top[:i] + other_top[i + 1 :] == top for i in range(len(other_top)))
    )


def _listed_apart(domains: tuple[str, ...], normalised: str) -> tuple[str, ...]:
    """The domains not written as a configuration list's item (``Domain=x``): an allowed-list entry
    one letter from the contact's domain is the list's mistake, not the address's."""
    return tuple(d for d in domains if f"domain={d}" not in normalised)


def _misnamed_organisation(addresses: tuple[str, ...], normalised: str, kb: Knowledge) -> bool:
    """Whether an address's organisation name is one changed or swapped letter from the name the
    text calls it by ("Meridian Health" … ``c.okonkwo@meridain-health.com``): the address is likely
    mistyped. Names of another length are not compared: a domain often shortens the name
    ("Lindqvist Marine", ``lindqvist-marin.se``)."""
    labels = set()
    for address in addresses:
        name = _organisation_name(address, kb)
        label = name.replace("-", "") if name else ""
        if len(label) >= MIN_TYPO_DOMAIN:
            labels.add(label)
    if not labels:
        return False
    # a possessive is part of the name: "Margie's Travel" for margiestravel.com
    scanned = _POSSESSIVE.sub("s", normalised[:MAX_NAME_SCAN])
    words = _NAME_WORD.findall(_folded(scanned))
    # German umlauts are written ae, oe, ue in a domain ("Krämer", kraemer-logistik.de).
    spelt = _NAME_WORD.findall(_folded(scanned.translate(_UMLAUTS)))
    if len(spelt) != len(words):
        spelt = words
    for label in labels:
        for i in range(len(words)):
            joined = spelt_out = ""
            for word, other in zip(words[i : i + 3], spelt[i : i + 3], strict=True):
                if word in _NOT_A_NAME:
                    break  # "Meridian as a contact" is not the name "meridianas"
                joined += word
                spelt_out += other
                if spelt_out == label:
                    break  # the name, its umlauts written out
                if len(joined) >= len(label) - 1:
                    if (
                        joined != label
                        and abs(len(joined) - len(label)) <= 1
                        and _one_slip(joined, label)
                    ):
                        return True
                    if len(joined) >= len(label):
                        break
    return False


_NAME_WORD = re.compile(r"[^\W\d_]{2,40}")
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])'s\b")
# Short words that are never part of an organisation's name.
_NOT_A_NAME = frozenset(
    {"as", "at", "is", "in", "on", "to", "of", "it", "an", "and", "the", "or", "by", "for", "we"}
    | {"he", "she", "his", "her", "our", "my", "me", "us", "from", "with", "was", "has", "are"}
)


def _folded(text: str) -> str:
    """``text`` without accents ("Corbière" is written ``corbiere`` in a domain)."""
    if text.isascii():
        return text
    text = text.translate(_UNDECOMPOSED)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
# Letters Unicode doesn't decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {"đ": "d", "ð": "d", "ł": "l", "ø": "o", "ı": "i", "ß": "ss", "æ": "ae"}
)


# How much of a text is read for the names it uses (a 40 KB paste names its parties early).
MAX_NAME_SCAN = 8000


def _organisation_name(address: str, kb: Knowledge) -> str | None:
    """The name part of an address's registered domain (``harborline-logistics`` for
    ``d.volkov@harborline-logistics.com``); None for consumer and personal-mail addresses,
    which name no organisation."""
    domain = address.rpartition("@")[2]
    if domain in kb.personal_mail_domains or kb.is_consumer_domain(domain):
        return None
    return (public_suffixes().privatesuffix(domain) or domain).partition(".")[0]


def _slipped_domain_word(addresses: tuple[str, ...], kb: Knowledge) -> bool:
    """Whether a part of an address's domain (between hyphens) is a common company word
    (``kb.domain_words``) or a documentation example's name (``kb.example_domains``) with one
    letter left out, added or swapped inside (``harborline-logistcs.com``, ``contsoso-pharma.com``):
    a typing slip, so the domain likely doesn't exist."""
    words = _SLIP_WORDS.of(kb)
    for address in addresses:
        name = _organisation_name(address, kb) or ""
        for part in name.split("-"):
            if len(part) < 6 or part in words.known:
                continue
            # the first letter is kept: a name is rarely mistyped at its start
            if not part.endswith(words.ordered) and words.slipped_tail(part):
                return True
    return False


class _SlipWords:
    """The words a domain part may end with slipped, by first letter and length: a part is
    compared only with the words its tails could be a slip of."""

    def __init__(self, kb: Knowledge) -> None:
        examples = (d.partition(".")[0] for d in kb.example_domains)
        named = (e for e in examples if "-" not in e)  # adventure-works: two words
        self.ordered = tuple(dict.fromkeys((*kb.domain_words, *named)))
        self.known = frozenset(self.ordered)
        by_start: dict[tuple[str, int], list[str]] = {}
        for word in self.ordered:
            if word:
                by_start.setdefault((word[0], len(word)), []).append(word)
        self._by_start = {key: tuple(words) for key, words in by_start.items()}

    def slipped_tail(self, part: str) -> bool:
        """Whether ``part`` is a word slipped, or ends with one slipped after a name of three
        letters or more (``coastalfreigth``: coastal + freight)."""
        by_start = self._by_start
        for start in (0, *range(MIN_NAME_BEFORE_WORD, len(part))):
            tail = part[start:]
            size = len(tail)
            for length in (size - 1, size, size + 1):
                for word in by_start.get((tail[0], length), ()):
                    if _typing_slip(tail, word):
                        return True
        return False


_SLIP_WORDS: _PerObject[Knowledge, _SlipWords] = _PerObject(_SlipWords)


# A company word is looked for at a domain part's end only after a name this long (coastal-).
MIN_NAME_BEFORE_WORD = 3


def _typing_slip(a: str, b: str) -> bool:
    """One letter left out or added inside, or two neighbours swapped: :func:`_one_slip`
    without its changed letter (another language's spelling, not a slip of the fingers)."""
    changed_letter = len(a) == len(b) and len(_differences(a, b)) == 1
    return not changed_letter and _one_slip(a, b)


def _one_slip(a: str, b: str) -> bool:
    """Whether two names differ by one letter, one swap of neighbours, or one letter left out
    inside (not at the end: a domain may shorten a name, "Lindqvist Marine",
    ``lindqvist-marin``; but a last letter typed twice is a slip, "Constructii BV",
    ``constructii-bvv``)."""
    if len(a) != len(b):
        short, long_ = sorted((a, b), key=len)
        if len(long_) - len(short) != 1:
            return False
        i = next(
            (k for k, (x, y) in enumerate(zip(short, long_[: len(short)], strict=True)) if x != y),
            len(short),
        )
        if i == len(short):
            return long_[-1] == long_[-2]
        return short[i:] == long_[i + 1 :]
    return len(_differences(a, b)) == 1 or _neighbours_swapped(a, b)


def _neighbours_swapped(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with two neighbouring letters swapped."""
    if len(a) != len(b):
        return False
    diff = _differences(a, b)
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i, j = diff
    return a[i] == b[j] and a[j] == b[i]


def _differences(a: str, b: str) -> list[int]:
    """The positions where two names of the same length differ."""
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


# Shorter names are too alike by chance (ab.com, ac.com) to call one a typo of the other.
MIN_TYPO_DOMAIN = 8
# A well-known consumer domain a text doesn't name is compared only when it is this long: a
# company at hive.com is not a typo of live.com, nor email.com of gmail.com.
MIN_WELL_KNOWN_TYPO = 10


def _well_known(kb: Knowledge, addresses: tuple[str, ...]) -> tuple[str, ...]:
    """The consumer and personal-mail domains long enough to tell a typo of from a company, and
    the consumer ones under each address's own top-level name (``outlok.dk`` for ``outlook.dk``,
    as :meth:`Knowledge.is_consumer_domain` knows them; ``hotmial.co.uk`` for ``hotmail.co.uk``:
    the public suffix, not only the last label)."""
    suffixes = public_suffixes()
    tops = {
        suffixes.publicsuffix(domain) or domain.rpartition(".")[2]
        for domain in (a.rpartition("@")[2] for a in addresses)
    }
    local = (f"{d.rpartition('.')[0]}.{top}" for d in kb.consumer_domains for top in tops)
    known = (*kb.consumer_domains, *kb.personal_mail_domains, *local)
    return tuple(d for d in dict.fromkeys(known) if len(d) >= MIN_WELL_KNOWN_TYPO)


def _swapped_consumer_domain(addresses: tuple[str, ...], kb: Knowledge) -> bool:
    """Whether an address's domain is a consumer or personal-mail domain with two neighbouring
    letters swapped (``gmial.com``): shorter than :data:`MIN_WELL_KNOWN_TYPO`, such a domain is
    compared only for a swap, which a company's real name rarely is."""
    known = {*kb.consumer_domains, *kb.personal_mail_domains}
    domains = {a.rpartition("@")[2] for a in addresses}
    return any(
        len(domain) >= MIN_TYPO_DOMAIN and _neighbours_swapped(domain, other)
        for domain in domains - known
        for other in known
    )


def _within_two_edits(a: str, b: str) -> bool:
    """Levenshtein distance of at most 2 (a swap of neighbours counts as 2), bounded work."""
    if abs(len(a) - len(b)) > 2 or len(a) > MAX_TYPO_DOMAIN or len(b) > MAX_TYPO_DOMAIN:
        return False
    return Levenshtein.distance(a, b, score_cutoff=2) <= 2


MAX_TYPO_DOMAIN = 80


def _led_by(
    kb: Knowledge, causes: tuple[str, ...], lead: str, symptom: str | None, contact: str | None
) -> tuple[str, ...]:
    """``causes`` with ``lead`` first, when the knowledge has it and it fits the facts."""
    if lead not in kb.causes or not _fits(kb, lead, symptom) or not _applies(kb, lead, contact):
        return causes
    return (lead, *(c for c in causes if c != lead))


def _public_im_first(kb: Knowledge, causes: list[str], contact_type: str) -> list[str]:
    """A public IM contact with no stated scope: when the signature leads with a cause outside
    the contact type's cells of the article's table, those cells lead (all contacts first, as
    a consumer contact is rarely the only one), then the signature's own causes. A cause of
    this contact type only keeps the lead."""
    cells = [c for s in ("all", "multiple", "one") for c in _cell_causes(kb, contact_type, s)]
    if not cells or not causes or causes[0] in cells or _specific(kb, causes[0], contact_type):
        return causes
    lead = list(dict.fromkeys(cells))
    return [*lead, *(c for c in causes if c not in lead)]


def _specific(kb: Knowledge, cause_id: str, contact_type: str) -> bool:
    """Whether a cause belongs to ``contact_type`` only (consumer Skype's ``not_supported``)."""
    cause = kb.causes.get(cause_id)
    return cause is not None and cause.contact_types == (contact_type,)


def _cell_causes(kb: Knowledge, contact_type: str, scope: str) -> tuple[str, ...]:
    try:
        return kb.cell(contact_type, scope).causes
    except KeyError:
        return ()


def _applies(kb: Knowledge, cause_id: str, contact_type: str | None) -> bool:
    cause = kb.causes.get(cause_id)
    return cause is None or cause.applies_to(contact_type)


def _fits(kb: Knowledge, cause_id: str, symptom: str | None) -> bool:
    """Whether a cause belongs to ``symptom`` (causes of no particular symptom belong to all)."""
    cause = kb.causes.get(cause_id)
    return cause is None or not cause.symptoms or symptom is None or symptom in cause.symptoms


def _has_own_causes(kb: Knowledge, symptom: str | None) -> bool:
    """Whether some causes belong to ``symptom`` alone (a meeting join's)."""
    return symptom is not None and any(symptom in c.symptoms for c in kb.causes.values())


def _for_symptom(
    kb: Knowledge, causes: list[str], symptom: str, contact_type: str | None
) -> list[str]:
    own = [c.id for c in kb.causes.values() if symptom in c.symptoms]
    rest = [c for c in causes if _fits(kb, c, symptom)]
    if not own:
        return rest or causes
    lead = [c for c in causes if c in own]
    if not lead:
        lead = [c for c in own if _applies(kb, c, contact_type)]
    return [*lead, *(c for c in rest if c not in lead)]


def _hinted(
    kb: Knowledge,
    causes: list[str],
    normalised: str,
    symptom: str | None,
    contact_type: str | None,
    keeps_lead: bool,
) -> list[str]:
    leads, preferred, ruled = _hint_effects(kb, causes, normalised, symptom, contact_type)
    if (leads or preferred) and _GUESS.search(normalised):
        # a lead only a guess names ("I'm pretty sure it's their cert") comes after the leads the
        # rest of the text gives: the evidence pasted beside a guess decides (preferences alike)
        sure_leads, sure_preferred, _ = _hint_effects(
            kb, causes, _without_guesses(normalised), symptom, contact_type
        )
        leads = [*sure_leads, *(c for c in leads if c not in sure_leads)]
        preferred = [*sure_preferred, *(c for c in preferred if c not in sure_preferred)]
    if keeps_lead:
        preferred = []  # a word that only favours a cause never outranks a setting that decides
    # a fact that names a cause outranks a word that only favours one the signature lists
    first = [*leads, *preferred]
    ordered = [*first, *(c for c in causes if c not in first)]
    return [c for c in ordered if c not in ruled] or ordered


def _without_guesses(normalised: str) -> str:
    """The text with each guess blanked from its word to the end of its sentence ("… after an
    audit, and I'm pretty sure there are three entries": the audit stays)."""
    kept = []
    for sentence in _SENTENCE.split(normalised):
        guess = _GUESS.search(sentence)
        kept.append(sentence[: guess.start()] if guess else sentence)
    return " ".join(kept)


def _hint_effects(
    kb: Knowledge,
    causes: list[str],
    normalised: str,
    symptom: str | None,
    contact_type: str | None,
) -> tuple[list[str], list[str], set[str]]:
    """The causes the cause hints that match lead with, prefer, and rule out."""
    words: str | None = None
    leads: list[str] = []
    preferred: list[str] = []
    ruled: set[str] = set()
    found = _keywords_in(normalised, _FINDERS.of(kb.cause_hints))
    possible = _may_match(normalised, normalised, kb.cause_hints)
    in_words: frozenset[re.Pattern[str]] = frozenset()
    for hint in _HINT_INDEX.of(kb.cause_hints).candidates(possible):
        if hint.contact_type is not None and hint.contact_type != contact_type:
            continue
        # a lead may add a cause the signature doesn't list; a fact that rules it out still wins
        if hint.effect == "prefer" and hint.cause not in causes:
            continue
        if not _worth_trying(hint.keywords, found):
            continue
        if hint.phrases and words is None:
            words = phrase_view(normalised)
            in_words = _may_match(normalised, words, kb.cause_hints)
        if not _hint_matches(hint, normalised, possible, words, in_words):
            continue
        if hint.effect == "ruled_out":
            ruled.add(hint.cause)
            continue
        cause = _STANDS_IN.of(kb).get((hint.cause, symptom or ""), hint.cause)
        if _fits(kb, cause, symptom) and _applies(kb, cause, contact_type):
            (preferred if hint.effect == "prefer" else leads).append(cause)
    return leads, preferred, ruled


# A sentence that guesses rather than reports: "I think", "I'm pretty sure", "he swears" ("I
# think I blocked …" reports what the writer did).
_GUESS = re.compile(
    r"\b(?:i think(?! (?:i|we)\b)|"
    r"i am (?:pretty |quite |fairly |100% |totally )?(?:sure|convinced|certain)|"
    r"i suspect|i bet|i guess|i assume|my (?:guess|theory|hunch)|"
    r"(?:he|she|they|it|[a-z]+ (?:guy|team|desk|admin|manager|boss|support)) "
    r"(?:swears?|insists?|(?:was|is|were|are) (?:sure|convinced|certain)|thinks?|thought|"
    r"suspects?|reckons?|blamed?|blames))\b"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _stands_in(kb: Knowledge) -> dict[tuple[str, str], str]:
    """(cause, symptom) -> the cause that stands for it there (``Cause.stands_for``)."""
    return {
        (other, symptom): cause.id
        for cause in kb.causes.values()
        for other in cause.stands_for
        for symptom in cause.symptoms
    }


_STANDS_IN: _PerObject[Knowledge, dict[tuple[str, str], str]] = _PerObject(_stands_in)


class _HintIndex:
    """Cause hints by pattern: only a hint with a pattern that may match (or with phrases, which
    are matched on another view of the text) can match, so only those are tried, in order."""

    def __init__(self, hints: Sequence[CauseHint]) -> None:
        self._hints = tuple(hints)
        by_pattern: dict[int, list[int]] = {}  # by id: a regex hashes its whole program
        always: list[int] = []
        for number, hint in enumerate(self._hints):
            if hint.phrases:
                always.append(number)
            for pattern in hint.patterns:
                by_pattern.setdefault(id(pattern), []).append(number)
        self._by_pattern = {p: tuple(n) for p, n in by_pattern.items()}
        self._always = frozenset(always)

    def candidates(self, possible: frozenset[re.Pattern[str]]) -> list[CauseHint]:
        """The hints that may match a text whose possible patterns are ``possible``."""
        by_pattern = self._by_pattern
        numbers = set(self._always)
        for pattern in possible:
            numbers.update(by_pattern.get(id(pattern), ()))
        return [self._hints[n] for n in sorted(numbers)]


_HINT_INDEX: _PerObject[Sequence[CauseHint], _HintIndex] = _PerObject(_HintIndex)


def _ruled_out(kb: Knowledge, cause_id: str, normalised: str) -> bool:
    """Whether a ``ruled_out`` cause hint for ``cause_id`` matches (its patterns only)."""
    return cause_id in _all_ruled_out(kb, normalised, (cause_id,))


def ruled_out_by_words(kb: Knowledge, text: str) -> frozenset[str]:
    """The causes the text's own words rule out (its ``ruled_out`` cause hints that match): a
    setting pasted beside them that would confirm one doesn't bring it back ("GCC High" and a
    personal account: consumer chat is not supported there, whatever AllowTeamsConsumer says)."""
    return _all_ruled_out(kb, normalise(text), None)


def _all_ruled_out(kb: Knowledge, normalised: str, only: tuple[str, ...] | None) -> frozenset[str]:
    """The causes (of ``only``, or all) a ``ruled_out`` cause hint matches for (patterns only)."""
    found = _keywords_in(normalised, _FINDERS.of(kb.cause_hints))
    possible = _may_match(normalised, normalised, kb.cause_hints)
    return frozenset(
        hint.cause
        for hint in _HINT_INDEX.of(kb.cause_hints).candidates(possible)
        if hint.effect == "ruled_out"
        and (only is None or hint.cause in only)
        and _worth_trying(hint.keywords, found)
        and _hint_matches(hint, normalised, possible, None, frozenset())
    )


def _hint_matches(
    hint: CauseHint,
    normalised: str,
    possible: frozenset[re.Pattern[str]],
    words: str | None,
    in_words: frozenset[re.Pattern[str]],
) -> bool:
    """Whether ``hint`` matches: one of its patterns in ``normalised`` or phrases in ``words``
    (run only when :func:`_may_match` lets them: ``possible``, ``in_words``), none of its
    ``unless`` patterns."""
    if any(p.search(normalised) for p in hint.pattern_set & possible):
        matched = True
    else:
        matched = words is not None and any(p.search(words) for p in hint.phrase_set & in_words)
    return matched and not any(p.search(normalised) for p in hint.unless_set & possible)


# --- parties: the peer, the reporter's own infrastructure, and names that only look like one ---
# The label in front of a name says whose it is (on normalised text, the window before it).
_ROLE = re.compile(
    r"(?:^|[\s;,(\[])-?(?:"
    # "Label: name" or "Label=name" (SIP headers, event logs, cmdlet output, ms-diagnostics).
    r"(to|from|source|computer|domain|peerserver|peer server|targetfqdn|target fqdn|via|"
    r"contact|record-route|p-asserted-identity|server|fqdn|machine|host) ?[:=] ?"
    # "Label name" in words or as a cmdlet parameter ("-Domain fabrikam.com").
    # "-Identity user@domain" in a Cs cmdlet names one of our own users (cmdlets can't look up
    # another organisation's).
    r"|(to|domain|targetfqdn|remote domain|partner domain|federated domain|external domain|"
    r"identity|peer server|edge server|pool) "
    r")(?:\"[^\"<>]{0,60}\" ?)?(?:[\"'<]|sip:|sips:| )*$"
)
# The labels that count without ":" or "=" (a cheap test before the regex).
_LOOSE = ("to ", "domain ", "fqdn ", "server ", "pool ", "identity ")
_PEER_ROLES = frozenset(
    {"to", "domain", "peerserver", "peer server", "remote domain", "partner domain"}
    | {"federated domain", "external domain"}
)
_ROLE_WINDOW = 48
# The writer's own domain in words: before it ("I am at", "our domain is") or after it ("is us").
_OURS_BEFORE = re.compile(
    r"(?:^|[\s(])(?:i am (?:at|from|with)|we are (?:at|from)|our (?:own )?(?:sip |primary |home "
    r"|email |e-mail )?domain(?: is|:)?) \W?$"
)
# "our peregrine-labs.com domain", "our own contoso.com tenant"
_OUR_NAMED = re.compile(r"\bour (?:own |old |new |primary |main )?\W?$")
_NAMED_DOMAIN = re.compile(r"\W? (?:sip |e-?mail |primary |main )?(?:domain|tenant)\b")
_OURS_AFTER = re.compile(
    r"\W{0,2} ?(?:is|=) (?:us|ours|our (?:own )?domain)\b|\W{0,2} \((?:us|ours)\)"
)
# A mail header's correspondent: "From: Dana Whitfield <", "To: Rob <", "Von: … [mailto:".
_MAIL_HEADER = re.compile(
    r"(?:^|\s)(?:from|to|cc|von|an|de|à|para|da|van|aan|från|till|od|do):? [^<>:@\[\]]{1,60}"
    r"(?:<|\[mailto:)$"
)
# The account a PowerShell session signed in with, as Connect-MicrosoftTeams prints it (Account,
# Environment, Tenant): the reporter's own admin.
_SIGNED_IN = re.compile(
    r" {1,40}(?:azurecloud|azureusgovernment|azurechinacloud|teamsgcch|teamsdod)\b"
)
# First labels of the reporter's own servers (Edge, pools, front ends, directors …).
_OWN_HOST = re.compile(
    r"(?:^|[-_])(?:edge|pool|fe|fepool|lyncfe|sfbfe|director|dir|lync|sfb|ocs|proxy|accessproxy|"
    r"ap|mediation|med|fe\d|edge\d)(?:\d{0,3})(?:[-_]|$)"
)
# Names that look like domains but are .NET type / PowerShell names or permission names.
_NAMESPACE_FIRST = frozenset({"microsoft", "system", "windows"})
_PERMISSION_LAST = frozenset(
    {"all", "read", "readwrite", "write", "readbasic", "send", "shared", "manage"}
    | {"ownedby", "selected", "create", "delete", "update"}
)


def extract_parties(normalised: str, kb: Knowledge) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses and domains (peers first, then own) in already normalised text."""
    addresses, peers, own = classify_parties(normalised, kb)
    return addresses, (*peers, *own)[:MAX_DOMAINS]


def _diagnostic_peer(normalised: str, start: int, role: str | None) -> bool:
    """Whether the name at ``start`` is an ms-diagnostics header's ``fqdn="…"``: the federated
    peer server the Edge failed to reach ([MS-OCER] 1046, 1047), not one of ours."""
    return role == "fqdn" and normalised[max(0, start - 6) : start] == 'fqdn="'


def _said_ours(normalised: str, start: int, end: int) -> bool:
    """Whether the text says the domain at ``start:end`` is the writer's own ("I'm at
    contoso.com", "our domain is contoso.com", "(relecloud.com is us)")."""
    return bool(
        _OURS_AFTER.match(normalised, end)
        or _OURS_BEFORE.search(normalised, max(0, start - _ROLE_WINDOW), start)
        or (
            _OUR_NAMED.search(normalised, max(0, start - 12), start) is not None
            and _NAMED_DOMAIN.match(normalised, end) is not None
        )
    )


def _in_mail_header(normalised: str, start: int) -> bool:
    """Whether the address at ``start`` is a forwarded mail's header, ``From: Name <address>``:
    who wrote or got the mail (often the reporter's own colleagues), not who the failure is with."""
    return normalised[start - 1 : start] in ("<", "[") and bool(
        _MAIL_HEADER.search(normalised, max(0, start - _ROLE_WINDOW - 20), start)
    )


def _role(normalised: str, start: int) -> str | None:
    window = normalised[max(0, start - _ROLE_WINDOW) : start]
    if ":" not in window and "=" not in window and not any(map(window.__contains__, _LOOSE)):
        return None
    match = _ROLE.search(window)
    return (match.group(1) or match.group(2)) if match else None


def method_names(text: str) -> frozenset[str]:
    """Dotted names written like code (``NotifySingle.Notify``, ``Foo.BarBaz``: a last label
    capitalised and in mixed case), lower-cased: method and type names, never domains."""
    if "." not in text:
        return frozenset()
    found = islice(_METHOD_NAME.finditer(text[:MAX_TRIAGE_CHARS]), MAX_CANDIDATES)
    return frozenset(m.group().lower() for m in found)


# A code name: labels ending in a capitalised, mixed-case one ("Notify", "GetUser").
_METHOD_NAME = re.compile(
    r"(?<![\w.@-])(?:[A-Za-z_]\w{0,62}\.){1,6}[A-Z][a-z]\w{2,62}(?![\w@-]|\.\w)"
)


def classify_parties(
    normalised: str, kb: Knowledge, methods: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Addresses, peer domains and own domains in already normalised text (see
    :class:`Triage`); ``methods`` are code names seen in the raw text, never domains."""
    addresses: dict[str, None] = {}
    labelled_peer: list[str] = []
    peer: list[str] = []
    listed: list[str] = []
    own: list[str] = []
    hits = _ADDRESS.finditer(normalised) if "@" in normalised else iter(())
    for match in islice(hits, MAX_CANDIDATES):
        local, special, domain = match.group(1), match.group(2), _clean_domain(match.group(3))
        local = local.strip(".'")
        if not local or domain is None:
            continue
        address = f"{local}({special})@{domain}" if special else f"{local}@{domain}"
        addresses.setdefault(address, None)
        inner = (_clean_domain(special) if special else None) or domain
        role = _role(normalised, match.start())
        if role in _PEER_ROLES:
            labelled_peer.append(inner)
        elif role is not None or _SIGNED_IN.match(normalised, match.end()):
            own.append(inner)
        elif _in_mail_header(normalised, match.start()):
            listed.append(inner)  # a forwarded mail's correspondent: the peer only if no other
        else:
            peer.append(inner)
        if len(addresses) >= MAX_ADDRESSES:
            break
    if "." in normalised:
        without_links = _URL.sub(_blank, normalised) if "://" in normalised else normalised
        seen = 0
        for match in islice(_DOMAIN.finditer(without_links), MAX_CANDIDATES):
            raw = match.group(1)
            if _looks_like_a_name(raw) or raw in methods:
                continue
            domain = _party_domain(raw)
            if domain is None or not _known_top(domain, kb):
                continue
            role = _role(without_links, match.start())
            if role == "domain" and without_links[match.start() - 1 : match.start()] == "=":
                # "Domain=x" in a cmdlet's allowed / blocked domains listing: an entry of the
                # list, the peer only when nothing else names one (after the others)
                listed.append(domain)
            elif role in _PEER_ROLES or _diagnostic_peer(without_links, match.start(), role):
                labelled_peer.append(domain)
            elif role is not None or _OWN_HOST.search(raw.split(".", 1)[0]):
                own.append(_organisation(domain))
            elif _said_ours(without_links, match.start(), match.end()):
                own.append(domain)
            else:
                peer.append(domain)
            seen += 1
            if seen >= 4 * MAX_DOMAINS:
                break
    return tuple(addresses), *_split_domains(labelled_peer, [*peer, *listed], own, kb)


def _organisation(host: str) -> str:
    """A server's host name reduced to its organisation's domain (``edge01.contoso.com``); a
    registered domain stays whole (``kingsbridge.ac.uk``, not ``ac.uk``)."""
    labels = host.split(".")
    if len(labels) < 3 or public_suffixes().privatesuffix(host) == host:
        return host
    return ".".join(labels[1:])


def _blank(match: re.Match[str]) -> str:
    """A link blanked out with spaces (positions stay, so role labels still line up)."""
    return " " * len(match.group())


def _looks_like_a_name(raw: str) -> bool:
    """A .NET type or PowerShell name (``Microsoft.Rtc.Management…``) or a permission name
    (``Presence.Read.All``): not a domain."""
    labels = raw.lower().split(".")
    if len(labels) >= 3 and labels[0] in _NAMESPACE_FIRST:
        return True
    return labels[-1] in _PERMISSION_LAST


def _known_top(domain: str, kb: Knowledge) -> bool:
    """Whether a bare (lower-case) name ends in a top-level name a domain can have: one on the
    public suffix list, reserved for examples or used inside networks. ``j.brandt``, ``r.haas``
    and ``rui.almeida.porto`` are people's names or Skype names, not domains."""
    top = domain.rpartition(".")[2]
    if top in kb.reserved_tlds or top in kb.internal_tlds:
        return True
    return public_suffixes().publicsuffix(domain, accept_unknown=False) is not None


def _split_domains(
    labelled_peer: list[str], peer: list[str], own: list[str], kb: Knowledge
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Deduplicate, drop ignored (infrastructure) domains; a domain labelled as the peer's is
    the peer's, one seen as the reporter's own (or a home domain) is own, the rest are peers."""
    ignored = kb.ignored_domains
    labelled = [d for d in dict.fromkeys(labelled_peer) if not _is_under(d, ignored)]
    own_set = {d for d in own if d not in labelled}
    peers = [
        d
        for d in dict.fromkeys([*labelled, *peer])
        if not _is_under(d, ignored)
        and (d in labelled or d not in own_set)
        and not _is_under(d, kb.home_domains)
    ]
    mine = [
        d
        for d in dict.fromkeys([*own, *labelled_peer, *peer])
        if not _is_under(d, ignored) and d not in peers
    ]
    return tuple(peers[:MAX_DOMAINS]), tuple(mine[:MAX_DOMAINS])


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


def _is_under(domain: str, suffixes: tuple[str, ...]) -> bool:
    """Whether ``domain`` is one of ``suffixes`` or under one: a set look-up per label (the
    ignored list has dozens of entries, a name a handful of labels)."""
    names = _SUFFIX_SETS.of(suffixes)
    while True:
        if domain in names:
            return True
        dot = domain.find(".")
        if dot < 0:
            return False
        domain = domain[dot + 1 :]


_SUFFIX_SETS: _PerObject[tuple[str, ...], frozenset[str]] = _PerObject(frozenset)


def _all_consumer(addresses: tuple[str, ...], kb: Knowledge) -> bool:
    """Every address is a consumer (Microsoft account) contact: on a standard consumer domain
    or already in the special ``user(domain)@msn.com`` form."""
    if not kb.consumer_domains:
        return False
    return all("(" in a or kb.is_consumer_domain(a.rsplit("@", 1)[-1]) for a in addresses)


def _consumer_contact(
    addresses: tuple[str, ...], peers: tuple[str, ...], kb: Knowledge
) -> str | None:
    """A public IM contact when the parties are consumers: Microsoft account addresses, or a
    consumer or public mail domain among the peers."""
    if addresses and _all_consumer(addresses, kb):
        return _public_im_id(kb)
    personal = kb.personal_mail_domains
    domains = (*peers, *(a.rsplit("@", 1)[-1] for a in addresses))
    if any(d in personal or kb.is_consumer_domain(d) for d in domains):
        return _public_im_id(kb)
    return None


def _public_im_id(kb: Knowledge) -> str | None:
    """The contact type meant for consumer contacts (the second row of the article's table)."""
    ids = [c.id for c in kb.contact_types]
    return "public_im" if "public_im" in ids else None
