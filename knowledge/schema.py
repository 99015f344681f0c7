"""Pydantic schema of ``findings.yaml``, ``clouds.yaml``, escalation and links, and of the check
wording in an override file.

Validation only: the loader turns a validated document into plain frozen dataclasses
(:mod:`knowledge.model`), so nothing on a hot path reads pydantic models."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from knowledge.model import CheckKind, Severity

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
