"""Typed view of the knowledge files. Everything a person reads comes from YAML, not from Python."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from knowledge.lexicon import Lexicon

# A country's form of a consumer domain: hotmail.fr, live.com.au, outlook.co.uk.
_COUNTRY_SUFFIX = re.compile(r"^(?:com|[a-z]{2}|(?:co|com)\.[a-z]{2})$")

CheckKind = Literal["none", "own_domain", "external_domain", "contact_format"]
Severity = Literal["ok", "info", "warning", "error"]


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Option:
    """An answer the user can pick: a symptom, a contact type or a scope. ``short`` is the
    button's label (clients cut long ones); ``label`` the full wording shown in the card."""

    id: str
    label: str
    description: str = ""
    short: str = ""


@dataclass(frozen=True)
class Resolution:
    """One resolution section of the article, plus how to do it in Teams today."""

    id: str
    title: str
    intro: str
    steps: tuple[str, ...]
    notes: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    teams_today: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cause:
    """A likely cause. ``check`` says which live check backs it; ``check_meaning`` maps a check
    status (``ok`` | ``problem`` | ``dns_error``) to what that result means for this cause.
    ``contact_types`` limits the cause to those kinds of contact (empty: any); ``symptoms`` makes it
    a cause of those symptoms only, shown instead of the table's cell (empty: the table decides).
    ``cleared_by_check``: an ``ok`` result of its own check rules the cause out.
    ``config_findings``: the codes of pasted-configuration findings that confirm this cause; the
    dialog asks for the configuration before its card (and a clean one rules it out).
    ``stands_for``: causes this one is the form of for its own symptoms (a meeting join's
    external access for the chat's domain permissions): a hint that names one of them leads
    with this cause when the symptom is one of this cause's."""

    id: str
    title: str
    summary: str
    resolution: str
    check: CheckKind = "none"
    check_meaning: dict[str, str] = field(default_factory=dict)
    contact_types: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    cleared_by_check: bool = False
    config_findings: tuple[str, ...] = ()
    stands_for: tuple[str, ...] = ()

    def applies_to(self, contact_type: str | None) -> bool:
        return not self.contact_types or contact_type is None or contact_type in self.contact_types


@dataclass(frozen=True)
class Cell:
    """One cell of the article's table: contact type × scope → causes, most likely first."""

    contact_type: str
    scope: str
    causes: tuple[str, ...]


class _PatternSets:
    """The ``patterns`` and ``phrases`` of a signature, stated fact or cause hint as sets, for
    triage's set operations: a compiled regex hashes its whole program on every hash (up to
    ~15 µs for a long alternation), a set entry keeps its hash."""

    patterns: tuple[re.Pattern[str], ...]
    phrases: tuple[re.Pattern[str], ...]

    @cached_property
    def pattern_set(self) -> frozenset[re.Pattern[str]]:
        return frozenset(self.patterns)

    @cached_property
    def phrase_set(self) -> frozenset[re.Pattern[str]]:
        return frozenset(self.phrases)


@dataclass(frozen=True)
class Signature(_PatternSets):
    """A known error message users paste.

    ``patterns`` are compiled regexes applied to normalised text and ``phrases`` compiled
    plain-text phrases applied to its phrase view (see :mod:`knowledge.triage`); any one
    matching recognises the signature. ``contact_type`` is set when the message itself
    settles it. ``keywords`` is a cheap prefilter: the patterns are only tried when one of these
    lower-case words occurs in the text (empty: always tried). Signatures are tried in descending
    ``priority``, equal priorities in file order; the first that matches wins."""

    id: str
    title: str
    meaning: str
    patterns: tuple[re.Pattern[str], ...]
    symptom: str | None
    likely_causes: tuple[str, ...]
    contact_type: str | None = None
    examples: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()
    source: str = ""
    priority: int = 0
    keywords: tuple[str, ...] = ()
    # When set, a pattern match only counts if one of these also matches within
    # ``context_window`` characters before or after it (cheap "near" without regex gaps).
    context: tuple[re.Pattern[str], ...] = ()
    context_window: int = 0
    # Plain-text phrases compiled by ``knowledge.triage.compile_phrase`` (words in order, small
    # gaps allowed), matched on the phrase view; any one matching recognises the signature.
    phrases: tuple[re.Pattern[str], ...] = ()
    # ms-diagnostics codes and (normalised) reason texts this signature stands for: a pasted
    # header with one of them recognises it, whatever the wrapping (knowledge/diagnostics.yaml).
    diagnostic_codes: tuple[int, ...] = ()
    diagnostic_reasons: tuple[str, ...] = ()
    # The fallback for an ms-diagnostics header with a code no signature knows, in a federated
    # context (one of ``context`` matches anywhere); ``quote`` ({code}, {reason}) is put before
    # ``meaning`` so the reply quotes the code.
    unknown_codes: bool = False
    quote: str = ""
    # Look-alikes: when one of these matches anywhere in the text, this signature does not.
    exclude: tuple[re.Pattern[str], ...] = ()
    # The causes are the article's guesses for the symptom alone: the scope the user states
    # ("only joe", "everyone at fabrikam.com") orders them by the article's table.
    scoped: bool = False
    # The paste shows the setting that decides the cause (AllowFederatedUsers False): its first
    # cause leads whatever scope the user states.
    keeps_lead: bool = False


