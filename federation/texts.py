"""The wording of the federation check (findings, cloud names, refused input) as federation uses
it. The sentences come from the one knowledge loader (``knowledge/data/findings.yaml`` plus an
organisation's ``FEDBOT_KNOWLEDGE`` override); Python holds the codes and the placeholders it
fills, and checks here that the wording covers exactly those."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import get_args

from federation.model import FINDING_CODES, Cloud, Finding, InvalidDomain, Severity
from knowledge.loader import KnowledgeError, load_knowledge, parse_check_texts, template_fields
from knowledge.model import CheckTexts, FindingText, Knowledge

# Placeholders the judge and the parser fill in; anything else in the shipped YAML is a typo
# (an override may only use the placeholders of the text it rewords, see knowledge.loader).
PLACEHOLDERS = frozenset(
    {
        "domain",
        "other",
        "name",
        "names",
        "target",
        "targets",
        "port",
        "expected",
        "cloud",
        "other_cloud",
        "detail",
        "host",
        "label",
        "length",
        "characters",
        "address",
    }
)
INVALID_CODES = frozenset(
    {
        "empty",
        "input_too_long",
        "ip_address",
        "single_label",
        "empty_label",
        "label_too_long",
        "name_too_long",
        "illegal_characters",
        "numeric_tld",
        "bad_hyphen",
        "bad_idn",
        "several_domains",
        "wildcard",
        "teams_link",
    }
)
_CLOUDS = frozenset(get_args(Cloud))

TextsError = KnowledgeError
"""Kept as a name: the wording is invalid; the message names the file and the key."""

__all__ = ["PLACEHOLDERS", "FindingText", "Texts", "TextsError", "load_texts", "texts_of"]


@dataclass(frozen=True)
class Texts:
    """Federation's view of :class:`knowledge.model.CheckTexts`."""

    wording: CheckTexts

    @property
    def findings(self) -> dict[str, FindingText]:
        return dict(self.wording.findings)

    def finding(
        self, code: str, variant: str = "", severity: Severity | None = None, **values: str
    ) -> Finding:
        """A finding for ``code``; ``variant`` picks an alternative wording, ``values`` fill it."""
        text = self.wording.findings[code]
        template = text.variants[variant] if variant else text.message
        return Finding(code, severity or text.severity, template.format(**values))

    def cloud_label(self, cloud: str) -> str:
        return self.wording.clouds.get(cloud, cloud)

    def cloud_labels(self) -> dict[str, str]:
        """Every cloud's display name, for renderers."""
        return {cloud: self.cloud_label(cloud) for cloud in get_args(Cloud)}

    def invalid_reason(self, code: str, **values: str) -> str:
        return self.wording.invalid_domain[code].format(**values)


def check_coverage(wording: CheckTexts, path: str = "findings.yaml") -> CheckTexts:
    """Raise :class:`TextsError` unless ``wording`` has exactly federation's codes and clouds
    and only placeholders federation fills."""

    def fail(key: str, problem: str) -> TextsError:
        return TextsError(f"{path}: {key}: {problem}")

    for code in sorted(set(wording.findings) | FINDING_CODES):
        if code not in FINDING_CODES:
            raise fail(f"findings.{code}", "unknown finding code")
        if code not in wording.findings:
            raise fail(f"findings.{code}", "missing")
        text = wording.findings[code]
        templates = {"message": text.message} | {
            f"variants.{k}": v for k, v in text.variants.items()
        }
        for key, template in templates.items():
            unknown = template_fields(template) - PLACEHOLDERS
            if unknown:
                raise fail(f"findings.{code}.{key}", f"unknown placeholder(s) {sorted(unknown)}")
    if set(wording.clouds) != _CLOUDS:
        raise fail("clouds", f"must name exactly {sorted(_CLOUDS)}")
    if set(wording.invalid_domain) != INVALID_CODES:
        raise fail("invalid_domain", f"must name exactly {sorted(INVALID_CODES)}")
    return wording


def parse_texts(data: object, path: str = "findings.yaml") -> Texts:
    """Validate a ``findings.yaml`` document; raise :class:`TextsError` naming the key at fault."""
    return Texts(check_coverage(parse_check_texts(data, path), path))


def reason_in(wording: CheckTexts, invalid: InvalidDomain) -> str:
    """Why ``invalid`` is not a domain, in ``wording`` (an organisation's override included):
    reworded from its code, else the reason it was made with."""
    values = dict(invalid.extra)
    template = wording.invalid_domain.get(values.pop("code", ""))
    if template is None:
        return invalid.reason
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return invalid.reason


def texts_of(knowledge: Knowledge) -> Texts:
    """The federation wording of ``knowledge`` (shipped plus the organisation's override)."""
    return Texts(check_coverage(knowledge.check_texts))


@cache
def load_texts() -> Texts:
    """The shipped wording: the default when a caller passes none."""
    return texts_of(load_knowledge(""))
