"""Pydantic schema of the knowledge files: ``article.yaml``'s parts, ``signatures.yaml``,
``diagnostics.yaml``, ``findings.yaml``, ``clouds.yaml``, and an override's signatures and wording.

Validation only: the loader turns a validated document into plain frozen dataclasses
(:mod:`knowledge.model`), so nothing on a hot path reads pydantic models."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from knowledge.model import CheckKind, Severity
from knowledge.triage import compile_phrase

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


_URL = re.compile(r"https?://[^\s]{1,2000}")


def _http_url(url: str) -> str:
    if url and not _URL.fullmatch(url):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_http_url)
]
OptionalUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_http_url)]
Source = Text | list[Text]
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _id(text: str) -> str:
    if not _ID.fullmatch(text):
        raise ValueError(
            f"invalid id {text!r} (lower-case letters, digits and _; starting with a letter)"
        )
    return text


Id = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_id)]
Texts = Annotated[list[Text], Field(min_length=1)]
CheckStatus = Literal["ok", "problem", "dns_error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FindingEntry(_Strict):
    severity: Severity
    message: Text
    variants: dict[Code, Text] = {}


class FindingsFile(_Strict):
    """``findings.yaml``: the shipped wording, which also declares the codes and clouds."""

    findings: dict[Code, FindingEntry]
    clouds: dict[Code, Text]
    invalid_domain: dict[Code, Text]


class FindingWording(_Strict):
    """An override rewords a finding (its severity is the judge's business)."""

    message: Text | None = None
    variants: dict[Code, Text] = {}


Host = Annotated[
    str,
    StringConstraints(
        to_lower=True,
        max_length=253,
        pattern=r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$",
    ),
]


class CloudEntry(_Strict):
    federation_edge: Host
    microsoft_365: bool
    suffixes: list[Host]


class CloudsFile(_Strict):
    """``clouds.yaml``: DNS facts of the Microsoft clouds (not overridable)."""

    federation_port: Annotated[int, Field(ge=1, le=65535)]
    clouds: dict[Code, CloudEntry]


class CheckWording(_Strict):
    """The check wording an override may carry: rewordings of shipped texts only."""

    findings: dict[Code, FindingWording] = {}
    clouds: dict[Code, Text] = {}
    invalid_domain: dict[Code, Text] = {}


class LinkEntry(_Strict):
    title: Text
    url: Url
    source: Source | None = None


class EscalationEntry(_Strict):
    """``escalation`` in article.yaml (``text`` required there) or in an override (all optional)."""

    text: Text | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True)] | None = None
    ticket_url: OptionalUrl | None = None
    links: list[LinkEntry] | None = None
    source: Source | None = None


class OptionEntry(_Strict):
    """A symptom, contact type or scope the user can pick."""

    id: Id
    label: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    short: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    source: Source | None = None


class CellEntry(_Strict):
    contact_type: Id
    scope: Id
    causes: Annotated[list[Id], Field(min_length=1)]
    source: Source | None = None


class CauseEntry(_Strict):
    id: Id
    title: Text
    summary: Text
    resolution: Id
    check: CheckKind = "none"
    check_meaning: dict[CheckStatus, Text] = {}
    contact_types: list[Id] = []
    symptoms: list[Id] = []
    cleared_by_check: bool = False
    config_findings: list[Id] = []
    stands_for: list[Id] = []
    source: Source | None = None


class ResolutionEntry(_Strict):
    id: Id
    title: Text
    intro: Text
    steps: Texts
    notes: list[Text] = []
    links: list[LinkEntry] = []
    teams_today: list[Text] = []
    source: Source | None = None


class CauseChange(_Strict):
    """An override rewords a shipped cause."""

    id: Id
    title: Text | None = None
    summary: Text | None = None
    check_meaning: dict[CheckStatus, Text] | None = None
    source: Source | None = None


class ResolutionChange(_Strict):
    """An override rewords a shipped resolution."""

    id: Id
    title: Text | None = None
    intro: Text | None = None
    steps: Texts | None = None
    notes: list[Text] | None = None
    links: list[LinkEntry] | None = None
    teams_today: list[Text] | None = None
    source: Source | None = None


# --- signatures.yaml, diagnostics.yaml and signatures in an override ---------------------------

_KEYWORD = re.compile(r"[a-z0-9_./:-]{2,40}")
MAX_CONTEXT_WINDOW = 2000


def pattern_flags(source: str) -> int:
    """Flags for a signature regex. The text it runs on is lower-cased: a lower-case pattern needs
    no IGNORECASE, which would cost the regex engine its fast literal-prefix scan (upper case,
    including ``\\S`` or ``\\W``, keeps it)."""
    return 0 if source == source.lower() else re.IGNORECASE


def _regex(source: str) -> str:
    try:
        re.compile(source, pattern_flags(source))
    except re.error as exc:
        raise ValueError(f"regex does not compile: {exc}") from None
    if _SLOW_START.search(source):
        raise ValueError(
            "write \\b before the lookbehinds: both are zero-width at the same place, and a"
            " lookbehind tried first runs at every position of a long paste"
        )
    return source


# An alternative that opens with lookbehinds and then \b (the same test, twice as slow).
_SLOW_START = re.compile(r"(?:^|\|)(?:\(\?<![^()]*\))+\\b")


def _phrase(text: str) -> str:
    compile_phrase(text)  # raises ValueError naming what is wrong
    return text


def _keyword(word: str) -> str:
    if not _KEYWORD.fullmatch(word):
        raise ValueError(
            f"keyword {word!r} must be lower case, 2-40 characters, no spaces or quotes"
        )
    return word