@dataclass(frozen=True)
class StatedSymptom(_PatternSets):
    """What the user says they see, in their own words (``phrases``, on the phrase view), or what
    the paste shows about it (``patterns``, on the normalised text, e.g. a presence SUBSCRIBE): it
    wins over a signature's symptom."""

    symptom: str
    phrases: tuple[re.Pattern[str], ...]
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class StatedContactType(_PatternSets):
    """Who the contact is, in the user's words ("a personal Microsoft account", "a federated
    partner"): it settles the contact type when the signature doesn't."""

    contact_type: str
    phrases: tuple[re.Pattern[str], ...]
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class StatedScope(_PatternSets):
    """How many contacts are affected, in the user's words ("only joe", "every contact at
    fabrikam.com", "no external contact"): it orders a scoped signature's causes by the table."""

    scope: str
    phrases: tuple[re.Pattern[str], ...]
    patterns: tuple[re.Pattern[str], ...] = ()
    # A cheap prefilter: tried only when one of these occurs in the normalised text (empty: always).
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class CauseHint(_PatternSets):
    """Words that point to a cause (``effect`` ``lead``: it goes first, added when the signature
    doesn't list it; ``prefer``: it goes first only when the signature lists it) or rule it out
    (``ruled_out``), e.g. "anonymous join is on for the org"; ``contact_type``, when set, limits
    the hint to that kind of contact."""

    cause: str
    effect: str
    phrases: tuple[re.Pattern[str], ...]
    patterns: tuple[re.Pattern[str], ...] = ()
    contact_type: str | None = None
    # A cheap prefilter: tried only when one of these occurs in the normalised text (empty: always).
    keywords: tuple[str, ...] = ()
    # Patterns that keep the hint from applying: a stronger fact in the same text.
    unless: tuple[re.Pattern[str], ...] = ()

    @cached_property
    def unless_set(self) -> frozenset[re.Pattern[str]]:
        return frozenset(self.unless)


@dataclass(frozen=True)
class Described:
    """A failure described in the user's own words (``described.yaml``): each lexicon's words
    (any language) matched from a word start; ``signatures`` maps a symptom to the signature
    whose causes it takes."""

    product: Lexicon
    external: Lexicon
    failure: Lexicon
    silence: Lexicon
    presence: Lexicon | None
    meeting: Lexicon | None
    signatures: dict[str, str]
    # A note that no failure is live, the case over ("RESOLVED", "no further action") or not
    # begun (planning, a change request): silent even on a quoted client message or setting,
    # which ``silence`` leaves alone.
    not_live: Lexicon | None = None
    # A question ("does anyone know", "how do I"): silent like ``silence`` when the text names no
    # other party, answered when it names the partner the failure is with.
    asked: Lexicon | None = None
    # Other collaboration tools (Zoom, Webex, Slack …) and our products' names (``ours``): a
    # failure told of another tool is silent unless a failing sentence names only ours, or the
    # tool is named only where nothing fails (triage's ``_elsewhere``).
    elsewhere: Lexicon | None = None
    ours: Lexicon | None = None