def _quote(text: str) -> str:
    try:
        text.format(code=0, reason="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"only {{code}} and {{reason}} may be filled in: {exc}") from None
    return text


def _joined(value: object) -> object:
    """A ``source:`` given as a list of references is one text, the references joined by "; "."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(v.strip() for v in value if v.strip())
    return value


Regex = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_regex)
]
Phrase = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_phrase)
]
Keyword = Annotated[str, AfterValidator(_keyword)]
# Every signature says where its text comes from: a URL or a named reference (never empty).
SignatureSource = Annotated[Text, BeforeValidator(_joined)]
DiagnosticCode = Annotated[int, Field(ge=0, lt=10**6)]


class SignatureEntry(_Strict):
    """One error message users paste (``signatures.yaml``, an override, or a generated row of
    ``diagnostics.yaml``). Cross-field rules (a pattern or phrase unless structural, examples
    recognised, negatives not) are the loader's."""

    id: Id
    title: Text
    meaning: Text
    symptom: Id | None
    likely_causes: list[Id]
    examples: Texts
    source: SignatureSource
    patterns: list[Regex] = []
    phrases: list[Phrase] = []
    contact_type: Id | None = None
    negatives: list[Text] = []
    priority: int = 0
    keywords: list[Keyword] = []
    context: list[Regex] = []
    context_window: Annotated[int, Field(ge=0, le=MAX_CONTEXT_WINDOW)] | None = None
    diagnostic_codes: list[DiagnosticCode] = []
    diagnostic_reasons: list[Text] = []
    unknown_codes: bool = False
    quote: Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_quote)] = ""
    exclude: list[Regex] = []
    scoped: bool = False
    keeps_lead: bool = False


class _StatedEntry(_Strict):
    """Words (``phrases``) or structure (``patterns``) that state something; at least one."""

    phrases: list[Phrase] = []
    patterns: list[Regex] = []

    @model_validator(mode="after")
    def _something(self) -> _StatedEntry:
        if not self.phrases and not self.patterns:
            raise ValueError("must list at least one phrase or pattern")
        return self


class StatedSymptomEntry(_StatedEntry):
    """What users say they see, in their own words: a symptom id and its phrases."""

    symptom: Id


class StatedContactTypeEntry(_StatedEntry):
    """Who the contact is, in the user's words: a contact type id and its phrases."""

    contact_type: Id


class StatedScopeEntry(_StatedEntry):
    """How many contacts are affected, in the user's words: a scope id and its phrases;
    ``keywords``, when given, a cheap prefilter (one must occur in the normalised text)."""

    scope: Id
    keywords: list[Keyword] = []


class CauseHintEntry(_StatedEntry):
    """Words that make a cause lead (``lead``: also when the signature doesn't list it;
    ``prefer``: only when it does) or rule it out (optionally for one contact type only)."""

    cause: Id
    effect: Literal["lead", "prefer", "ruled_out"]
    contact_type: Id | None = None
    keywords: list[Keyword] = []
    # Patterns that keep the hint from applying (a stronger fact in the same text).
    unless: list[Regex] = []


class SignaturesFile(_Strict):
    """``signatures.yaml``."""

    signatures: list[SignatureEntry]
    ignored_domains: list[Text] = []
    stated_symptoms: list[StatedSymptomEntry] = []
    stated_contact_types: list[StatedContactTypeEntry] = []
    stated_scopes: list[StatedScopeEntry] = []
    cause_hints: list[CauseHintEntry] = []


class LexiconEntry(_Strict):
    """Words of one kind (``described.yaml``), per language code, with where they come from."""

    source: SignatureSource
    words: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")], list[Regex]]


class DescribedFile(_Strict):
    """``described.yaml``: the lexicons of a failure described in the user's own words."""

    source: SignatureSource
    signatures: dict[Id, Id]
    lexicons: dict[
        Literal[
            "product",
            "external",
            "failure",
            "silence",
            "asked",
            "not_live",
            "presence",
            "meeting",
            "elsewhere",
            "ours",
        ],
        LexiconEntry,
    ]

    @model_validator(mode="after")
    def _complete(self) -> DescribedFile:
        missing = {"product", "external", "failure", "silence"} - set(self.lexicons)
        if missing:
            raise ValueError(f"lexicons missing: {sorted(missing)}")
        return self


# How a row of the code table is confirmed (see diagnostics.yaml): the [MS-OCER] table (``spec``),
# real pastes and logs (``pastes``), or only the reason's wording, not its number (``wording``).
KnownFrom = Literal["spec", "pastes", "wording"]


class DiagnosticsRow(_Strict):
    """One row of ``diagnostics.yaml``: an ms-diagnostics code, its reason and what it means."""

    code: DiagnosticCode | None = None
    known_from: KnownFrom
    id: Id | None = None
    reason: Text
    header: Literal["ms-diagnostics", "ms-diagnostics-public"] = "ms-diagnostics"
    title: Text
    meaning: Text
    symptom: Id | None
    likely_causes: list[Id]
    contact_type: Id | None = None
    source: SignatureSource
    phrases: list[Phrase] = []
    keywords: list[Keyword] = []
    examples: list[Text] = []
    negatives: list[Text] = []

    @model_validator(mode="after")
    def _code_or_id(self) -> DiagnosticsRow:
        if self.code is None and self.id is None:
            raise ValueError("a row without a code needs an id")
        if (self.code is None) != (self.known_from == "wording"):
            raise ValueError("known_from is 'wording' exactly for a row without a code")
        return self


class DiagnosticsFile(_Strict):
    """``diagnostics.yaml``: the ms-diagnostics code table, and the contexts (``exclude``) in which
    no row's header is a federation failure (voice routing, Exchange UM)."""

    codes: list[DiagnosticsRow]
    exclude: list[Regex] = []