@dataclass(frozen=True)
class Escalation:
    """'Still need help': where to go when nothing fixed it. Organisations override this."""

    text: str
    contact: str = ""
    ticket_url: str = ""
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Knowledge:
    """Everything the dialog and triage need, validated."""

    symptoms: tuple[Option, ...]
    contact_types: tuple[Option, ...]
    scopes: tuple[Option, ...]
    table: tuple[Cell, ...]
    causes: dict[str, Cause]
    resolutions: dict[str, Resolution]
    signatures: tuple[Signature, ...]
    escalation: Escalation
    more_information: tuple[str, ...]
    messages: dict[str, str]
    home_domains: tuple[str, ...] = ()
    follow_up_causes: tuple[str, ...] = ()
    # Standard Microsoft consumer (Messenger) domains: contacts there need no special format.
    consumer_domains: tuple[str, ...] = ()
    # Public mail providers (gmail.com …): a contact there is a person, not an organisation.
    personal_mail_domains: tuple[str, ...] = ()
    # Parents of tenants' initial domains (contoso.onmicrosoft.com): an address there is the same
    # organisation's sign-in name, not another organisation.
    tenant_initial_parents: tuple[str, ...] = ()
    # Words companies put in their domain names ("logistics", "consulting"): a part of a domain
    # one letter left out, added or swapped from one of them is likely mistyped.
    domain_words: tuple[str, ...] = ()
    # The fictitious organisations' domains of Microsoft's documentation (contoso.com …): one a
    # keystroke or two from one of them is the example mistyped.
    example_domains: tuple[str, ...] = ()
    # Reserved top-level names (examples, tests): a peer under one isn't a mistyped address.
    reserved_tlds: tuple[str, ...] = ()
    # In-network top-level names (.local, .corp): an address there is an internal login, which no
    # other organisation can reach, so the address is the one to check.
    internal_tlds: tuple[str, ...] = ()
    # Microsoft infrastructure and link domains triage never reports as a party's domain.
    ignored_domains: tuple[str, ...] = ()
    # Wording of the live federation check (findings, cloud names, refused input).
    check_texts: CheckTexts = field(default_factory=lambda: CheckTexts())
    # The Microsoft clouds: federation edges and DNS suffixes.
    clouds: CloudFacts = field(default_factory=lambda: CloudFacts())
    # Symptoms stated in the user's words (signatures.yaml ``stated_symptoms``).
    stated_symptoms: tuple[StatedSymptom, ...] = ()
    # Contact types stated in the user's words (signatures.yaml ``stated_contact_types``).
    stated_contact_types: tuple[StatedContactType, ...] = ()
    # Scopes stated in the user's words (signatures.yaml ``stated_scopes``).
    stated_scopes: tuple[StatedScope, ...] = ()
    # Words that point to a cause or rule one out (signatures.yaml ``cause_hints``).
    cause_hints: tuple[CauseHint, ...] = ()
    # Failures described in the user's own words (described.yaml), if loaded.
    described: Described | None = None

    def is_consumer_domain(self, domain: str) -> bool:
        """live.com, outlook.com, msn.com, hotmail.com (``consumer_domains``) and their country
        variants (hotmail.fr, live.com.au, outlook.it)."""
        domain = domain.lower()
        if domain in self.consumer_domains:
            return True
        first, _, rest = domain.partition(".")
        names = {d.partition(".")[0] for d in self.consumer_domains}
        return first in names and _COUNTRY_SUFFIX.match(rest) is not None

    def signature(self, signature_id: str | None) -> Signature | None:
        """The signature with this id, if the knowledge has one."""
        return next((s for s in self.signatures if s.id == signature_id), None)

    def cell(self, contact_type: str, scope: str) -> Cell:
        for c in self.table:
            if c.contact_type == contact_type and c.scope == scope:
                return c
        raise KeyError((contact_type, scope))

    @cached_property
    def wording(self) -> Wording:
        """What renderers need from this knowledge (messages and cloud names)."""
        return Wording(self.messages, self.check_texts.clouds)

    def message(self, key: str, **values: str) -> str:
        """A dialog message by key, with ``{name}`` placeholders filled in."""
        return self.messages[key].format(**values)


@dataclass(frozen=True)
class CloudFacts:
    """The Microsoft clouds (``clouds.yaml``): each cloud's federation edge, which are
    Microsoft 365 clouds, and the DNS suffixes of Microsoft-operated hosts (longest first)."""

    federation_port: int = 5061
    edges: Mapping[str, str] = field(default_factory=dict)
    microsoft_365: frozenset[str] = frozenset()
    suffixes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FindingText:
    """The wording of one finding code of the federation check: default severity, message and
    named alternative wordings (``variants``)."""

    severity: Severity
    message: str
    variants: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckTexts:
    """Wording of the live federation check (``findings.yaml``): findings by code, cloud names
    by cloud id, and why an input is not a domain, by reason code."""

    findings: Mapping[str, FindingText] = field(default_factory=dict)
    clouds: Mapping[str, str] = field(default_factory=dict)
    invalid_domain: Mapping[str, str] = field(default_factory=dict)


class Wording(Mapping[str, str]):
    """The wording a renderer receives: one knowledge's messages by key (``render.*`` headings
    and the rest) and its cloud names, so an organisation's override reaches every front end."""

    __slots__ = ("clouds", "messages")

    def __init__(self, messages: Mapping[str, str], clouds: Mapping[str, str]) -> None:
        self.messages = messages
        self.clouds = clouds

    def __getitem__(self, key: str) -> str:
        return self.messages[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)

    def cloud(self, cloud: str) -> str:
        """A cloud's display name (its id when the wording has none)."""
        return self.clouds.get(cloud, cloud)
